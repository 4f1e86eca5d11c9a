/** Hashes kept: the estimate's relative standard error is about 1/√K (3 %). */
const K = 1024;
const TWO_32 = 2 ** 32;

/** FNV-1a over the UTF-16 code units, then MurmurHash3's finaliser: a well-mixed 32-bit hash. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The number of distinct values of a column in bounded memory: a K-minimum-values sketch (Bar-Yossef
 * et al. 2002). It keeps the K smallest distinct hashes; with fewer than 2K distinct values it is
 * exact (up to 32-bit hash collisions), otherwise the estimate is (K − 1) / (K-th smallest hash / 2³²).
 */
export class DistinctCount {
  private readonly kept = new Set<number>();
  /** Hashes at or above this are known not to be among the K smallest. */
  private ceiling = TWO_32;
  private pruned = false;

  add(value: string): void {
    const h = hash32(value);
    if (h >= this.ceiling || this.kept.has(h)) return;
    this.kept.add(h);
    if (this.kept.size >= 2 * K) this.prune();
  }

  private prune(): void {
    const smallest = [...this.kept].sort((a, b) => a - b).slice(0, K);
    this.kept.clear();
    for (const h of smallest) this.kept.add(h);
    this.ceiling = smallest[K - 1]! + 1;
    this.pruned = true;
  }

  /** Estimated distinct values seen. */
  estimate(): number {
    if (!this.pruned) return this.kept.size;
    const smallest = [...this.kept].sort((a, b) => a - b);
    return (K - 1) / ((smallest[K - 1]! + 1) / TWO_32);
  }
}

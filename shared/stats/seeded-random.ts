import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** A seeded source of uniform numbers in [0, 1) with 32-bit resolution: fast and reproducible. */
export function seededUniform(seed: number): () => number {
  const rng = xoroshiro128plus(seed | 0);
  return () => (rng.next() >>> 0) / 4294967296;
}

/** A 32-bit FNV-1a hash of a string, for deriving reproducible seeds from names. */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

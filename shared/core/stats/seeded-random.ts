import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** MurmurHash3's 32-bit finaliser: spreads nearby seeds (1, 2, 3...) far apart. */
function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/** A seeded source of uniform numbers in [0, 1) with 32-bit resolution: fast and reproducible. */
export function seededUniform(seed: number): () => number {
  // xoroshiro's first outputs for seeds that differ in a few bits are alike: mix, then warm up.
  const rng = xoroshiro128plus(mix32(seed));
  for (let i = 0; i < 16; i++) rng.next();
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

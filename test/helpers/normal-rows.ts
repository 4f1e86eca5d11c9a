import { seededNormal } from '../../scripts/lib/seeded-normal.js';

/** `count` values drawn from N(mean, 1), seeded. */
export function normalValues(count: number, seed: number, mean = 0): number[] {
  const { normal } = seededNormal(seed);
  return Array.from({ length: count }, () => mean + normal());
}

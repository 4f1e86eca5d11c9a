import { seededUniform } from '../../shared/core/stats/seeded-random.js';

/** Seeded standard-normal draws (Box–Muller), for generators and simulations only. */
export function seededNormal(seed: number): { normal: () => number; uniform: () => number } {
  const uniform = seededUniform(seed);
  let spare: number | undefined;
  const normal = (): number => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return value;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * uniform();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
  return { normal, uniform };
}

import type { BaselineProfile } from '../../shared/core/profile/baseline-profile.js';

/**
 * A row's reconstruction error under a profile's tabular projection, written out plainly for tests
 * (independent of the product's Projector): numeric inputs as they are, categorical ones as their
 * baseline proportion (0 outside the top-K), missing ones at the feature's baseline mean (a
 * categorical one's mean proportion over the rows that have a value); z = (x - center) / scale;
 * error = |z - C'Cz|^2 computed from the residual itself.
 */
export function reconstructionError(profile: BaselineProfile, row: Record<string, unknown>, projection = 'multivariate'): number {
  const p = profile.projections.find((q) => q.name === projection)!;
  const x = p.kind === 'embedding'
    ? (row[p.column!] as number[])
    : p.inputs!.map((name) => {
      const f = profile.features.find((g) => g.name === name)!;
      const v = row[name];
      if (v === null || v === undefined || v === '') {
        if (f.type === 'numeric') return f.mean;
        const shares = f.proportions.slice(0, f.categories.length);
        return shares.reduce((s, q) => s + q * q, 0) / (1 - f.proportions[f.proportions.length - 1]!);
      }
      if (f.type === 'numeric') return Number(v);
      const i = f.categories.indexOf(typeof v === 'number' ? String(v) : typeof v === 'string' ? v : JSON.stringify(v));
      return i < 0 ? 0 : f.proportions[i]!;
    });
  const z = x.map((v, j) => (v - p.center[j]!) / (p.scale?.[j] ?? 1));
  const scores = p.components.map((c) => c.reduce((s, cj, j) => s + cj * z[j]!, 0));
  const back = z.map((_, j) => p.components.reduce((s, c, i) => s + scores[i]! * c[j]!, 0));
  return z.reduce((s, zj, j) => s + (zj - back[j]!) ** 2, 0);
}

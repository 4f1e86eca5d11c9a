import { describe, expect, it } from 'vitest';
import { seededNormal } from '../../../../scripts/lib/seeded-normal.js';
import { buildBaseline } from '../../../../shared/offline/baseline/build-baseline.js';
import { DEFAULT_DRIFT_RULE } from '../../../../shared/core/drift/drift-rule.js';
import type { WindowScore } from '../../../../shared/core/drift/feature-score.js';
import { scoreRows } from '../../../../shared/offline/scoring/score-rows.js';
import { arrayRowSource } from '../../../../shared/offline/input/row-source.js';
import type { BaselineProfile } from '../../../../shared/core/profile/baseline-profile.js';

/**
 * The multivariate check sees drift that per-feature histograms cannot: relationships between
 * features, and embedding vectors. Windows are scored through the product's counting and scoring
 * path (ProfileCounter with projections, scoreWindow).
 */
const { normal } = seededNormal(8);

/** Two features that move together (correlation 0.9), or not at all, with the same N(0, 1) marginals; and two bystanders. */
function sensorRows(n: number, correlated: boolean): Record<string, number>[] {
  return Array.from({ length: n }, () => {
    const z1 = normal();
    const z2 = normal();
    const pair = correlated ? 0.9 * z1 + Math.sqrt(1 - 0.81) * z2 : z2;
    return { temperature: z1, pressure: pair, vibration: normal(), current: normal() * 2 + 5 };
  });
}

const score = async (profile: BaselineProfile, rows: Record<string, unknown>[]): Promise<WindowScore> =>
  (await scoreRows(profile, arrayRowSource(rows), DEFAULT_DRIFT_RULE)).score;

const univariate = (s: WindowScore) => s.features.filter((f) => f.role === 'input');
const multivariate = (s: WindowScore) => s.features.find((f) => f.role === 'multivariate')!;

describe('a broken correlation with unchanged marginals', () => {
  it('leaves every univariate status ok while the multivariate status becomes drift', async () => {
    const { profile } = await buildBaseline(arrayRowSource(sensorRows(20_000, true)), {});
    expect(profile.projections.map((p) => p.name)).toEqual(['multivariate']); // on by default: 4 numeric inputs
    for (let w = 0; w < 5; w++) {
      const broken = await score(profile, sensorRows(1000, false));
      expect(univariate(broken).map((f) => [f.name, f.status])).toEqual([
        ['temperature', 'ok'], ['pressure', 'ok'], ['vibration', 'ok'], ['current', 'ok'],
      ]);
      const error = multivariate(broken);
      expect(error.status).toBe('drift');
      expect(error.psi!).toBeGreaterThan(error.threshold!);
      expect(error.meanShift!.drift).toBe(true);
      expect(error.meanShift!.mean).toBeGreaterThan(error.meanShift!.baselineMean + 5 * error.meanShift!.standardError);
      expect(broken.drift).toBe(true);
    }
  });

  it('raises few false alarms on windows drawn like the baseline', async () => {
    const { profile } = await buildBaseline(arrayRowSource(sensorRows(20_000, true)), {});
    const windows = 200;
    let multivariateAlarms = 0;
    let anyAlarms = 0;
    for (let w = 0; w < windows; w++) {
      const s = await score(profile, sensorRows(500, true));
      if (multivariate(s).status === 'drift') multivariateAlarms++;
      if (s.drift) anyAlarms++;
    }
    console.log(`stable windows: multivariate false alarms ${multivariateAlarms}/${windows}, any feature ${anyAlarms}/${windows}`);
    // alpha = 0.01 shared by the five features, plus the 3-SE mean test (0.27 % if normal): about
    // 0.5 % expected for the reconstruction error. Allow a generous margin for 200 windows.
    expect(multivariateAlarms).toBeLessThanOrEqual(4);
    expect(anyAlarms).toBeLessThanOrEqual(8);
  });
});

describe('embeddings from a shifted cluster', () => {
  const d = 32;
  const { normal: draw } = seededNormal(84);
  // A cluster on a 4-dimensional subspace plus isotropic noise; the shifted cluster moves off it.
  const axes = Array.from({ length: 4 }, () => Array.from({ length: d }, () => draw() / Math.sqrt(d)));
  const offset = Array.from({ length: d }, (_, j) => (j % 2 === 0 ? 0.25 : -0.25));
  const embeddings = (n: number, shifted: boolean) => Array.from({ length: n }, () => {
    const latent = [3, 2, 1.5, 1].map((s) => s * draw());
    const vec = Array.from({ length: d }, (_, j) => latent.reduce((sum, l, i) => sum + l * axes[i]![j]!, 0) + 0.2 * draw() + (shifted ? offset[j]! : 0));
    return { query_embedding: vec, tenant: draw() > 0 ? 'a' : 'b' };
  });

  it('flags the shifted cluster by its reconstruction error, and not the cluster the baseline saw', async () => {
    const { profile } = await buildBaseline(arrayRowSource(embeddings(5000, false)), { embedding: ['query_embedding'] });
    const projection = profile.projections[0]!;
    expect(projection).toMatchObject({ name: 'query_embedding', kind: 'embedding', dimension: d });
    const same = await score(profile, embeddings(1000, false));
    const derived = same.features.filter((f) => f.role === 'multivariate' || f.role === 'embedding');
    expect(derived).toHaveLength(1 + Math.min(3, projection.components.length));
    expect(derived.map((f) => f.status).every((s) => s === 'ok')).toBe(true);
    const shifted = await score(profile, embeddings(1000, true));
    const error = shifted.features.find((f) => f.name === 'query_embedding.reconstruction_error')!;
    expect(error.status).toBe('drift');
    expect(error.meanShift!.drift).toBe(true);
    expect(shifted.drift).toBe(true);
  });
});

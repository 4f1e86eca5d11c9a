import { describe, expect, it } from 'vitest';
import { DEFAULT_DRIFT_RULE } from '../../../../shared/core/drift/drift-rule.js';
import { seededUniform } from '../../../../shared/core/stats/seeded-random.js';
import { buildBaseline } from '../../../../shared/offline/baseline/build-baseline.js';
import { arrayRowSource } from '../../../../shared/offline/input/row-source.js';
import { windowDatums } from '../../../../shared/pipeline/sinks/cloudwatch/window-datums.js';
import { ModelWindows } from '../../../../shared/pipeline/windows/model-windows.js';

/**
 * Drift confined to one segment: five sites of 40, 25, 15, 12 and 8 % of traffic, and in the
 * window only the smallest site's `amount` moves by 1.5 standard deviations. The whole-model view
 * sees 8 % of its rows moved (a PSI under the 0.1 effect size) and misses it; the segment view
 * judges that site's 400 rows at their own size and flags it. Checked against how the data was
 * made, not against the code.
 */
const u = seededUniform(3107);
const SITES = [['lyon', 0.4], ['oslo', 0.25], ['riga', 0.15], ['bern', 0.12], ['faro', 0.08]] as const;
const normal = (): number => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
function site(): string {
  let r = u();
  for (const [name, share] of SITES) if ((r -= share) < 0) return name;
  return 'faro';
}
const row = (shifted: string | undefined): Record<string, unknown> => {
  const s = site();
  return { site: s, amount: 100 + 10 * normal() + (s === shifted ? 15 : 0), tenure: u() * 40 };
};
const { profile } = await buildBaseline(arrayRowSource(Array.from({ length: 20_000 }, () => row(undefined))), { multivariate: false });
const WINDOW_MS = 60_000;
const windowsOf = (): ModelWindows => new ModelWindows('m', profile, WINDOW_MS, DEFAULT_DRIFT_RULE, { m: 3, n: 5 }, { segments: { feature: 'site', topK: 4 } });

describe('segment drift', () => {
  it('catches a shift confined to one segment that the whole-model view misses, and ships it as an index', async () => {
    const windows = windowsOf();
    for (let i = 0; i < 5000; i++) expect(windows.add(row('faro'), '', 1000)).toBeUndefined();
    const { report } = await windows.close(windows.windowFor('', 1000), WINDOW_MS);
    const amount = report.score.features.find((f) => f.name === 'amount')!;
    expect(amount.psi!).toBeLessThan(0.1);
    expect(report.score.drift).toBe(false);

    const categories = (profile.features.find((f) => f.name === 'site') as { categories: string[] }).categories;
    expect(categories.slice(0, 4)).toEqual(['lyon', 'oslo', 'riga', 'bern']);
    // topK 4: the four largest sites and "other", which holds faro.
    const scores = report.segments!.scores;
    expect(report.segments!.feature).toBe('site');
    expect(scores.map((s) => s.segment)).toEqual([0, 1, 2, 3, 4]);
    expect(scores.reduce((n, s) => n + s.events, 0)).toBe(5000);
    expect(scores[4]!.drift).toBe(true);
    expect(scores[4]!.drifted).toEqual(['amount']);
    for (const s of scores.slice(0, 4)) expect(s.drift, String(s.segment)).toBe(false);

    const datums = windowDatums(report, { topFeatures: 0, minCount: 20 });
    expect(datums.find((d) => d.MetricName === 'SegmentDrift')?.Value).toBe(1);
    const bySegment = datums.filter((d) => d.MetricName === 'SegmentDriftedFeatureCount').map((d) => [d.Dimensions!.find((x) => x.Name === 'Segment')!.Value, d.Value]);
    expect(bySegment).toEqual([['0', 0], ['1', 0], ['2', 0], ['3', 0], ['other', 1]]);
    for (const d of datums) for (const dim of d.Dimensions ?? []) expect(categories).not.toContain(dim.Value);
  });

  it('keeps the segments through a checkpoint, and flags nothing in a window without drift', async () => {
    const windows = windowsOf();
    for (let i = 0; i < 3000; i++) windows.add(row(undefined), '', 1000);
    const [record] = windows.takeDirty();
    expect(record!.segments).toHaveLength(5);
    const restored = windowsOf();
    restored.restore(record!);
    const { report } = await restored.close(restored.windowFor('', 1000), WINDOW_MS);
    expect(report.segments!.scores.reduce((n, s) => n + s.events, 0)).toBe(3000);
    expect(report.segments!.scores.map((s) => s.drift)).toEqual([false, false, false, false, false]);
    expect(windowDatums(report, { topFeatures: 0, minCount: 20 }).find((d) => d.MetricName === 'SegmentDrift')?.Value).toBe(0);
  });

  it('refuses a segment feature that is not a categorical input, naming it', () => {
    expect(() => new ModelWindows('m', profile, WINDOW_MS, DEFAULT_DRIFT_RULE, { m: 3, n: 5 }, { segments: { feature: 'amount', topK: 3 } }))
      .toThrow(/segments\.feature: 'amount' is not a categorical input feature/);
  });
});

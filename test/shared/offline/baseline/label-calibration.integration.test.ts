import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NumericFeatureProfile } from '../../../../shared/core/profile/baseline-profile.js';
import { seededUniform } from '../../../../shared/core/stats/seeded-random.js';
import { buildBaseline } from '../../../../shared/offline/baseline/build-baseline.js';
import { fileRowSource } from '../../../../shared/offline/input/file-row-source.js';
import { arrayRowSource } from '../../../../shared/offline/input/row-source.js';
import { parseBaseline } from '../../../../shared/core/profile/load-baseline.js';
import { DwError } from '../../../../shared/platform/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'dw-labels-'));

/**
 * 4 000 rows of a binary model whose confidence c is right with chance 0.2 + 0.7 c. Predictions are
 * 0 and 1; labels are spelled "1.0", " 0" or 1 to be read as classes the way categories are; one row
 * in eight has no label (empty or NA); some rows have no confidence.
 */
function rows(): Record<string, unknown>[] {
  const u = seededUniform(22);
  return Array.from({ length: 4000 }, (_, i) => {
    const c = 0.5 + 0.5 * u();
    const predicted = u() < 0.5 ? 0 : 1;
    const truth = u() < 0.2 + 0.7 * c ? predicted : 1 - predicted;
    const spelled = [truth === 1 ? '1.0' : ' 0', truth === 1 ? '1' : '0.0', String(truth)][i % 3]!;
    return { x: (u() - 0.5) * 10, prediction: predicted, confidence: i % 50 === 7 ? '' : c.toFixed(4), truth: i % 8 === 3 ? (i % 16 === 3 ? '' : 'NA') : spelled };
  });
}

/** Per bin of `edges` (numeric layout, left-closed, the last interior bin closed): labelled rows and right ones. */
function expected(data: Record<string, unknown>[], edges: readonly number[]): { total: number[]; correct: number[] } {
  const k = Math.max(1, edges.length - 1);
  const total = new Array<number>(k + 3).fill(0);
  const correct = new Array<number>(k + 3).fill(0);
  for (const r of data) {
    const label = String(r.truth).trim();
    if (label === '' || label === 'NA') continue;
    const c = r.confidence === '' ? undefined : Number(r.confidence);
    let bin: number;
    if (c === undefined) bin = k + 2;
    else if (c < edges[0]!) bin = 0;
    else if (c > edges.at(-1)!) bin = k + 1;
    else bin = Math.min(k, edges.filter((e) => e <= c).length);
    total[bin]!++;
    if (Number(label) === r.prediction) correct[bin]!++;
  }
  return { total, correct };
}

describe('baseline build --label-column', () => {
  const data = rows();
  const options = { predictionColumn: 'prediction', confidenceColumn: 'confidence', labelColumn: 'truth', multivariate: false, threads: 1 };

  it('keeps per confidence bin the labelled predictions and the right ones, the same in the engine and the streaming builder', async () => {
    const path = join(dir, 'labelled.csv');
    writeFileSync(path, `x,prediction,confidence,truth\n${data.map((r) => `${String(r.x)},${String(r.prediction)},${String(r.confidence)},${String(r.truth)}`).join('\n')}\n`);
    const engine = (await buildBaseline(fileRowSource(path), options)).profile;
    const streaming = (await buildBaseline(arrayRowSource(data), options)).profile;
    for (const profile of [engine, streaming]) {
      expect(profile.schemaVersion).toBe('1.5');
      expect(profile.features.map((f) => f.name)).not.toContain('truth');
      const confidence = profile.features.find((f) => f.name === 'confidence') as NumericFeatureProfile;
      const want = expected(data, confidence.edges);
      expect(profile.performance).toEqual({
        confidenceFeature: 'confidence', predictionFeature: 'prediction',
        labelled: want.total.reduce((a, b) => a + b, 0), correct: want.correct.reduce((a, b) => a + b, 0), calibration: want,
      });
    }
    // 3 500 labelled rows, about 72.5 % right.
    expect(engine.performance!.labelled).toBe(3500);
    expect(engine.performance!.correct / engine.performance!.labelled).toBeGreaterThan(0.69);
    expect(engine.performance!.correct / engine.performance!.labelled).toBeLessThan(0.76);
  });

  it('reads a probability vector\'s predicted class against labels given as class indices', async () => {
    const vectors: Record<string, unknown>[] = data.slice(0, 600).map((r) => ({ ...r, probs: r.prediction === 1 ? [0.3, 0.7] : [0.8, 0.2] }));
    const profile = (await buildBaseline(arrayRowSource(vectors), { probabilityColumn: 'probs', labelColumn: 'truth', exclude: ['prediction', 'confidence'], multivariate: false })).profile;
    const p = profile.performance!;
    expect([p.confidenceFeature, p.predictionFeature]).toEqual(['probs.confidence', 'probs.predicted_class']);
    const labelled = vectors.filter((r) => !['', 'NA'].includes(String(r.truth).trim()));
    expect(p.labelled).toBe(labelled.length);
    expect(p.correct).toBe(labelled.filter((r) => Number(String(r.truth).trim()) === r.prediction).length);
  });

  it('refuses a label column without a prediction and a confidence to compare it with', async () => {
    await expect(buildBaseline(arrayRowSource(data), { labelColumn: 'truth', predictionColumn: 'prediction' })).rejects.toThrow(/--label-column needs the model's prediction and confidence/);
    await expect(buildBaseline(arrayRowSource(data), { ...options, labelColumn: 'nope' })).rejects.toThrow(/--label-column names column 'nope'/);
    await expect(buildBaseline(arrayRowSource(data), { ...options, labelColumn: 'prediction' })).rejects.toThrow(/named by both --prediction-column and --label-column/);
  });

  it('a baseline file whose performance block does not fit its features is refused, naming the field', async () => {
    const profile = (await buildBaseline(arrayRowSource(data), options)).profile;
    const broken = (change: (p: NonNullable<typeof profile.performance>) => void): unknown => {
      const copy = structuredClone(profile);
      change(copy.performance!);
      return copy;
    };
    const cases: [unknown, RegExp, string][] = [
      [broken((p) => { p.calibration.total = p.calibration.total.slice(1); p.calibration.correct = p.calibration.correct.slice(1); }), /expected 13 bins/, 'performance.calibration'],
      [broken((p) => { p.calibration.correct[3] = p.calibration.total[3]! + 1; }), /none above its total/, 'performance.calibration'],
      [broken((p) => { p.labelled += 1; }), /sum to labelled and correct/, 'performance.calibration'],
      [broken((p) => { p.confidenceFeature = 'x'; }), /'x' is not a numeric confidence feature/, 'performance.confidenceFeature'],
      [broken((p) => { p.predictionFeature = 'confidence'; }), /'confidence' is not a prediction feature/, 'performance.predictionFeature'],
    ];
    for (const [document, message, field] of cases) {
      let thrown: unknown;
      try {
        parseBaseline(document, 'b.json');
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(DwError);
      const e = thrown as DwError;
      expect([e.code, e.location.field]).toEqual(['DW_ERR_BASELINE_SCHEMA', field]);
      expect(e.message).toMatch(message);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { buildBaseline } from '../../../../shared/offline/baseline/build-baseline.js';
import { DwError } from '../../../../shared/platform/errors.js';
import { arrayRowSource } from '../../../../shared/offline/input/row-source.js';
import type { CategoricalFeatureProfile, NumericFeatureProfile } from '../../../../shared/core/profile/baseline-profile.js';
import { normalValues } from '../../../helpers/normal-rows.js';

const numericOf = (profile: { features: unknown[] }, name: string): NumericFeatureProfile =>
  (profile.features as NumericFeatureProfile[]).find((f) => f.name === name)!;
const categoricalOf = (profile: { features: unknown[] }, name: string): CategoricalFeatureProfile =>
  (profile.features as CategoricalFeatureProfile[]).find((f) => f.name === name)!;

describe('buildBaseline', () => {
  describe('numeric features', () => {
    const xs = normalValues(20_000, 7);
    const rows = xs.map((x, i) => ({ x: i % 50 === 0 ? null : x }));

    it('puts about a tenth of the rows in each of 10 quantile bins, none in the tails', async () => {
      const { profile } = await buildBaseline(arrayRowSource(rows), {});
      const f = numericOf(profile, 'x');
      expect(f.edges).toHaveLength(11);
      const present = rows.length - rows.length / 50;
      const interior = f.counts.slice(1, 11);
      for (const c of interior) expect(Math.abs(c / present - 0.1)).toBeLessThan(0.01);
      expect(f.counts[0]).toBe(0);
      expect(f.counts[11]).toBe(0);
      expect(f.counts[12]).toBe(rows.length / 50); // missing
      expect(profile.rowCount).toBe(rows.length);
    });

    it('records the exact range, mean and population standard deviation', async () => {
      const { profile } = await buildBaseline(arrayRowSource(rows), {});
      const f = numericOf(profile, 'x');
      const present = rows.map((r) => r.x).filter((x): x is number => x !== null);
      const mean = present.reduce((s, x) => s + x, 0) / present.length;
      const variance = present.reduce((s, x) => s + (x - mean) ** 2, 0) / present.length;
      expect(f.edges[0]).toBe(Math.min(...present));
      expect(f.edges.at(-1)).toBe(Math.max(...present));
      expect(f.mean).toBeCloseTo(mean, 10);
      expect(f.std).toBeCloseTo(Math.sqrt(variance), 10);
    });

    it('honours --bins', async () => {
      const { profile } = await buildBaseline(arrayRowSource(rows), { bins: 4 });
      expect(numericOf(profile, 'x').edges).toHaveLength(5);
    });

    it('merges tied quantiles so that no interior bin is empty', async () => {
      const zeroHeavy = xs.map((x, i) => ({ y: i % 10 < 7 ? 0 : Math.abs(x) + 0.5 }));
      const { profile } = await buildBaseline(arrayRowSource(zeroHeavy), {});
      const f = numericOf(profile, 'y');
      expect(f.edges.length).toBeLessThan(11);
      const interior = f.counts.slice(1, f.counts.length - 2);
      expect(interior.every((c) => c > 0)).toBe(true);
      expect(interior[0]).toBeGreaterThanOrEqual(0.7 * zeroHeavy.length);
    });
  });

  describe('categorical features', () => {
    it('keeps the top-K categories by count and puts the rest in "other"', async () => {
      const rows = Array.from({ length: 1000 }, (_, i) => ({ c: `v${i % 30 < 20 ? i % 5 : 5 + (i % 25)}` }));
      const { profile } = await buildBaseline(arrayRowSource(rows), { topK: 3 });
      const f = categoricalOf(profile, 'c');
      expect(f.type).toBe('categorical');
      expect(f.categories).toHaveLength(3);
      const counts = new Map<string, number>();
      for (const r of rows) counts.set(r.c, (counts.get(r.c) ?? 0) + 1);
      const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 3);
      expect(f.categories).toEqual(top.map(([k]) => k));
      expect(f.counts.slice(0, 3)).toEqual(top.map(([, v]) => v));
      expect(f.counts[3]).toBe(1000 - top.reduce((s, [, v]) => s + v, 0));
    });

    it('detects strings, booleans and integer columns with few values as categorical', async () => {
      const rows = Array.from({ length: 200 }, (_, i) => ({ s: ['a', 'b'][i % 2], b: i % 3 === 0, k: i % 4, x: i * 1.5 }));
      const { profile } = await buildBaseline(arrayRowSource(rows), {});
      expect(profile.features.map((f) => [f.name, f.type])).toEqual([
        ['s', 'categorical'], ['b', 'categorical'], ['k', 'categorical'], ['x', 'numeric'],
      ]);
      expect(categoricalOf(profile, 'k').categories.sort()).toEqual(['0', '1', '2', '3']);
    });

    it('lets --numeric and --categorical override the detection', async () => {
      const rows = Array.from({ length: 200 }, (_, i) => ({ k: i % 4, x: i * 1.5 }));
      const { profile } = await buildBaseline(arrayRowSource(rows), { numeric: ['k'], categorical: ['x'] });
      expect(profile.features.map((f) => f.type)).toEqual(['numeric', 'categorical']);
      expect(categoricalOf(profile, 'x').categories).toHaveLength(20);
    });
  });

  describe('prediction signals', () => {
    it('derives confidence, predicted class and entropy from a probability vector', async () => {
      const rows = Array.from({ length: 300 }, (_, i) => {
        const p = 0.51 + (i % 49) / 100; // never a tie
        return { x: i, probs: i % 3 === 0 ? [p, 1 - p] : [1 - p, p] };
      });
      const { profile } = await buildBaseline(arrayRowSource(rows), { probabilityColumn: 'probs' });
      expect(profile.features.map((f) => [f.name, f.role, f.type])).toEqual([
        ['x', 'input', 'numeric'],
        ['probs.confidence', 'confidence', 'numeric'],
        ['probs.predicted_class', 'prediction', 'categorical'],
        ['probs.entropy', 'entropy', 'numeric'],
      ]);
      const cls = categoricalOf(profile, 'probs.predicted_class');
      expect(cls.categories).toEqual(['1', '0']);
      expect(cls.counts.slice(0, 2)).toEqual([200, 100]);
      const conf = numericOf(profile, 'probs.confidence');
      expect(conf.edges[0]).toBe(0.51);
      expect(conf.edges.at(-1)).toBeCloseTo(0.99, 12);
      const entropy = numericOf(profile, 'probs.entropy');
      expect(entropy.edges.at(-1)).toBeCloseTo(-(0.51 * Math.log(0.51) + 0.49 * Math.log(0.49)), 12);
    });

    it('uses confidence and prediction columns as given', async () => {
      const rows = Array.from({ length: 100 }, (_, i) => ({ x: i, conf: 0.5 + i / 200, label: i % 2 ? 'yes' : 'no' }));
      const { profile } = await buildBaseline(arrayRowSource(rows), { confidenceColumn: 'conf', predictionColumn: 'label' });
      expect(profile.features.map((f) => [f.name, f.role, f.type])).toEqual([
        ['x', 'input', 'numeric'], ['conf', 'confidence', 'numeric'], ['label', 'prediction', 'categorical'],
      ]);
    });
  });

  describe('bad input', () => {
    it('rejects an empty input', async () => {
      await expect(buildBaseline(arrayRowSource([]), {})).rejects.toMatchObject({ code: 'DW_ERR_INPUT_EMPTY' });
    });

    it('names the line and field of a text value in a numeric column', async () => {
      const rows = Array.from({ length: 100 }, (_, i) => ({ x: i === 41 ? 'oops' : i }));
      const err = await buildBaseline(arrayRowSource(rows), {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DwError);
      expect((err as DwError).code).toBe('DW_ERR_INPUT_VALUE');
      expect((err as DwError).location).toEqual({ file: '(memory)', line: 42, field: 'x' });
      expect((err as DwError).message).toContain("'oops'");
    });

    it('skips such rows with --on-error skip and says how many', async () => {
      const rows = Array.from({ length: 100 }, (_, i) => ({ x: i === 41 ? 'oops' : i }));
      const result = await buildBaseline(arrayRowSource(rows), { onError: 'skip' });
      expect(result.profile.rowCount).toBe(99);
      expect(result.skippedRows).toBe(1);
      expect(result.warnings.join('\n')).toContain('1 row(s) skipped');
    });

    it('rejects options naming columns the input does not have', async () => {
      await expect(buildBaseline(arrayRowSource([{ x: 1 }]), { categorical: ['nope'] }))
        .rejects.toThrow(/--categorical names column 'nope'/);
    });

    it('rejects a column named by two conflicting options', async () => {
      await expect(buildBaseline(arrayRowSource([{ x: 1 }]), { numeric: ['x'], categorical: ['x'] }))
        .rejects.toThrow(/both --numeric and --categorical/);
    });

    it('leaves out a column of nested objects in skip mode, and fails on it by default', async () => {
      const rows = Array.from({ length: 60 }, (_, i) => ({ x: i, meta: { a: i } }));
      await expect(buildBaseline(arrayRowSource(rows), {})).rejects.toThrow(/--exclude meta/);
      const { profile, warnings } = await buildBaseline(arrayRowSource(rows), { onError: 'skip' });
      expect(profile.features.map((f) => f.name)).toEqual(['x']);
      expect(warnings.join('\n')).toContain("column 'meta' left out");
    });

    it('leaves out a column that is always missing', async () => {
      const { profile, warnings } = await buildBaseline(arrayRowSource([{ x: 1, y: null }, { x: 2, y: '' }]), {});
      expect(profile.features.map((f) => f.name)).toEqual(['x']);
      expect(warnings).toContain("column 'y' left out: it has no values");
    });
  });
});

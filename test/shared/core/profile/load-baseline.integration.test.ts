import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBaseline } from '../../../../shared/offline/baseline/build-baseline.js';
import { arrayRowSource } from '../../../../shared/offline/input/row-source.js';
import { loadBaseline } from '../../../../shared/core/profile/load-baseline.js';

const dir = mkdtempSync(join(tmpdir(), 'dw-baseline-'));
const { profile } = await buildBaseline(arrayRowSource(Array.from({ length: 100 }, (_, i) => ({ x: i, c: `k${i % 3}` }))), {});

function write(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('loadBaseline', () => {
  it('round-trips a built profile', () => {
    expect(loadBaseline(write('ok.json', profile))).toEqual(profile);
  });
  it('accepts a newer minor of its own major only', () => {
    expect(() => loadBaseline(write('v2.json', { ...profile, schemaVersion: '2.0' }))).toThrow(
      expect.objectContaining({ code: 'DW_ERR_BASELINE_VERSION' }) as Error,
    );
    expect(() => loadBaseline(write('v19.json', { ...profile, schemaVersion: '1.9' }))).toThrow(/1\.9/);
  });
  it('names the JSON path of a schema violation', () => {
    const bad = structuredClone(profile);
    (bad.features[0] as { edges: number[] }).edges = [3, 2, 1];
    let err: { code?: string; location?: { field?: string } } = {};
    try {
      loadBaseline(write('bad.json', bad));
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.code).toBe('DW_ERR_BASELINE_SCHEMA');
    expect(err.location?.field).toMatch(/^features\.0\.(counts|edges)/);
  });
  it('rejects counts that do not sum to the row count', () => {
    const bad = structuredClone(profile);
    bad.features[1]!.counts[0]! += 1;
    expect(() => loadBaseline(write('sum.json', bad))).toThrow(/sum to 101, rowCount is 100/);
  });
  it('still loads a 1.0 file (no projections) written before schema 1.1', () => {
    const { projections, ...rest } = profile;
    expect(projections).toEqual([]);
    expect(loadBaseline(write('v10.json', { ...rest, schemaVersion: '1.0' })).projections).toEqual([]);
  });
  it('checks that a projection and the features derived from it fit together', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => ({ a: i, b: (i * 7) % 13, c: Math.sin(i) }));
    const { profile: mv } = await buildBaseline(arrayRowSource(rows), {});
    expect(mv.projections).toHaveLength(1);
    const shortCenter = structuredClone(mv);
    shortCenter.projections[0]!.center.pop();
    expect(() => loadBaseline(write('center.json', shortCenter))).toThrow(expect.objectContaining({ location: expect.objectContaining({ field: 'projections.0.center' }) as object }) as Error);
    const allAxes = structuredClone(mv);
    allAxes.projections[0]!.components = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
    expect(() => loadBaseline(write('axes.json', allAxes))).toThrow(/keep fewer than 3 components/);
    const orphan = structuredClone(mv);
    orphan.projections[0]!.name = 'renamed';
    expect(() => loadBaseline(write('orphan.json', orphan))).toThrow(/no projection named 'multivariate'/);
    const unknownInput = structuredClone(mv);
    unknownInput.projections[0]!.inputs![0] = 'nope';
    expect(() => loadBaseline(write('input.json', unknownInput))).toThrow(/'nope' is not an input feature/);
  });
  it('rejects unknown fields, non-JSON and other documents', () => {
    expect(() => loadBaseline(write('extra.json', { ...profile, surprise: 1 }))).toThrow(/surprise/);
    expect(() => loadBaseline(write('text.json', 'not json'))).toThrow(/not valid JSON/);
    expect(() => loadBaseline(write('other.json', { hello: 1 }))).toThrow(/not a driftwatch baseline/);
    expect(() => loadBaseline(join(dir, 'absent.json'))).toThrow(/ENOENT/);
  });
});

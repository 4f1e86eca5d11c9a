import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBaseline } from '../../../shared/baseline/build-baseline.js';
import { arrayRowSource } from '../../../shared/input/row-source.js';
import { loadBaseline } from '../../../shared/profile/load-baseline.js';

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
  it('rejects unknown fields, non-JSON and other documents', () => {
    expect(() => loadBaseline(write('extra.json', { ...profile, surprise: 1 }))).toThrow(/surprise/);
    expect(() => loadBaseline(write('text.json', 'not json'))).toThrow(/not valid JSON/);
    expect(() => loadBaseline(write('other.json', { hello: 1 }))).toThrow(/not a driftwatch baseline/);
    expect(() => loadBaseline(join(dir, 'absent.json'))).toThrow(/ENOENT/);
  });
});

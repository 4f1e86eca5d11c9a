import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ProfileCounter } from '../../../../shared/core/aggregation/profile-counter.js';
import type { InputRecord } from '../../../../shared/core/aggregation/read-source.js';
import type { BaselineProfile, FeatureProfile } from '../../../../shared/core/profile/baseline-profile.js';
import { buildBaseline } from '../../../../shared/offline/baseline/build-baseline.js';
import { EngineSession } from '../../../../shared/offline/engine/duckdb-session.js';
import { hasDigitSeparators, typedCsvScan } from '../../../../shared/offline/engine/typed-csv-scan.js';
import { fileRowSource } from '../../../../shared/offline/input/file-row-source.js';
import { arrayRowSource } from '../../../../shared/offline/input/row-source.js';
import type { DwError } from '../../../../shared/platform/errors.js';
import { ensurePythonVenv, readRequirements } from '../../../../scripts/lib/python-venv.js';
import { QUANTILE_TRAIN, expectEdgesInNumpyBands, quantileReference } from '../../../helpers/quantile-bands.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/', import.meta.url));
const TRAIN = QUANTILE_TRAIN;
const reference = quantileReference;
const dir = mkdtempSync(join(tmpdir(), 'dw-engine-'));

async function records(path: string): Promise<InputRecord[]> {
  const out: InputRecord[] = [];
  for await (const { record } of fileRowSource(path).rows()) out.push(record);
  return out;
}

function feature(profile: BaselineProfile, name: string): FeatureProfile {
  const f = profile.features.find((x) => x.name === name);
  if (f === undefined) throw new Error(`no feature ${name}`);
  return f;
}

describe('baseline build on the columnar engine (DuckDB)', () => {
  it('puts every numeric edge on NumPy\'s exact decile (the streaming builder\'s within its ±0.5 % rank band)', async () => {
    const engine = (await buildBaseline(fileRowSource(TRAIN), { multivariate: false })).profile;
    const streaming = (await buildBaseline(arrayRowSource(await records(TRAIN)), { multivariate: false })).profile;
    expect(engine.rowCount).toBe(reference.rows);
    for (const name of Object.keys(reference.columns)) {
      expectEdgesInNumpyBands(feature(engine, name));
      expectEdgesInNumpyBands(feature(streaming, name));
      // Up to 100 000 rows the engine's quantiles are exact: each interior edge is one of NumPy's deciles.
      const edges = (feature(engine, name) as FeatureProfile & { type: 'numeric' }).edges;
      for (const edge of edges.slice(1, -1)) expect(reference.columns[name]!.quantiles.some((q) => Math.abs(q - edge) <= 1e-12 * Math.max(1, Math.abs(q))), `${name} ${edge}`).toBe(true);
    }
    const region = feature(engine, 'region');
    expect(region.type === 'categorical' && Object.fromEntries(region.categories.map((c, i) => [c, region.counts[i]]))).toEqual(reference.region);
  });

  it('counts exactly what the streaming builder counts into the same bins, and fits the same projection with one thread', async () => {
    const engine = (await buildBaseline(fileRowSource(TRAIN), { threads: 1 })).profile;
    const streaming = (await buildBaseline(arrayRowSource(await records(TRAIN)), {})).profile;
    expect(engine.features.map((f) => `${f.name}:${f.type}`)).toEqual(streaming.features.map((f) => `${f.name}:${f.type}`));
    // The streaming builder's counter, over the engine's own bins, is an independent count.
    const columnFeatures = engine.features.filter((f) => 'column' in f.source);
    const counter = new ProfileCounter(columnFeatures);
    for (const record of await records(TRAIN)) expect(counter.add(record)).toBeUndefined();
    expect(counter.n).toBe(engine.rowCount);
    columnFeatures.forEach((f, i) => expect(Array.from(counter.counts[i]!), f.name).toEqual(f.counts));
    const [fitted, streamed] = [engine.projections[0]!, streaming.projections[0]!];
    expect(fitted.inputs).toEqual(streamed.inputs);
    expect(fitted.rowCount).toBe(streamed.rowCount);
    expect(fitted.heldOutRows).toBe(streamed.heldOutRows);
    fitted.center.forEach((c, i) => expect(c).toBeCloseTo(streamed.center[i]!, 9));
    fitted.eigenvalues.forEach((e, i) => expect(e).toBeCloseTo(streamed.eigenvalues[i]!, 9));
    const error = feature(engine, 'multivariate.reconstruction_error');
    const errorStreamed = feature(streaming, 'multivariate.reconstruction_error');
    if (error.type !== 'numeric' || errorStreamed.type !== 'numeric') throw new Error('not numeric');
    expect(error.edges[0]).toBeCloseTo(errorStreamed.edges[0]!, 9);
    expect(error.edges[error.edges.length - 1]).toBeCloseTo(errorStreamed.edges[errorStreamed.edges.length - 1]!, 9);
    expect(error.mean).toBeCloseTo(errorStreamed.mean, 9);
  });

  it('fits on every k-th row of each half beyond 2 × fitRows, the same rows as the streaming builder', async () => {
    // 20 000 rows, fitRows 3 000: stride 2·⌈20 000 / 6 000⌉ = 8, so 2 500 fitted and 2 500 held-out rows.
    const engine = (await buildBaseline(fileRowSource(TRAIN), { threads: 1, fitRows: 3000 })).profile;
    const streaming = (await buildBaseline(arrayRowSource(await records(TRAIN)), { fitRows: 3000 })).profile;
    const [fitted, streamed] = [engine.projections[0]!, streaming.projections[0]!];
    expect([fitted.rowCount, fitted.heldOutRows]).toEqual([2500, 2500]);
    expect([streamed.rowCount, streamed.heldOutRows]).toEqual([2500, 2500]);
    fitted.center.forEach((c, i) => expect(c).toBeCloseTo(streamed.center[i]!, 9));
    fitted.eigenvalues.forEach((e, i) => expect(e).toBeCloseTo(streamed.eigenvalues[i]!, 9));
    // The same held-out rows: the same errors (their deciles differ by the quantile method: exact here, a t-digest there).
    const error = feature(engine, 'multivariate.reconstruction_error');
    const errorStreamed = feature(streaming, 'multivariate.reconstruction_error');
    if (error.type !== 'numeric' || errorStreamed.type !== 'numeric') throw new Error('not numeric');
    expect(error.counts.reduce((a, b) => a + b)).toBe(2500);
    expect(error.mean).toBeCloseTo(errorStreamed.mean, 9);
    expect(error.edges[0]).toBeCloseTo(errorStreamed.edges[0]!, 9);
    expect(error.edges.at(-1)).toBeCloseTo(errorStreamed.edges.at(-1)!, 9);
  });

  // x: numbers in several spellings, infinities, missing spellings; c: labels and numeric labels
  // in two spellings. With "1_000" among the labels (a number to DuckDB's reader, text to
  // JavaScript) the file is read as text; without, x goes through the typed reader: the spellings
  // come after the 20 480 rows DuckDB's sniffer looks at (which would call x text for them).
  const xs = [' 2.5 ', '+1e1', '.5', 'inf', '-Infinity', 'INFINITY', 'NaN', 'NA', 'n/a', 'None', '', 'null', '3.', '-0.25', '7', '1.5e-3'];
  const spellings = (labels: string[]): string[] => ['x,c',
    ...Array.from({ length: 21_000 }, (_, i) => `${(i % 97) / 4},${labels[(i * 3) % labels.length]}`),
    ...Array.from({ length: 640 }, (_, i) => `${xs[i % xs.length]!.includes(' ') ? `"${xs[i % xs.length]}"` : xs[i % xs.length]},${labels[(i * 7) % labels.length]}`)];
  // Labels starting with a letter other than i or n are text at a glance (typed-table.ts); e5, Zq and Inf test that glance.
  const textRead = ['a', 'b', '1.0', '01', '1_000', 'none', 'B', ' a', '2', 'a', 'e5', 'Zq', 'Inf'];
  const typedRead = ['a', 'b', '1.0', '01', 'x_y', 'none', 'B', ' a', '2', 'a', 'e5', 'Zq', 'Inf'];

  it.each([['read as text', textRead, false], ['read typed', typedRead, true]] as const)('reads every spelling of a number, a missing value and a label as value-coercion.ts does (%s)', async (_, labels, typed) => {
    const path = join(dir, `spellings-${typed}.csv`);
    writeFileSync(path, `${spellings([...labels]).join('\n')}\n`);
    const session = await EngineSession.open({ memoryMiB: 256 });
    try {
      const scan = await typedCsvScan(session, [path], { path, format: 'csv' });
      expect(hasDigitSeparators(path, true)).toBe(!typed);
      // The typed reader reads every row of it (the build does not fall back to text).
      if (typed) expect(await session.rows(`SELECT count(x) AS n FROM ${scan!.scan} WHERE typeof(x) = 'DOUBLE'`)).toEqual([{ n: 21_000 + 11 * 40 }]); // NaN too: it is made missing after
    } finally {
      session.close();
    }
    const engine = (await buildBaseline(fileRowSource(path), { multivariate: false, threads: 1 })).profile;
    const streaming = (await buildBaseline(arrayRowSource(await records(path)), { multivariate: false })).profile;
    const x = feature(engine, 'x');
    const c = feature(engine, 'c');
    expect([x.type, c.type]).toEqual([feature(streaming, 'x').type, feature(streaming, 'c').type]);
    if (c.type !== 'categorical') throw new Error('c is not categorical');
    expect(c.categories).toEqual((feature(streaming, 'c') as typeof c).categories);
    expect(c.categories).toContain(labels[4]);
    const counter = new ProfileCounter([x, c]);
    for (const record of await records(path)) expect(counter.add(record)).toBeUndefined();
    expect(Array.from(counter.counts[0]!)).toEqual(x.counts);
    expect(Array.from(counter.counts[1]!)).toEqual(c.counts);
    // 3 of 16 spellings are infinite, 5 missing (NaN, NA, n/a, None, empty, null: 6).
    expect(x.counts[0]! + x.counts[x.counts.length - 2]!).toBe(3 * 40);
    expect(x.counts[x.counts.length - 1]).toBe(6 * 40);
  });

  it('falls back to the text read where the typed reader would differ or fail', async () => {
    const session = await EngineSession.open({ memoryMiB: 256 });
    try {
      // A digit separator straddling the 1 MiB read boundary is still seen.
      const big = join(dir, 'straddle.csv');
      const head = 'x,c\n';
      const filler = 'y'.repeat((1 << 20) - head.length - 1);
      writeFileSync(big, `${head}${filler}1_2,a\n`);
      expect(hasDigitSeparators(big, true)).toBe(true);
      writeFileSync(big, `${head}${filler}1,2_a\n`);
      expect(hasDigitSeparators(big, true)).toBe(false);
      // In the header only: not a value.
      writeFileSync(big, 'x1_2,c\n1,a\n');
      expect(hasDigitSeparators(big, true)).toBe(false);
      // A mixed-case missing spelling late in a numeric column fails the typed read; the build still reads it as missing.
      const late = join(dir, 'late.csv');
      writeFileSync(late, `x\n${Array.from({ length: 30_000 }, (_, i) => (i === 29_000 ? 'nA' : String(i % 17))).join('\n')}\n`);
      expect((await typedCsvScan(session, [late], { path: late, format: 'csv' }))?.columns).toEqual([{ name: 'x', type: 'DOUBLE' }]);
      const { profile } = await buildBaseline(fileRowSource(late), { multivariate: false });
      const x = feature(profile, 'x');
      expect(x.counts[x.counts.length - 1]).toBe(1);
      expect(profile.rowCount).toBe(30_000);
    } finally {
      session.close();
    }
  });
});

describe('baseline build from Parquet, globs and hive-partitioned folders', () => {
  const twins = join(dir, 'twins');
  beforeAll(async () => {
    const venv = await ensurePythonVenv('parquet-writer', readRequirements(join(FIXTURES, 'parquet', 'requirements.txt')));
    const run = spawnSync(venv.python, [join(FIXTURES, 'parquet', 'write_twins.py'), TRAIN, twins, 'region'], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`write_twins.py failed: ${run.stderr}`);
  }, 900_000);

  it('builds from a Parquet file the baseline its CSV twin gives', async () => {
    const csv = (await buildBaseline(fileRowSource(TRAIN), { threads: 1 })).profile;
    const parquet = (await buildBaseline(fileRowSource(join(twins, 'train.parquet')), { threads: 1 })).profile;
    expect(parquet.source).toEqual({ file: 'train.parquet', format: 'parquet' });
    expect(parquet.rowCount).toBe(csv.rowCount);
    expect(parquet.features).toEqual(csv.features);
    expect(parquet.projections).toEqual(csv.projections);
  });

  it('reads a hive-partitioned folder (the partition key a column) and a glob of CSV parts', async () => {
    const csv = (await buildBaseline(fileRowSource(TRAIN), { multivariate: false })).profile;
    for (const input of [join(twins, 'hive'), join(twins, 'part-*.csv')]) {
      const { profile } = await buildBaseline(fileRowSource(input), { multivariate: false });
      expect(profile.rowCount, input).toBe(reference.rows);
      const region = feature(profile, 'region');
      expect(region.type === 'categorical' && Object.fromEntries(region.categories.map((c, i) => [c, region.counts[i]]))).toEqual(reference.region);
      for (const name of Object.keys(reference.columns)) {
        expectEdgesInNumpyBands(feature(profile, name));
        expect(feature(profile, name).counts.reduce((a, b) => a + b, 0)).toBe(feature(csv, name).counts.reduce((a, b) => a + b, 0));
      }
    }
  });

  it('reads the rows of a Parquet file for scoring, numbering them', async () => {
    const rows: { line: number; record: InputRecord }[] = [];
    for await (const row of fileRowSource(join(twins, 'train.parquet')).rows()) rows.push(row);
    const fromCsv = await records(TRAIN);
    expect(rows).toHaveLength(fromCsv.length);
    expect(rows[0]!.line).toBe(1);
    expect(rows[1]!.record.normal).toBe(Number(fromCsv[1]!.normal));
    expect(rows[1]!.record.region).toBe(fromCsv[1]!.region);
  });
});

describe('bad input on the engine: the row reader names the line, skip mode loses nothing else', () => {
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const jsonl = (lines: string[]): string => `${lines.join('\n')}\n`;
  const good = Array.from({ length: 40 }, (_, i) => JSON.stringify({ x: i % 7, y: (i * 13) % 11 + 0.5, z: ['a', 'b', 'c'][i % 3] }));

  it('names the line of malformed JSON, or reports and skips it', async () => {
    const path = write('bad.jsonl', jsonl([...good.slice(0, 5), '{"x": 1, "y":', ...good.slice(5)]));
    await expect(buildBaseline(fileRowSource(path), {})).rejects.toMatchObject({ code: 'DW_ERR_INPUT_ROW', location: { line: 6 } });
    const problems: DwError[] = [];
    const { profile } = await buildBaseline(fileRowSource(path, { onError: 'skip', onProblem: (p) => problems.push(p) }), { onError: 'skip' });
    expect(problems.map((p) => p.location?.line)).toEqual([6]);
    expect(profile.rowCount).toBe(40);
  });

  it('names the line and field of a text value in a numeric column, or skips that row only', async () => {
    const path = write('text.jsonl', jsonl([...good.slice(0, 30), JSON.stringify({ x: 1, y: 'oops', z: 'a' }), ...good.slice(30)]));
    await expect(buildBaseline(fileRowSource(path), {})).rejects.toMatchObject({
      code: 'DW_ERR_INPUT_VALUE', message: expect.stringContaining("text value 'oops' in numeric feature") as string, location: { line: 31, field: 'y' },
    });
    const problems: DwError[] = [];
    const result = await buildBaseline(fileRowSource(path), { onError: 'skip' }, { onProblem: (p) => problems.push(p) });
    expect(problems.map((p) => [p.location?.line, p.location?.field])).toEqual([[31, 'y']]);
    expect(result.skippedRows).toBe(1);
    expect(result.profile.rowCount).toBe(40);
  });

  it('names the line of a nested value, and leaves its column out in skip mode', async () => {
    const path = write('nested.jsonl', jsonl([...good.slice(0, 12), JSON.stringify({ x: 1, y: 2.5, z: { deep: true } }), ...good.slice(12)]));
    await expect(buildBaseline(fileRowSource(path), {})).rejects.toMatchObject({ code: 'DW_ERR_INPUT_VALUE', location: { line: 13, field: 'z' } });
    const { profile, warnings } = await buildBaseline(fileRowSource(path), { onError: 'skip' });
    expect(profile.features.map((f) => f.name)).not.toContain('z');
    expect(warnings).toContain("column 'z' left out: it holds nested values");
  });

  it('names the line of a CSV row with the wrong number of fields, or skips it', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `${i % 5},${(i * 7) % 9}.25,${['p', 'q'][i % 2]}`);
    const path = write('ragged.csv', `a,b,c\n${rows.slice(0, 9).join('\n')}\n1,2\n${rows.slice(9).join('\n')}\n`);
    await expect(buildBaseline(fileRowSource(path), {})).rejects.toMatchObject({ code: 'DW_ERR_INPUT_ROW', location: { line: 11 } });
    const problems: DwError[] = [];
    const { profile } = await buildBaseline(fileRowSource(path, { onError: 'skip', onProblem: (p) => problems.push(p) }), { onError: 'skip' });
    expect(problems.map((p) => p.location?.line)).toEqual([11]);
    expect(profile.rowCount).toBe(30);
  });
});

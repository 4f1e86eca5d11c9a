import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { ProfileCounter } from '../../../../shared/core/aggregation/profile-counter.js';
import type { BaselineProfile } from '../../../../shared/core/profile/baseline-profile.js';
import { profileFromAggregates } from '../../../../shared/offline/aggregates/assemble-profile.js';
import { readAggregateRows } from '../../../../shared/offline/aggregates/read-aggregates.js';
import { buildBaseline } from '../../../../shared/offline/baseline/build-baseline.js';
import { fileRowSource } from '../../../../shared/offline/input/file-row-source.js';
import { ensurePythonVenv, readRequirements } from '../../../../scripts/lib/python-venv.js';
import { QUANTILE_TRAIN, expectEdgesInNumpyBands } from '../../../helpers/quantile-bands.js';
import { runCli } from '../../../helpers/run-cli.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/', import.meta.url));
const TRAIN = QUANTILE_TRAIN;
const dir = mkdtempSync(join(tmpdir(), 'dw-sql-'));
const COLUMNS = ['--numeric', 'normal,skewed,counts,bimodal', '--categorical', 'region'];

function statement(dialect: string): string {
  const result = runCli(['baseline', 'sql', '--dialect', dialect, '--table', 'training', ...COLUMNS]);
  expect(result.status, result.stderr).toBe(0);
  const path = join(dir, `profile-${dialect}.sql`);
  writeFileSync(path, result.stdout);
  return path;
}

/** The direct build's profile (no multivariate check: aggregates have no rows to fit it on). */
let direct: BaselineProfile;
const records: Record<string, unknown>[] = [];
beforeAll(async () => {
  direct = (await buildBaseline(fileRowSource(TRAIN), { multivariate: false })).profile;
  for await (const { record } of fileRowSource(TRAIN).rows()) records.push(record);
});

/**
 * The profile from aggregates equals the direct build: the same features and categories with the
 * same counts, the same row count, mean and spread; numeric edges may differ by the engines'
 * quantile sketches, within NumPy's ±0.5 % rank band, and each bin's count is recounted over the
 * rows by the streaming counter.
 */
function expectLikeDirect(profile: BaselineProfile): void {
  expect(profile.rowCount).toBe(direct.rowCount);
  expect(profile.features.map((f) => `${f.name}:${f.type}`)).toEqual(direct.features.map((f) => `${f.name}:${f.type}`));
  const counter = new ProfileCounter(profile.features);
  for (const record of records) expect(counter.add(record)).toBeUndefined();
  profile.features.forEach((f, i) => {
    const d = direct.features[i]!;
    expect(Array.from(counter.counts[i]!), f.name).toEqual(f.counts);
    if (f.type === 'categorical' && d.type === 'categorical') {
      expect(f.categories).toEqual(d.categories);
      expect(f.counts).toEqual(d.counts);
    } else if (f.type === 'numeric' && d.type === 'numeric') {
      expect(f.edges[0]).toBe(d.edges[0]);
      expect(f.edges[f.edges.length - 1]).toBe(d.edges[d.edges.length - 1]);
      expect(f.mean).toBeCloseTo(d.mean, 9);
      expect(f.std).toBeCloseTo(d.std, 9);
      expect(f.counts[f.counts.length - 1]).toBe(d.counts[d.counts.length - 1]);
      expectEdgesInNumpyBands(f);
    }
  });
}

describe('baseline sql --dialect duckdb, run for real, then build --from-aggregates', () => {
  it('builds the direct build\'s baseline from the result of the printed statement', async () => {
    const sql = readFileSync(statement('duckdb'), 'utf8').trim().replace(/;$/, '');
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    // Every value as text, as a raw CSV table would be: the statement's casts read the numbers, and NA... are missing.
    await connection.run(`CREATE VIEW training AS SELECT * FROM read_csv('${TRAIN}', header=true, all_varchar=true)`);
    const out = join(dir, 'aggregates.csv');
    await connection.run(`COPY (${sql}) TO '${out}' (HEADER)`);
    connection.closeSync();
    db.closeSync();
    const built = join(dir, 'from-duckdb.json');
    const result = runCli(['baseline', 'build', '--from-aggregates', out, '--out', built]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain('no multivariate check');
    const profile = JSON.parse(readFileSync(built, 'utf8')) as BaselineProfile;
    expect(profile.source).toEqual({ file: 'aggregates.csv', format: 'sql-aggregates' });
    expectLikeDirect(profile);
  });
});

describe('baseline sql --dialect spark, run on Spark (PySpark, local mode)', () => {
  it('builds the direct build\'s baseline from Spark\'s result', async () => {
    const spark = await ensurePythonVenv('pyspark', readRequirements(join(FIXTURES, 'sql', 'requirements-spark.txt')));
    const parquetVenv = await ensurePythonVenv('parquet-writer', readRequirements(join(FIXTURES, 'parquet', 'requirements.txt')));
    const twins = join(dir, 'twins');
    const written = spawnSync(parquetVenv.python, [join(FIXTURES, 'parquet', 'write_twins.py'), TRAIN, twins, 'region'], { encoding: 'utf8' });
    expect(written.status, written.stderr).toBe(0);
    const out = join(dir, 'aggregates-spark.jsonl');
    const run = spawnSync(spark.python, [join(FIXTURES, 'sql', 'run_spark.py'), statement('spark'), join(twins, 'train.parquet'), out],
      { encoding: 'utf8', timeout: 600_000, env: { ...process.env, PYSPARK_PYTHON: spark.python } });
    expect(run.status, run.stderr.slice(-3000)).toBe(0);
    expectLikeDirect(profileFromAggregates(readAggregateRows(out), out, {}).profile);
  }, 1_200_000);
});

describe('baseline sql --dialect athena, parsed by sqlglot\'s Athena (Trino) dialect (no Athena runs here)', () => {
  it('is one statement of a branch per feature, calling Athena\'s functions', async () => {
    const venv = await ensurePythonVenv('sqlglot', readRequirements(join(FIXTURES, 'sql', 'requirements-sqlglot.txt')));
    const run = spawnSync(venv.python, [join(FIXTURES, 'sql', 'parse_athena.py'), statement('athena')], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const parsed = JSON.parse(run.stdout) as { selects: number; functions: string[] };
    expect(parsed.selects).toBe(5);
    // sqlglot names what it parsed in its own terms: Athena's approx_percentile is its approx_quantile, arbitrary its any_value.
    for (const fn of ['approx_quantile', 'any_value', 'count_if', 'json_format', 'map_agg', 'is_finite', 'try_cast']) expect(parsed.functions).toContain(fn);
    const text = readFileSync(statement('athena'), 'utf8');
    for (const spelling of ['approx_percentile(', 'arbitrary(', 'element_at(', 'infinity()']) expect(text).toContain(spelling);
    // A broken statement is refused: the check can fail.
    const broken = join(dir, 'broken.sql');
    writeFileSync(broken, readFileSync(statement('athena'), 'utf8').replace('UNION ALL', 'UNION ALL ALL SELECT FROM'));
    expect(spawnSync(venv.python, [join(FIXTURES, 'sql', 'parse_athena.py'), broken], { encoding: 'utf8' }).status).not.toBe(0);
  }, 600_000);
});

describe('bad aggregates', () => {
  it('names the line and field of a malformed row, and refuses rows of two tables', () => {
    const csv = join(dir, 'bad.csv');
    writeFileSync(csv, 'feature,role,kind,row_count,present,neg_inf,pos_inf,min_value,max_value,mean_value,std_value,quantiles,below,categories\n'
      + 'a,input,numeric,10,10,0,0,1,5,3,1,"[2,3,4]","[2,5,oops]",\n');
    expect(() => profileFromAggregates(readAggregateRows(csv), csv, {})).toThrow(expect.objectContaining({ code: 'DW_ERR_INPUT_VALUE', location: { file: csv, line: 1, field: 'below' } }) as Error);
    const two = join(dir, 'two.jsonl');
    writeFileSync(two, `${JSON.stringify({ feature: 'a', role: 'input', kind: 'categorical', row_count: 10, present: 10, neg_inf: 0, pos_inf: 0, categories: '{"x":10}' })}\n`
      + `${JSON.stringify({ feature: 'b', role: 'input', kind: 'categorical', row_count: 11, present: 11, neg_inf: 0, pos_inf: 0, categories: '{"y":11}' })}\n`);
    expect(() => profileFromAggregates(readAggregateRows(two), two, {})).toThrow(/row_count 11 differs/);
    const usage = runCli(['baseline', 'build', '--out', join(dir, 'x.json')]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('--input <file>, or --from-aggregates');
  });
});

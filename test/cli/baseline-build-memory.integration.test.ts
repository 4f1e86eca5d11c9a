import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededUniform } from '../../shared/core/stats/seeded-random.js';
import { runCli } from '../helpers/run-cli.js';

const HEAP_MIB = 32;
const ROWS = 150_000;
const dir = mkdtempSync(join(tmpdir(), 'dw-memory-'));
const csv = join(dir, 'train.csv');

beforeAll(async () => {
  const u = seededUniform(5);
  const out = createWriteStream(csv);
  out.write('a,b,c,d,e,f,g,h,region,channel\n');
  for (let i = 0; i < ROWS; i++) {
    const nums = Array.from({ length: 8 }, (_, j) => (u() * (j + 1)).toFixed(4));
    if (!out.write(`${nums.join(',')},r${Math.floor(u() * 4)},c${Math.floor(u() * 3)}\n`)) {
      await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
});

describe('driftwatch baseline build memory', () => {
  it(`cannot hold this input in a ${HEAP_MIB} MiB heap (control)`, () => {
    const hold = spawnSync(process.execPath, [`--max-old-space-size=${HEAP_MIB}`, '-e',
      `globalThis.rows = require('fs').readFileSync(${JSON.stringify(csv)}, 'utf8').split('\\n').map((l) => l.split(','));`],
    { encoding: 'utf8' });
    expect(hold.status).not.toBe(0);
  });

  it(`streams it through a ${HEAP_MIB} MiB heap`, () => {
    const out = join(dir, 'baseline.json');
    const result = runCli(['baseline', 'build', '--input', csv, '--out', out], undefined, [`--max-old-space-size=${HEAP_MIB}`]);
    // The multivariate passes too: their memory grows with the features, not the rows.
    expect(result.stderr).toContain(`${ROWS} rows, 11 features; PCA: multivariate`);
    expect(result.status).toBe(0);
    expect((JSON.parse(readFileSync(out, 'utf8')) as { rowCount: number }).rowCount).toBe(ROWS);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { DwError } from '../../../../shared/platform/errors.js';
import { fileRowSource } from '../../../../shared/offline/input/file-row-source.js';
import type { InputRow } from '../../../../shared/offline/input/row-source.js';

const dir = mkdtempSync(join(tmpdir(), 'dw-input-'));
function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
async function collect(path: string, options: Parameters<typeof fileRowSource>[1] = {}): Promise<InputRow[]> {
  const rows: InputRow[] = [];
  for await (const row of fileRowSource(path, options).rows()) rows.push(row);
  return rows;
}

describe('fileRowSource', () => {
  it('reads CSV rows with their line numbers, skipping a BOM and blank lines', async () => {
    const rows = await collect(file('a.csv', '\ufeffx,y\n1,a\n\n2,"b,c"\n'));
    expect(rows).toEqual([{ line: 2, record: { x: '1', y: 'a' } }, { line: 4, record: { x: '2', y: 'b,c' } }]);
  });

  it('stops at a CSV row with the wrong number of fields, naming its line', async () => {
    await expect(collect(file('bad.csv', 'x,y\n1,2\n3\n4,5\n'))).rejects.toMatchObject({
      code: 'DW_ERR_INPUT_ROW', location: { line: 3 },
    });
  });

  it('skips and reports such a row with onError skip', async () => {
    const problems: DwError[] = [];
    const rows = await collect(file('bad2.csv', 'x,y\n1,2\n3\n4,5\n'), { onError: 'skip', onProblem: (p) => problems.push(p) });
    expect(rows.map((r) => r.record.x)).toEqual(['1', '4']);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.location.line).toBe(3);
  });

  it('rejects a header with a duplicate column', async () => {
    await expect(collect(file('dup.csv', 'x,x\n1,2\n'))).rejects.toThrow(/names column 'x' twice/);
  });

  it('reads JSONL, naming the line of malformed JSON or a non-object', async () => {
    const path = file('a.jsonl', '{"x":1}\n\n{"x":\n[1,2]\n{"x":2}\n');
    await expect(collect(path)).rejects.toMatchObject({ code: 'DW_ERR_INPUT_ROW', location: { line: 3 } });
    const problems: DwError[] = [];
    const rows = await collect(path, { onError: 'skip', onProblem: (p) => problems.push(p) });
    expect(rows).toEqual([{ line: 1, record: { x: 1 } }, { line: 5, record: { x: 2 } }]);
    expect(problems.map((p) => [p.location.line, p.message])).toEqual([
      [3, expect.stringMatching(/malformed JSON/)],
      [4, 'expected a JSON object'],
    ]);
  });

  it('reads gzipped files and infers the inner format', async () => {
    const rows = await collect(file('z.jsonl.gz', gzipSync('{"x":1}\n{"x":2}\n')));
    expect(rows.map((r) => r.record.x)).toEqual([1, 2]);
  });

  it('fails up front on a missing file or an unknown extension', () => {
    expect(() => fileRowSource(join(dir, 'absent.csv'))).toThrow(expect.objectContaining({ code: 'DW_ERR_FILE_READ' }) as Error);
    expect(() => fileRowSource(file('a.xlsx', ''))).toThrow(expect.objectContaining({ code: 'DW_ERR_FILE_FORMAT' }) as Error);
  });

  it('reads a folder as hive-partitioned Parquet, and names a folder or glob with no such file', async () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    await expect(collect(empty)).rejects.toThrow(/no parquet file matches .*\*\*\/\*\.parquet/);
    await expect(collect(join(dir, 'none-*.csv'))).rejects.toMatchObject({ code: 'DW_ERR_FILE_READ' });
  });

  it('reports a corrupt gzip stream as a read error, not a crash', async () => {
    await expect(collect(file('bad.csv.gz', Buffer.from('not gzip at all')))).rejects.toMatchObject({ code: 'DW_ERR_FILE_READ' });
  });
});

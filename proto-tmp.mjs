import { DuckDBInstance } from '@duckdb/node-api';
const inst = await DuckDBInstance.create(':memory:');
const c = await inst.connect();
const show = async (q) => { try { const r = await c.runAndReadAll(q); console.log(q.slice(0,80), JSON.stringify(r.getRowObjectsJson())); } catch (e) { console.log('ERR', q.slice(0,60), e.message); } };
await show(`DESCRIBE SELECT * FROM read_json('/tmp/bb/t.jsonl', format='newline_delimited', maximum_depth=1)`);
await show(`SELECT rowid, *, json_type(a), json_type(d) FROM read_json('/tmp/bb/t.jsonl', format='newline_delimited', maximum_depth=1)`);
await show(`SELECT *, TRY_CAST(a AS DOUBLE) FROM read_csv('/tmp/bb/t.csv', header=true, all_varchar=true)`);
await show(`SELECT * FROM read_csv('/tmp/bb/t.csv', header=true, all_varchar=true, names=['p','q'])`);

import { DuckDBInstance } from '@duckdb/node-api';
const inst = await DuckDBInstance.create(':memory:');
const c = await inst.connect();
const T = async (label, q) => { try { const r = await c.runAndReadAll(q); console.log(label, JSON.stringify(r.getRowObjectsJson())); } catch (e) { console.log(label, 'ERR', e.message.slice(0, 200)); } };
await T('json ignore', `SELECT * FROM read_json('/tmp/bb/m.jsonl', format='newline_delimited', maximum_depth=1, ignore_errors=true)`);
await T('objects ignore', `SELECT json, json_type(json) FROM read_ndjson_objects('/tmp/bb/m.jsonl', ignore_errors=true)`);
await T('json strict', `SELECT * FROM read_json('/tmp/bb/m.jsonl', format='newline_delimited', maximum_depth=1)`);

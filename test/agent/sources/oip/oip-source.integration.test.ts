import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../../../helpers/agent-process.js';
import { exampleBaseline, exampleRows } from '../../../helpers/example-events.js';

/**
 * The OIP source wired into a running agent (issue 17, first slice): an inference server's
 * traffic through `sources.oip` counts into the same windows as the event API, the client sees the
 * server's bytes, and what cannot be read is counted by reason. The upstream here answers like
 * MLServer's scikit-learn runtime (a [N, F] FP64 input, `predict` out).
 */
const dir = mkdtempSync(join(tmpdir(), 'dw-oip-'));
const FEATURES = ['age', 'income', 'credit_utilization', 'num_accounts', 'tenure_months'];
const rows = exampleRows('loans-stable.csv').slice(0, 60);
let upstream: Server;
let agent: AgentProcess;
let proxyUrl: string;
let upstreamUrl: string;

function call(base: string, path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const inferBody = (batch: typeof rows): string => JSON.stringify({
  inputs: [{ name: 'input-0', shape: [batch.length, FEATURES.length], datatype: 'FP64', data: batch.flatMap((r) => FEATURES.map((f) => Number(r[f]))) }],
});

beforeAll(async () => {
  writeFileSync(join(dir, 'loans.json'), JSON.stringify(await exampleBaseline()));
  upstream = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('latin1')));
    req.on('end', () => {
      if (req.url === '/v2/models/failing/infer') {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"error":"boom"}');
        return;
      }
      let n = 0;
      try {
        // Triton's binary extension: the JSON header is the first Inference-Header-Content-Length bytes.
        const header = req.headers['inference-header-content-length'];
        const json = typeof header === 'string' ? Buffer.from(text, 'latin1').subarray(0, Number(header)).toString() : text;
        n = (JSON.parse(json) as { inputs: { shape: number[] }[] }).inputs[0]!.shape[0]!;
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end('{"error":"bad request"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ model_name: 'loans-sklearn', outputs: [{ name: 'predict', shape: [n], datatype: 'BYTES', data: Array.from({ length: n }, (_, i) => (i % 3 ? 'approve' : 'review')) }] }));
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  agent = await startAgent({
    models: [{ name: 'loans', baseline: join(dir, 'loans.json') }],
    api: { port: 0 },
    sinks: { file: { path: join(dir, 'payloads.ndjson') } },
    sources: { oip: { port: 0, upstream: upstreamUrl, models: [{ name: 'loans', serverModel: 'loans-sklearn', inputs: [{ tensor: 'input-0', columns: FEATURES }],
      outputs: [{ tensor: 'predict', role: 'label' }] }] } },
  }, { dir });
  proxyUrl = String(agent.logs.find((l) => l.msg === 'OIP proxy listening.')!.address);
});

afterAll(async () => {
  await agent?.stop();
  await new Promise((r) => upstream?.close(r));
});

describe('sources.oip in a running agent', () => {
  it('counts every row of the proxied requests into the model\'s window, and the client gets the server\'s answer', async () => {
    for (let i = 0; i < rows.length; i += 20) {
      const body = inferBody(rows.slice(i, i + 20));
      const direct = await call(upstreamUrl, '/v2/models/loans-sklearn/infer', body);
      const proxied = await call(proxyUrl, '/v2/models/loans-sklearn/infer', body);
      expect(proxied.status).toBe(200);
      expect(proxied.body).toBe(direct.body);
    }
    const deadline = Date.now() + 30_000;
    let events = 0;
    while (events < rows.length && Date.now() < deadline) {
      const status = (await agent.get('/v1/status')).body as { models: { openWindows: { events: number }[] }[] };
      events = status.models[0]!.openWindows.reduce((n, w) => n + w.events, 0);
      if (events < rows.length) await new Promise((r) => setTimeout(r, 50));
    }
    expect(events).toBe(rows.length);
  });

  it('forwards what it cannot count unchanged and counts it by reason', async () => {
    expect((await call(proxyUrl, '/v2/models/loans-sklearn/infer', 'not json')).body).toBe('{"error":"bad request"}');
    expect((await call(proxyUrl, '/v2/models/failing/infer', inferBody(rows.slice(0, 2)))).status).toBe(500);
    expect((await call(proxyUrl, '/v2/models/loans-sklearn/infer', JSON.stringify({ inputs: [{ name: 'other', shape: [1], datatype: 'FP64', data: [1] }] }))).status).toBe(200);
    const deadline = Date.now() + 30_000;
    let unread: Record<string, number> = {};
    while (Date.now() < deadline) {
      const status = (await agent.get('/v1/status')).body as { sources: { oip: { exchanges: number; events: number; unread: Record<string, number> } } };
      unread = status.sources.oip.unread;
      if (status.sources.oip.exchanges >= 6) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // 'not json' got the server's 400 (server_error); the failing model is not mapped (unmapped_model, before its 500 is looked at).
    expect(unread).toEqual({ server_error: 1, unmapped_model: 1, missing_tensor: 1 });
    expect(agent.logs.filter((l) => l.reason === 'server_error')).toHaveLength(1);
  });

  it("reads a request in Triton's binary tensor extension, and a path it cannot decode neither crashes it nor changes the answer", async () => {
    const before = ((await agent.get('/v1/status')).body as { sources: { oip: { events: number; exchanges: number } } }).sources.oip;
    const triton = (JSON.parse(readFileSync(new URL('../../../fixtures/triton-binary.json', import.meta.url), 'utf8')) as { cases: { body: string; headerLength: number }[] }).cases[0]!;
    const binary = await call(proxyUrl, '/v2/models/loans-sklearn/infer', Buffer.from(triton.body, 'base64'),
      { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(triton.headerLength) });
    expect(binary.status).toBe(200);
    const odd = await call(proxyUrl, '/v2/models/%E0%A4%A/infer', inferBody(rows.slice(0, 1)));
    expect(odd.body).toBe((await call(upstreamUrl, '/v2/models/%E0%A4%A/infer', inferBody(rows.slice(0, 1)))).body);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const oip = ((await agent.get('/v1/status')).body as { sources: { oip: { events: number; exchanges: number } } }).sources.oip;
      if (oip.exchanges === before.exchanges + 2 && oip.events === before.events + 4) break;
      if (Date.now() > deadline) throw new Error(`oip: ${JSON.stringify(oip)}, before ${JSON.stringify(before)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });
});

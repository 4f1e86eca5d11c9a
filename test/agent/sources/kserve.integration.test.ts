import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../../helpers/agent-process.js';
import { flushWhenCounted } from '../../helpers/counted-windows.js';
import { exampleBaseline, exampleRows } from '../../helpers/example-events.js';
import { startKserveAgent } from '../../helpers/kserve-agent.js';
import { startKserveServer } from '../../helpers/kserve-server.js';
import type { ServerProcess } from '../../helpers/python-server.js';

/**
 * KServe (issue 17), two ways: its Python model server behind the agent's proxy (the v1
 * protocol), and its InferenceService logger, run by KServe's own agent binary in front of the same
 * server and pointed at the agent's logger sink. A drifted replay gives, both ways, the same window
 * as posting the same rows and predictions to the event API; the proxy's responses are
 * byte-identical to direct calls.
 */
const dir = mkdtempSync(join(tmpdir(), 'dw-kserve-'));
const FEATURES = ['age', 'income', 'credit_utilization', 'num_accounts', 'tenure_months'] as const;
const rows = exampleRows('loans-drifted.jsonl').slice(400).filter((r) => FEATURES.every((f) => typeof r[f] === 'number')).slice(0, 200);
let kserve: ServerProcess;
let kserveAgent: ServerProcess;
let agent: AgentProcess;
let proxyUrl: string;
let sinkUrl: string;

type Sources = { oip: { unread: Record<string, number> }; kserveLogger: { received: number; joined: number; lost: Record<string, number>; refused: Record<string, number>; events: number } };
const sources = async (): Promise<Sources> => ((await agent.get('/v1/status')).body as { sources: Sources }).sources;

async function until(what: string, check: (s: Sources) => boolean): Promise<Sources> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const s = await sources();
    if (check(s)) return s;
    if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  kserve = await startKserveServer();
  writeFileSync(join(dir, 'loans.json'), JSON.stringify(await exampleBaseline()));
  agent = await startAgent({
    models: ['kserve-proxy', 'kserve-logged', 'kserve-api'].map((name) => ({ name, baseline: join(dir, 'loans.json') })),
    api: { port: 0 },
    windows: { seconds: 86_400 },
    labels: {},
    sinks: { file: { path: join(dir, 'payloads.ndjson') } },
    sources: {
      oip: { port: 0, upstream: kserve.url, models: [{ name: 'kserve-proxy', serverModel: 'loans-kserve', v1: { columns: [...FEATURES] } }] },
      kserveLogger: { port: 0, joinTimeoutSeconds: 2, models: [{ name: 'kserve-logged', inferenceService: 'loans-logged', v1: { columns: [...FEATURES] },
        inputs: [{ tensor: 'input-0', columns: [...FEATURES] }], outputs: [{ tensor: 'predict', role: 'label' }] }] },
    },
  }, { dir });
  proxyUrl = String(agent.logs.find((l) => l.msg === 'OIP proxy listening.')!.address);
  sinkUrl = String(agent.logs.find((l) => l.msg === 'KServe logger sink listening.')!.address);
  kserveAgent = await startKserveAgent({ componentPort: Number(new URL(kserve.url).port), logUrl: `${sinkUrl}/`, inferenceService: 'loans-logged', readyPath: '/v1/models/loans-kserve' });
}, 1_800_000);

afterAll(async () => {
  await kserveAgent?.stop();
  await agent?.stop();
  await kserve?.stop();
});

async function call(base: string, path: string, body: string): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}
const PREDICT = '/v1/models/loans-kserve:predict';

describe('KServe', () => {
  it('through the proxy and through its logger, a drifted replay is judged as the event API judges the same rows', async () => {
    // The readiness call through KServe's agent is logged too (it logs every request), and its
    // logger posts in the background: count from once both its halves are in and joined.
    const settled = (k: Sources['kserveLogger']): boolean => {
      const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
      return k.received >= 2 && k.received === 2 * k.joined + sum(k.lost) + sum(k.refused);
    };
    await until('the readiness exchange is joined', (s) => settled(s.kserveLogger));
    const before = (await sources()).kserveLogger;
    for (let i = 0; i < rows.length; i += 20) {
      const batch = rows.slice(i, i + 20);
      const body = JSON.stringify({ instances: batch.map((r) => FEATURES.map((f) => r[f] as number)) });
      const direct = await call(kserve.url, PREDICT, body);
      expect(direct.status).toBe(200);
      expect(await call(proxyUrl, PREDICT, body)).toEqual(direct);
      expect((await call(kserveAgent.url, PREDICT, body)).text).toBe(direct.text);
      const labels = (JSON.parse(direct.text) as { predictions: string[] }).predictions;
      const events = batch.map((r, j) => ({ model: 'kserve-api', features: Object.fromEntries(FEATURES.map((f) => [f, r[f]])), prediction: { label: labels[j] } }));
      expect((await agent.postEvents(events)).status).toBe(200);
    }
    const windows = await flushWhenCounted(agent, ['kserve-proxy', 'kserve-logged', 'kserve-api'], rows.length);
    expect(windows['kserve-api']!.drift).toBe(true);
    expect(windows['kserve-proxy']!.features).toEqual(windows['kserve-api']!.features);
    expect(windows['kserve-logged']!.features).toEqual(windows['kserve-api']!.features);
    const s = await sources();
    expect(s.kserveLogger.received - before.received).toBe(2 * rows.length / 20);
    expect(s.kserveLogger.joined - before.joined).toBe(rows.length / 20);
    expect(s.kserveLogger.events).toBe(rows.length);
  });

  it('reads v2 bodies from the logger too, each row joinable to a delayed label by the ce-id KServe logged it under', async () => {
    const batch = rows.slice(0, 10);
    const body = JSON.stringify({ id: 'v2-1', inputs: [{ name: 'input-0', shape: [batch.length, FEATURES.length], datatype: 'FP64', data: batch.flatMap((r) => FEATURES.map((f) => r[f] as number)) }] });
    const before = (await sources()).kserveLogger.events;
    // KServe's logger takes the request's Ce-Id header as the CloudEvent id (else a fresh UUID).
    const res = await fetch(`${kserveAgent.url}/v2/models/loans-kserve/infer`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'ce-id': 'loan-app-4711' } });
    expect(res.status).toBe(200);
    const predicted = ((await res.json()) as { outputs: { data: string[] }[] }).outputs[0]!.data;
    await until('the v2 exchange is counted', (s) => s.kserveLogger.events === before + batch.length);
    // Row i of the batch is 'loan-app-4711#i'; the body's own id ('v2-1') is not used when the transport has one.
    const labels = [{ model: 'kserve-logged', id: 'loan-app-4711#3', label: predicted[3] }, { model: 'kserve-logged', id: 'v2-1', label: predicted[0] }];
    const joined = await agent.post('/v1/labels', JSON.stringify(labels));
    expect(joined.status).toBe(422);
    expect(joined.body).toMatchObject({ accepted: 1, refused: 1, errors: [{ index: 1, reason: 'unknown_id' }] });
  });

  it('passes what KServe refuses unchanged through the proxy; its logger sends only the request, counted unmatched after the timeout', async () => {
    const bad = JSON.stringify({ instances: [['not', 'a', 'number', 1, 2]] });
    const direct = await call(kserve.url, PREDICT, bad);
    expect(direct.status).toBeGreaterThanOrEqual(400);
    expect(await call(proxyUrl, PREDICT, bad)).toEqual(direct);
    expect((await call(kserveAgent.url, PREDICT, bad)).status).toBe(direct.status);
    await until('the failed exchanges are counted', (s) => s.oip.unread.server_error === 1 && s.kserveLogger.lost.unmatched_request === 1);
  });

  it('refuses what is not a KServe inference CloudEvent, naming the header', async () => {
    const post = (headers: Record<string, string>): Promise<Response> => fetch(sinkUrl, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', ...headers } });
    const ce = { 'ce-specversion': '1.0', 'ce-id': 'x-1', 'ce-type': 'org.kubeflow.serving.inference.request', 'ce-source': 'test', 'ce-inferenceservicename': 'loans-logged' };
    for (const [headers, named] of [
      [{ ...ce, 'ce-specversion': '0.3' }, 'ce-specversion'], [{ ...ce, 'ce-type': 'com.example.other' }, 'ce-type'],
      [{ ...ce, 'ce-id': '' }, 'ce-id'], [{ ...ce, 'ce-inferenceservicename': '' }, 'ce-inferenceservicename'],
      [{ ...ce, 'content-type': 'application/cloudevents+json' }, 'structured-mode'],
    ] as const) {
      const res = await post(headers);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'DW_ERR_API_CLOUDEVENT', message: expect.stringContaining(named) as unknown });
    }
    expect((await fetch(sinkUrl)).status).toBe(405);
    expect((await sources()).kserveLogger.refused).toMatchObject({ not_cloudevent: 5, method: 1 });
  });
});

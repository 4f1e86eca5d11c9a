import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../helpers/agent-process.js';
import { openStores } from '../helpers/state-stores.js';
import { exampleBaseline, exampleRows, toEvent } from '../helpers/example-events.js';

/** The parts of an OTLP/HTTP JSON ExportMetricsServiceRequest this test reads. */
interface OtlpValue { stringValue?: string }
interface OtlpPoint { attributes?: { key: string; value: OtlpValue }[]; asDouble?: number; asInt?: number | string }
interface OtlpMetric { name: string; sum?: { dataPoints: OtlpPoint[] }; gauge?: { dataPoints: OtlpPoint[] } }
interface OtlpRequest {
  resourceMetrics: { resource: { attributes: { key: string; value: OtlpValue }[] }; scopeMetrics: { metrics: OtlpMetric[] }[] }[];
}

const dir = mkdtempSync(join(tmpdir(), 'dw-otlp-'));
const received: { path: string; contentType: string; body: OtlpRequest }[] = [];
let receiver: Server;
let agent: AgentProcess;

const value = (p: OtlpPoint): number => p.asDouble ?? Number(p.asInt);
const attr = (p: OtlpPoint, key: string): string | undefined => p.attributes?.find((a) => a.key === key)?.value.stringValue;

/** The data points of a metric in the newest export that has it (counters are cumulative). */
function latest(name: string): OtlpPoint[] | undefined {
  for (let i = received.length - 1; i >= 0; i--) {
    for (const rm of received[i]!.body.resourceMetrics) {
      for (const sm of rm.scopeMetrics) {
        const m = sm.metrics.find((x) => x.name === name);
        if (m !== undefined) return (m.sum ?? m.gauge)!.dataPoints;
      }
    }
  }
  return undefined;
}

async function until(check: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out; ${received.length} exports received`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  // A plain HTTP receiver standing in for an OTLP collector: the real exporter posts to it.
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpRequest });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as AddressInfo).port;
  writeFileSync(join(dir, 'loans.json'), JSON.stringify(await exampleBaseline()));
  agent = await startAgent({
    site: 'dc-test',
    models: [{ name: 'loans', baseline: join(dir, 'loans.json') }],
    api: { port: 0 },
    telemetry: { otlpEndpoint: `http://127.0.0.1:${port}/v1/metrics`, exportIntervalMs: 1000 },
  }, { dir });
});

afterAll(async () => {
  await agent?.stop();
  await new Promise((r) => receiver?.close(r));
});

describe('self-telemetry over OTLP/HTTP', () => {
  it('exports accepted and rejected events by reason, with the agent as the resource', async () => {
    const good = exampleRows('loans-stable.csv').slice(0, 7).map((r) => toEvent(r, 'loans'));
    const res = await agent.postEvents([...good, { model: 'nope', features: {} }, { model: 'loans', features: { income: 'lots' } }]);
    expect(res.status).toBe(422);
    await until(() => latest('driftwatch.events.accepted')?.some((p) => value(p) === 7) === true);

    expect(received[0]!.path).toBe('/v1/metrics');
    expect(received[0]!.contentType).toMatch(/application\/json/);
    const resource = Object.fromEntries(received[0]!.body.resourceMetrics[0]!.resource.attributes.map((a) => [a.key, a.value.stringValue]));
    expect(resource['service.name']).toBe('driftwatch-agent');
    expect(resource['driftwatch.site']).toBe('dc-test');

    const rejected = latest('driftwatch.events.rejected')!;
    expect(Object.fromEntries(rejected.map((p) => [attr(p, 'reason'), value(p)]))).toEqual({ unknown_model: 1, bad_value: 1 });
  });

  it('exports windows closed and the outbox gauges after a flush', async () => {
    expect((await agent.post('/v1/flush', '')).status).toBe(200);
    await until(() => (latest('driftwatch.windows.closed')?.reduce((s, p) => s + value(p), 0) ?? 0) >= 1);
    const closed = latest('driftwatch.windows.closed')!;
    expect(closed.map((p) => attr(p, 'model'))).toEqual(['loans']);
    await until(() => latest('driftwatch.sink.sends')?.some((p) => attr(p, 'outcome') === 'success') === true);
    const backlog = latest('driftwatch.outbox.backlog')!;
    expect(backlog.map((p) => attr(p, 'sink'))).toEqual(['file']);
    expect(backlog.every((p) => value(p) >= 0)).toBe(true);
    expect(latest('driftwatch.outbox.oldest_unsent_age')).toBeDefined();
  });
});

describe('self-telemetry with the endpoint down', () => {
  it('logs a warning per failed export, keeps counting events, and still exits promptly', async () => {
    // A port that was free a moment ago and has nobody listening now.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const down = await startAgent({
      models: [{ name: 'loans', baseline: join(dir, 'loans.json') }],
      api: { port: 0 },
      state: { path: join(dir, 'down.db') },
      telemetry: { otlpEndpoint: `http://127.0.0.1:${port}/v1/metrics`, exportIntervalMs: 1000 },
    }, { dir });
    try {
      await until(() => down.logs.some((l) => String(l.msg).startsWith('Self-telemetry export failed')));
      const warning = down.logs.find((l) => String(l.msg).startsWith('Self-telemetry export failed'))!;
      expect(warning.level).toBe(40);
      expect(warning.endpoint).toBe(`http://127.0.0.1:${port}/v1/metrics`);
      const res = await down.postEvents(exampleRows('loans-stable.csv').slice(0, 3).map((r) => toEvent(r, 'loans')));
      expect(res.body.accepted).toBe(3);
      expect((await down.get('/healthz')).status).toBe(200);
    } finally {
      // The exporter retries a dead endpoint for its whole timeout; the exit must not wait for it.
      const stopping = Date.now();
      expect(await down.stop()).toBe(0);
      expect(Date.now() - stopping).toBeLessThan(5000);
    }
  });
});

describe('self-telemetry to an endpoint that takes the request and never answers', () => {
  it('has every export the endpoint received on the audit log, byte for byte, in order', async () => {
    // Each export reaches the endpoint and then times out on the agent's side (after 1 s): it has
    // left the host all the same, so the log must hold it.
    const bodies: string[] = [];
    const held: ServerResponse[] = [];
    const silent = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString('utf8'));
        held.push(res);
      });
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v1/metrics`;
    const state = join(dir, 'silent.db');
    const slow = await startAgent({
      models: [{ name: 'loans', baseline: join(dir, 'loans.json') }],
      api: { port: 0 },
      state: { path: state },
      telemetry: { otlpEndpoint: endpoint, exportIntervalMs: 1000 },
    }, { dir });
    try {
      const deadline = Date.now() + 60_000;
      while (bodies.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(bodies.length).toBeGreaterThanOrEqual(3);
    } finally {
      expect(await slow.stop()).toBe(0);
      for (const res of held) res.destroy();
      await new Promise((r) => silent.close(r));
    }
    const store = openStores(state);
    let audited: string[];
    try {
      audited = store.database.audit.entries().filter((e) => e.destination === endpoint).map((e) => e.payload);
    } finally {
      store.database.close();
    }
    // Every body the endpoint saw, in order (the exporter may retry one within its deadline, and
    // the last export may still be on its way when the agent stops).
    const distinct = bodies.filter((b, i) => i === 0 || b !== bodies[i - 1]);
    expect(audited.slice(0, distinct.length)).toEqual(distinct);
  });
});

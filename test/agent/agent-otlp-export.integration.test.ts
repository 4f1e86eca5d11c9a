import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BaselineProfile } from '../../shared/core/profile/baseline-profile.js';
import { startAgent } from '../helpers/agent-process.js';
import { exampleBaseline, exampleRows, toEvent, type ExampleRow } from '../helpers/example-events.js';
import { reconstructionError } from '../helpers/reconstruction-error.js';

/**
 * The agent's fleet export is plain OTLP: captured from the real exporter and decoded with the
 * official OTLP protobuf definitions (the `opentelemetry-proto` Python package), and the counts
 * checked against bins computed here from the raw rows.
 */
const python = inject('peerPython');
const dir = mkdtempSync(join(tmpdir(), 'dw-otlp-export-'));
const WINDOW_MS = 60_000;
const t0 = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 10 * WINDOW_MS;
const rows = exampleRows('loans-stable.csv').slice(0, 150);
const captured: { headers: IncomingHttpHeaders; body: Buffer }[] = [];
let receiver: Server;
let endpoint: string;
let profile: BaselineProfile;

/** Decodes an ExportMetricsServiceRequest with the official generated classes; prints proto3 JSON. */
const DECODE = `
import sys, json
from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
req = ExportMetricsServiceRequest()
req.ParseFromString(sys.stdin.buffer.read())
print(json.dumps(MessageToDict(req)))
`;

interface KeyValue { key: string; value: { stringValue?: string; intValue?: string } }
interface Point { attributes: KeyValue[]; startTimeUnixNano: string; timeUnixNano: string; asInt?: string; count?: string; sum?: number; bucketCounts?: string[]; explicitBounds?: number[] }
interface Decoded {
  resourceMetrics: { resource: { attributes: KeyValue[] }; scopeMetrics: { scope: { name: string }; metrics: {
    name: string; sum?: { dataPoints: Point[]; aggregationTemporality: string; isMonotonic?: boolean }; histogram?: { dataPoints: Point[]; aggregationTemporality: string };
  }[] }[] }[];
}

const attrs = (p: { attributes: KeyValue[] }): Record<string, string> =>
  Object.fromEntries(p.attributes.map((a) => [a.key, a.value.stringValue ?? a.value.intValue ?? '']));

/** Bins of one numeric column, computed from the raw rows by the rule in docs/baseline-format.md. */
function numericBins(values: (number | null)[], edges: number[]): number[] {
  const k = Math.max(1, edges.length - 1);
  const bins = new Array<number>(k + 2).fill(0);
  for (const x of values) {
    if (x === null) continue;
    if (x < edges[0]!) bins[0]!++;
    else if (x > edges[edges.length - 1]!) bins[k + 1]!++;
    else {
      let j = 1;
      while (j < k && x >= edges[j]!) j++;
      bins[j]!++;
    }
  }
  return bins;
}

async function exportOneWindow(protocol: 'http/protobuf' | 'http/json', compression: 'gzip' | 'none', window: ExampleRow[]): Promise<{ headers: IncomingHttpHeaders; body: Buffer }> {
  const before = captured.length;
  const here = mkdtempSync(join(dir, 'agent-'));
  const agent = await startAgent({
    instanceId: `agent-${protocol.slice(5)}`,
    site: 'dc-1',
    models: [{ name: 'loans', baseline: join(dir, 'loans.json') }],
    api: { port: 0 },
    windows: { seconds: 60, graceSeconds: 0, clock: 'event' },
    sinks: { otlp: { endpoint, protocol, compression } },
  }, { dir: here });
  try {
    expect((await agent.postEvents(window.map((r, i) => toEvent(r, 'loans', t0 + i * 100)))).status).toBe(200);
    // One event in the next window moves the event clock past this one, which closes it whole
    // (a flush would close it early, ending at the newest event).
    expect((await agent.postEvents([toEvent(window[0]!, 'loans', t0 + WINDOW_MS)])).status).toBe(200);
    const deadline = Date.now() + 60_000;
    while (captured.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  } finally {
    await agent.stop();
  }
  expect(captured.length).toBe(before + 1);
  return captured[before]!;
}

beforeAll(async () => {
  profile = await exampleBaseline();
  writeFileSync(join(dir, 'loans.json'), JSON.stringify(profile));
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      captured.push({ headers: req.headers, body: req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw });
      const json = req.headers['content-type'] === 'application/json';
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : Buffer.alloc(0));
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/metrics`;
});

afterAll(async () => {
  await new Promise((r) => receiver?.close(r));
});

describe('fleet export over OTLP/HTTP protobuf', () => {
  let decoded: Decoded;
  let body: Buffer;

  beforeAll(async () => {
    const request = await exportOneWindow('http/protobuf', 'gzip', rows);
    expect(request.headers['content-type']).toBe('application/x-protobuf');
    expect(request.headers['content-encoding']).toBe('gzip');
    body = request.body;
    const result = spawnSync(python, ['-c', DECODE], { input: body, encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    decoded = JSON.parse(result.stdout) as Decoded;
  });

  it('decodes with the official definitions, with the agent as the resource', () => {
    expect(decoded.resourceMetrics).toHaveLength(1);
    const resource = attrs(decoded.resourceMetrics[0]!.resource);
    expect(resource).toMatchObject({ 'service.name': 'driftwatch-agent', 'service.instance.id': 'agent-protobuf', 'driftwatch.site': 'dc-1', 'ml.model.name': 'loans' });
    expect(decoded.resourceMetrics[0]!.scopeMetrics[0]!.scope.name).toBe('driftwatch');
  });

  it('sends every numeric feature as a delta histogram over the window, bounded by the baseline edges', () => {
    const metrics = decoded.resourceMetrics[0]!.scopeMetrics[0]!.metrics;
    const histogram = metrics.find((m) => m.name === 'driftwatch.feature.histogram')!.histogram!;
    expect(histogram.aggregationTemporality).toBe('AGGREGATION_TEMPORALITY_DELTA');
    const numeric = profile.features.filter((f) => f.type === 'numeric');
    const derived = numeric.filter((f) => !('column' in f.source)).map((f) => f.name);
    expect(derived, 'the example baseline has the multivariate check').toEqual(['multivariate.reconstruction_error']);
    expect(histogram.dataPoints.map((p) => attrs(p)['ml.feature.name']).sort()).toEqual(numeric.map((f) => f.name).sort());
    for (const p of histogram.dataPoints) {
      const feature = numeric.find((f) => f.name === attrs(p)['ml.feature.name'])!;
      expect(attrs(p)).toMatchObject({ 'ml.model.name': 'loans', 'ml.model.version': '' });
      expect(BigInt(p.startTimeUnixNano)).toBe(BigInt(t0) * 1_000_000n);
      expect(BigInt(p.timeUnixNano)).toBe(BigInt(t0 + WINDOW_MS) * 1_000_000n);
      expect(p.explicitBounds).toEqual(feature.edges);
      if (!('column' in feature.source)) continue; // the reconstruction error: its own test below
      const column = feature.source.column;
      const expected = numericBins(rows.map((r) => (r[column] ?? null) as number | null), feature.edges);
      expect(p.bucketCounts!.map(Number), feature.name).toEqual(expected);
      expect(Number(p.count)).toBe(expected.reduce((a, b) => a + b, 0));
    }
  });

  it("carries the sum of the reconstruction errors, so the collector's window mean is exact", () => {
    const metrics = decoded.resourceMetrics[0]!.scopeMetrics[0]!.metrics;
    const histogram = metrics.find((m) => m.name === 'driftwatch.feature.histogram')!.histogram!;
    const point = histogram.dataPoints.find((p) => attrs(p)['ml.feature.name'] === 'multivariate.reconstruction_error')!;
    expect(Number(point.count)).toBe(rows.length);
    const expected = rows.reduce((sum, r) => sum + reconstructionError(profile, r), 0);
    expect(point.sum).toBeCloseTo(expected, 6);
    // The other histograms carry no sum (OTLP: only for values that are never negative).
    expect(histogram.dataPoints.filter((p) => p.sum !== undefined)).toHaveLength(1);
  });

  it('sends categorical features as counts per category index, never the category text', () => {
    const metrics = decoded.resourceMetrics[0]!.scopeMetrics[0]!.metrics;
    const categories = metrics.find((m) => m.name === 'driftwatch.feature.category')!.sum!;
    expect(categories.aggregationTemporality).toBe('AGGREGATION_TEMPORALITY_DELTA');
    for (const feature of profile.features) {
      if (feature.type !== 'categorical') continue;
      const points = categories.dataPoints.filter((p) => attrs(p)['ml.feature.name'] === feature.name);
      const got = new Map(points.map((p) => [Number(attrs(p)['ml.feature.category_index']), Number(p.asInt)]));
      const expected = new Map<number, number>();
      for (const r of rows) {
        const v = 'column' in feature.source ? r[feature.source.column] : null;
        if (v === null || v === undefined) continue;
        const i = feature.categories.indexOf(String(v));
        const index = i < 0 ? feature.categories.length : i;
        expected.set(index, (expected.get(index) ?? 0) + 1);
      }
      expect(got, feature.name).toEqual(expected);
      // The category strings stay on the host: none appears anywhere in the payload (those of
      // four characters or more: shorter ones turn up by chance in binary data).
      for (const c of feature.categories.filter((x) => x.length >= 4)) expect(body.includes(Buffer.from(c)), `'${c}' in the payload`).toBe(false);
    }
  });

  it('sends the event count with the baseline layout, and missing counts per feature', () => {
    const metrics = decoded.resourceMetrics[0]!.scopeMetrics[0]!.metrics;
    const events = metrics.find((m) => m.name === 'driftwatch.window.events')!.sum!;
    expect(events.dataPoints).toHaveLength(1);
    expect(Number(events.dataPoints[0]!.asInt)).toBe(rows.length);
    expect(attrs(events.dataPoints[0]!)['driftwatch.baseline.layout']).toMatch(/^[0-9a-f]{16}$/);
    const missing = metrics.find((m) => m.name === 'driftwatch.feature.missing')!.sum!;
    for (const feature of profile.features) {
      const p = missing.dataPoints.find((d) => attrs(d)['ml.feature.name'] === feature.name)!;
      const source = feature.source;
      // A tabular reconstruction error is never missing: missing inputs are imputed.
      const expected = 'column' in source ? rows.filter((r) => r[source.column] === null || r[source.column] === undefined).length : 0;
      expect(Number(p.asInt ?? 0), feature.name).toBe(expected);
    }
  });
});

describe('fleet export over OTLP/HTTP JSON', () => {
  it('sends the same window as OTLP JSON when configured', async () => {
    const request = await exportOneWindow('http/json', 'none', rows.slice(0, 60));
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['content-encoding']).toBeUndefined();
    const json = JSON.parse(request.body.toString('utf8')) as { resourceMetrics: { scopeMetrics: { metrics: { name: string; sum?: { dataPoints: { asInt?: number | string }[] } }[] }[] }[] };
    const metrics = json.resourceMetrics[0]!.scopeMetrics[0]!.metrics;
    expect(metrics.map((m) => m.name)).toEqual(expect.arrayContaining(['driftwatch.window.events', 'driftwatch.feature.histogram', 'driftwatch.feature.missing']));
    expect(Number(metrics.find((m) => m.name === 'driftwatch.window.events')!.sum!.dataPoints[0]!.asInt)).toBe(60);
  });
});

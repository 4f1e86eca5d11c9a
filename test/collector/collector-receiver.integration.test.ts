import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WindowReport } from '../../shared/core/drift/window-report.js';
import type { BaselineProfile } from '../../shared/core/profile/baseline-profile.js';
import { startAgent, type AgentProcess } from '../helpers/agent-process.js';
import { exampleBaseline } from '../helpers/example-events.js';
import { exampleWindowReport, windowPayload } from '../helpers/window-payloads.js';

/**
 * Bad input at the collector's OTLP receiver: every malformed body, content type, window or data
 * point gets a 4xx or a partial-success refusal with a reason and a count, and never a crash or
 * harm to the good windows beside it. Payloads are built with the OpenTelemetry serializers.
 */
const dir = mkdtempSync(join(tmpdir(), 'dw-receiver-'));
const WINDOW_MS = 60_000;
const t0 = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 20 * WINDOW_MS;
let profile: BaselineProfile;
let report: WindowReport;
let collector: AgentProcess;

type Json = { resourceMetrics: { resource: { attributes: { key: string; value: unknown }[] }; scopeMetrics: { metrics: {
  name: string; sum?: { dataPoints: { asInt?: unknown }[] }; histogram?: { dataPoints: { explicitBounds: number[] }[] };
}[] }[] }[] };

const asJson = (r: WindowReport, instanceId: string): Json => JSON.parse(windowPayload(r, profile, instanceId, 'json')) as Json;
const pointCount = (j: Json): number => j.resourceMetrics[0]!.scopeMetrics[0]!.metrics.reduce((n, m) => n + (m.sum ?? m.histogram)!.dataPoints.length, 0);

async function post(body: Uint8Array | string, contentType: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(`${collector.address}/v1/metrics`, { method: 'POST', body, headers: { 'content-type': contentType, ...headers } });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: Buffer.from(await res.arrayBuffer()).toString('latin1') };
}

type Status = { models: { openWindows: { events: number }[] }[]; totals: { points: Record<string, number>; requestsRefused: Record<string, number> } };
const status = async (): Promise<Status> => (await collector.get('/v1/status')).body as Status;

beforeAll(async () => {
  profile = await exampleBaseline();
  writeFileSync(join(dir, 'loans.json'), JSON.stringify(profile));
  report = await exampleWindowReport(profile, t0, WINDOW_MS);
  collector = await startAgent({
    models: [{ name: 'loans', baseline: join(dir, 'loans.json') }],
    receiver: { port: 0, bodyLimitBytes: 262_144 },
    windows: { seconds: 60, graceSeconds: 600 },
    sinks: { file: { path: join(dir, 'payloads.ndjson') } },
  }, { dir, command: 'collector' });
});

afterAll(async () => {
  await collector?.stop();
});

describe('whole requests the collector cannot read', () => {
  it('answers garbage and truncated protobuf with 400 and a Status, in protobuf', async () => {
    const garbage = await post(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x42]), 'application/x-protobuf');
    expect(garbage.status).toBe(400);
    expect(garbage.type).toBe('application/x-protobuf');
    expect(garbage.text).toContain('not an OTLP protobuf ExportMetricsServiceRequest');
    const valid = windowPayload(report, profile, 'trunc', 'protobuf');
    const truncated = await post(valid.slice(0, valid.length - 9), 'application/x-protobuf');
    expect(truncated.status).toBe(400);
  });

  it('answers malformed JSON with 400, a wrong content type with 415, an oversize body with 413', async () => {
    const bad = await post('{"resourceMetrics": [', 'application/json');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toMatchObject({ code: 3, message: expect.stringMatching(/^malformed JSON/) as string });
    const shape = await post('{"resourceMetrics": {"x": 1}}', 'application/json');
    expect(shape.status).toBe(400);
    expect((JSON.parse(shape.text) as { message: string }).message).toMatch(/resourceMetrics must be an array/);
    expect((await post('hello', 'text/plain')).status).toBe(415);
    expect((await post(gzipSync(Buffer.alloc(400_000, 32)), 'application/json', { 'content-encoding': 'gzip' })).status).toBe(413);
    const totals = (await status()).totals.requestsRefused;
    expect(totals).toMatchObject({ bad_body: 4, content_type: 1, body_too_large: 1 });
  });
});

describe('windows refused one by one', () => {
  it('accepts the good window and refuses each bad one with its reason, in one request', async () => {
    const good = asJson(report, 'good');
    const bounds = asJson(report, 'bounds');
    bounds.resourceMetrics[0]!.scopeMetrics[0]!.metrics.find((m) => m.name === 'driftwatch.feature.histogram')!.histogram!.dataPoints[0]!.explicitBounds[0]! += 1;
    const unknown = asJson({ ...report, model: 'nope' }, 'unknown');
    const absurd = asJson(report, 'absurd');
    absurd.resourceMetrics[0]!.scopeMetrics[0]!.metrics.find((m) => m.name === 'driftwatch.window.events')!.sum!.dataPoints[0]!.asInt = '1000000000000000';
    const future = asJson({ ...report, startMs: Date.UTC(2100, 0, 1), endMs: Date.UTC(2100, 0, 1) + WINDOW_MS }, 'future');
    const anonymous = asJson(report, 'x');
    anonymous.resourceMetrics[0]!.resource.attributes = anonymous.resourceMetrics[0]!.resource.attributes.filter((a) => a.key !== 'service.instance.id');
    const all = [good, bounds, unknown, absurd, future, anonymous];
    const body = JSON.stringify({ resourceMetrics: all.flatMap((j) => j.resourceMetrics) });
    const res = await post(body, 'application/json');
    expect(res.status).toBe(200);
    const answer = JSON.parse(res.text) as { partialSuccess: { rejectedDataPoints: string; errorMessage: string } };
    const perWindow = pointCount(good);
    expect(Number(answer.partialSuccess.rejectedDataPoints)).toBe(5 * perWindow);
    expect(answer.partialSuccess.errorMessage).toMatch(/layout_mismatch: .*histogram bounds differ/);
    const s = await status();
    expect(s.totals.points).toMatchObject({ accepted: perWindow, layout_mismatch: perWindow, unknown_model: perWindow, bad_count: perWindow,
      bad_timestamp: perWindow, missing_identity: perWindow });
    expect(s.models[0]!.openWindows).toEqual([expect.objectContaining({ events: 30 })]);
  });

  it('counts a window sent twice once, and refuses one that arrives after its window was shipped', async () => {
    const again = await post(Buffer.from(windowPayload(report, profile, 'good', 'protobuf')), 'application/x-protobuf');
    expect(again.status).toBe(200);
    expect((await status()).models[0]!.openWindows).toEqual([expect.objectContaining({ events: 30 })]);
    expect((await status()).totals.points.duplicate).toBe(pointCount(asJson(report, 'good')));
    expect((await collector.post('/v1/flush', '')).status).toBe(200);
    const late = await post(JSON.stringify(asJson(report, 'late-agent')), 'application/json');
    expect(late.status).toBe(200);
    expect((JSON.parse(late.text) as { partialSuccess: { errorMessage: string } }).partialSuccess.errorMessage).toMatch(/late_window/);
    expect((await status()).totals.points.late_window).toBe(pointCount(asJson(report, 'good')));
    expect((await collector.get('/healthz')).status).toBe(200);
  });
});

describe('one hostile agent and the fleet\'s window (issue 16, finding 6)', () => {
  it('refuses an agent\'s window whose refusal reason is not one of driftwatch\'s, and ships the fleet\'s window without it', async () => {
    const at = t0 + 5 * WINDOW_MS;
    const honest = { ...report, startMs: at, endMs: at + WINDOW_MS, rejected: { bad_value: 2 } };
    const before = (await status()).totals.points.unknown_reason ?? 0;
    for (const reason of ['constructor', '__proto__', 'toString']) {
      const hostile = await post(windowPayload({ ...honest, rejected: { [reason]: 5 } }, profile, `hostile-${reason}`, 'json'), 'application/json');
      expect(hostile.status).toBe(200);
      expect((JSON.parse(hostile.text) as { partialSuccess: { errorMessage: string } }).partialSuccess.errorMessage).toMatch(/unknown_reason: .*is not one of driftwatch's refusal reasons/);
    }
    expect((await post(windowPayload(honest, profile, 'honest', 'json'), 'application/json')).status).toBe(200);
    expect((await status()).totals.points.unknown_reason).toBe(before + 3 * pointCount(asJson(honest, 'x')));
    const flushed = (await collector.post('/v1/flush', '')).body as { closed: { events: number }[] };
    expect(flushed.closed.map((c) => c.events)).toEqual([30]);
    const deadline = Date.now() + 60_000;
    let shipped: { MetricName: string; Value?: number; Timestamp: string }[] = [];
    while (Date.now() < deadline) {
      const lines = existsSync(join(dir, 'payloads.ndjson')) ? readFileSync(join(dir, 'payloads.ndjson'), 'utf8').trim().split('\n') : [];
      shipped = lines.flatMap((l) => (JSON.parse(l) as { MetricData: typeof shipped }).MetricData).filter((d) => Date.parse(d.Timestamp) === at + WINDOW_MS - 1);
      if (shipped.length > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(shipped.find((d) => d.MetricName === 'EventsRejected')?.Value).toBe(2);
    expect(shipped.find((d) => d.MetricName === 'EventCount')?.Value).toBe(30);
    const dead = ((await status()) as unknown as { outbox: { sink: string; deadLetters?: number }[] }).outbox;
    expect(JSON.stringify(dead)).not.toMatch(/"deadLetters":[1-9]/);
  });
});

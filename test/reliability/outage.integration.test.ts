import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startAgent, waitForDrain, type AgentProcess } from '../helpers/agent-process.js';
import { metricSeries } from '../helpers/cloudwatch-series.js';
import { cuttableLink, type CuttableLink } from '../helpers/cuttable-link.js';
import { exampleBaseline, exampleRows, toEvent } from '../helpers/example-events.js';
import { startRecordingProxy, type RecordingProxy } from '../helpers/recording-proxy.js';

/**
 * Store-and-forward across a VPN outage, against moto through a link the test black-holes: the
 * agent keeps counting and closing windows, and once the link is back the backlog reaches
 * CloudWatch in order, with the windows' own timestamps, at the configured pace, every count intact.
 */
const endpoint = inject('motoEndpoint');
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const cw = new CloudWatchClient({ endpoint, region: 'eu-west-1', credentials });
const env = { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey };
const WINDOW_MS = 60_000;
/** Windows closed while the link is down: 24 in CI; `npm run reliability:outage` runs 3 720 (62 hours of 1-minute windows, a weekend). */
const OUTAGE_WINDOWS = Number(process.env.DW_OUTAGE_WINDOWS ?? 24);
const PACE = Number(process.env.DW_OUTAGE_PACE ?? 5); // windows per second while the backlog drains
const rows = exampleRows('loans-stable.csv');
const t0 = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - Math.max(3 * 3600_000, (OUTAGE_WINDOWS + 10) * WINDOW_MS);
/** Time to drain the backlog at PACE, with room. */
const DRAIN_MS = 60_000 + (2 * OUTAGE_WINDOWS * 1000) / PACE;
/** Events per window: all different, so a window shipped twice or swapped would show. */
const perWindow = Array.from({ length: OUTAGE_WINDOWS + 2 }, (_, w) => 25 + ((w * 7) % 31));
/** A window's end: the nominal one, or for the last (closed by a flush) its last event's time. */
const endOf = (w: number, last: number): number => (w === last ? t0 + w * WINDOW_MS + (perWindow[w]! - 1) * 1000 : t0 + (w + 1) * WINDOW_MS);

let dir: string;
let proxy: RecordingProxy;
let link: CuttableLink;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dw-outage-'));
  writeFileSync(join(dir, 'loans.json'), JSON.stringify(await exampleBaseline()));
  const moto = new URL(endpoint);
  proxy = await startRecordingProxy({ host: moto.hostname, port: Number(moto.port) });
  link = await cuttableLink(proxy.url);
}, 120_000);

afterAll(async () => {
  await link?.close();
  await proxy?.close();
});

const post = async (agent: AgentProcess, w: number, model: string): Promise<void> => {
  const events = rows.slice(0, perWindow[w]).map((row, i) => toEvent(row, model, t0 + w * WINDOW_MS + i * 1000));
  const res = await agent.postEvents(events);
  expect(res.status, `window ${w}: ${JSON.stringify(res.body)}`).toBe(200);
};

const status = async (agent: AgentProcess) => (await agent.get('/v1/status')).body as {
  outbox: { sink: string; count: number; failingAttempts: number }[];
  state: { dropped: { totals: Record<string, { windows: number; events: number }>; recent: { reason: string; startMs: number }[] } };
  totals: { outboxDropped: Record<string, number> };
};

describe('VPN outage: store-and-forward', () => {
  it('keeps counting while CloudWatch is unreachable, then backfills every window in order at the configured pace', async () => {
    const namespace = `DwOutage${Date.now()}`;
    const model = `outage-${Date.now().toString(36)}`;
    const agent = await startAgent({
      models: [{ name: model, baseline: join(dir, 'loans.json') }],
      api: { port: 0 },
      windows: { seconds: 60, graceSeconds: 0, clock: 'event' },
      state: { outbox: { sendPerSecond: PACE } },
      sinks: { cloudwatch: { namespace, endpoint: link.url, region: 'eu-west-1', requestTimeoutMs: 500 } },
    }, { dir: mkdtempSync(join(dir, 'a-')), env });
    try {
      await post(agent, 0, model);
      await post(agent, 1, model); // closes window 0, which ships over the working link
      await waitForDrain(agent, 60_000, 1);
      const before = proxy.requests().length;

      link.set('blackhole');
      for (let w = 2; w < OUTAGE_WINDOWS + 2; w++) await post(agent, w, model); // each closes the one before
      // Every window closed into the outbox; none reached moto.
      let s = await status(agent);
      for (const deadline = Date.now() + 120_000; Date.now() < deadline && !(s.outbox[0]!.count >= OUTAGE_WINDOWS && s.outbox[0]!.failingAttempts >= 2);) {
        await new Promise((r) => setTimeout(r, 200));
        s = await status(agent);
      }
      expect(s.outbox[0]!.count).toBeGreaterThanOrEqual(OUTAGE_WINDOWS);
      expect(s.outbox[0]!.failingAttempts).toBeGreaterThanOrEqual(2);
      expect(link.blackholed).toBeGreaterThan(0);
      expect(proxy.requests().length).toBe(before);

      link.set('up');
      const restored = Date.now();
      expect((await agent.post('/v1/flush', '')).status).toBe(200);
      await waitForDrain(agent, DRAIN_MS, OUTAGE_WINDOWS + 2);
      const drainSeconds = (Date.now() - restored) / 1000;
      // Paced: the backlog cannot have drained faster than PACE windows a second.
      expect(drainSeconds).toBeGreaterThanOrEqual((OUTAGE_WINDOWS - 1) / PACE);

      // In order, with the windows' own timestamps (each window's EventCount datum carries its last millisecond).
      const stamps = proxy.requests().slice(before)
        .map((r) => JSON.parse(r.body.toString()) as { MetricData: { MetricName: string; Timestamp: number }[] })
        .flatMap((b) => b.MetricData.filter((d) => d.MetricName === 'EventCount').map((d) => d.Timestamp * 1000));
      const expected = Array.from({ length: OUTAGE_WINDOWS + 1 }, (_, i) => endOf(i + 1, OUTAGE_WINDOWS + 1) - 1);
      expect(stamps.map((t) => Math.round(t))).toEqual(expected.slice(0, stamps.length));
      expect(stamps.length).toBe(OUTAGE_WINDOWS + 1);

      // Read back from moto: every window's count, once.
      const counts = await metricSeries(cw, namespace, 'EventCount', [{ Name: 'Model', Value: model }],
        { from: t0 - WINDOW_MS, to: t0 + (OUTAGE_WINDOWS + 4) * WINDOW_MS }, 'Sum');
      const got = [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([t, v]) => [t, v]);
      expect(got).toEqual(perWindow.map((n, w) => [t0 + w * WINDOW_MS, n]));
      console.log(`outage: ${OUTAGE_WINDOWS} windows (${((OUTAGE_WINDOWS * WINDOW_MS) / 3600_000).toFixed(1)} h of traffic) closed while CloudWatch was unreachable; backlog drained in order in ${drainSeconds.toFixed(0)} s at ${PACE} windows/s; ${perWindow.reduce((a, b) => a + b, 0)} events read back from moto, 0 lost, 0 duplicated`);
    } finally {
      await agent.stop();
    }
  }, 180_000 + DRAIN_MS + OUTAGE_WINDOWS * 100);

  it('drops what CloudWatch would refuse as too old, and records, counts and logs it instead of losing it silently', async () => {
    const namespace = `DwTooOld${Date.now()}`;
    const model = `tooold-${Date.now().toString(36)}`;
    const agent = await startAgent({
      models: [{ name: model, baseline: join(dir, 'loans.json') }],
      api: { port: 0 },
      windows: { seconds: 60, graceSeconds: 0, clock: 'event' },
      // Windows from three hours ago are past a two-hour bound (CloudWatch's own is two weeks).
      state: { outbox: { maxAgeHours: 2 } },
      sinks: { cloudwatch: { namespace, endpoint: link.url, region: 'eu-west-1', requestTimeoutMs: 500 } },
    }, { dir: mkdtempSync(join(dir, 'b-')), env });
    try {
      link.set('blackhole');
      for (let w = 0; w < 4; w++) await post(agent, w, model);
      expect((await agent.post('/v1/flush', '')).status).toBe(200);
      let s = await status(agent);
      for (const deadline = Date.now() + 120_000; Date.now() < deadline && (s.state.dropped.totals.too_old?.windows ?? 0) < 4;) {
        await new Promise((r) => setTimeout(r, 200));
        s = await status(agent);
      }
      link.set('up');
      expect(s.state.dropped.totals.too_old).toEqual({ windows: 4, events: perWindow.slice(0, 4).reduce((a, b) => a + b, 0) });
      expect(s.totals.outboxDropped.too_old).toBe(4);
      expect(s.outbox[0]!.count).toBe(0);
      const line = agent.logs.find((l) => l.reason === 'too_old');
      expect(line).toMatchObject({ level: 50, model, windows: 4, from: new Date(t0).toISOString(), to: new Date(endOf(3, 3)).toISOString() });
      expect(String(line!.msg)).toMatch(/maxAgeHours/);
      const counts = await metricSeries(cw, namespace, 'EventCount', [{ Name: 'Model', Value: model }], { from: t0 - WINDOW_MS, to: t0 + 6 * WINDOW_MS }, 'Sum');
      expect(counts.size).toBe(0);
    } finally {
      link.set('up');
      await agent.stop();
    }
  }, 120_000);
});

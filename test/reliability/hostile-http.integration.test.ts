import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BaselineProfile } from '../../shared/core/profile/baseline-profile.js';
import { startAgent, type AgentProcess } from '../helpers/agent-process.js';
import { exampleBaseline } from '../helpers/example-events.js';
import { exampleWindowReport, windowPayload } from '../helpers/window-payloads.js';

/**
 * Hostile bytes over real sockets: random, truncated, bit-flipped and gzip-damaged protobuf bodies
 * against a running collector, and stalled bodies against the collector and the agent. Every
 * request gets an answer below 500 in bounded time, every refusal is counted, and the process
 * serves on. The decoder's own properties are in hostile-otlp.test.ts.
 */
const RUNS = { bodies: 600 };
const WINDOW_MS = 60_000;
const dir = mkdtempSync(join(tmpdir(), 'dw-hostile-http-'));
let profile: BaselineProfile;
let valid: Uint8Array;
let collector: AgentProcess;
let agent: AgentProcess;

beforeAll(async () => {
  profile = await exampleBaseline();
  writeFileSync(join(dir, 'loans.json'), JSON.stringify(profile));
  const t0 = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 5 * WINDOW_MS;
  valid = windowPayload(await exampleWindowReport(profile, t0, WINDOW_MS), profile, 'pod-1', 'protobuf');
  const models = [{ name: 'loans', baseline: join(dir, 'loans.json') }];
  [collector, agent] = await Promise.all([
    startAgent({ models, receiver: { port: 0, bodyTimeoutSeconds: 1, bodyDeadlineSeconds: 3 }, windows: { seconds: 60, graceSeconds: 600 }, sinks: { file: { path: join(dir, 'c.ndjson') } } }, { dir: mkdtempSync(join(dir, 'c-')), command: 'collector' }),
    startAgent({ models, api: { port: 0, bodyTimeoutSeconds: 1, bodyDeadlineSeconds: 3 }, sinks: { file: { path: join(dir, 'a.ndjson') } } }, { dir: mkdtempSync(join(dir, 'a-')) }),
  ]);
});

afterAll(async () => {
  expect(await collector?.stop()).toBe(0);
  expect(await agent?.stop()).toBe(0);
});

/** POSTs a body; the status, or a failure if no answer came within 5 s. */
async function post(url: string, body: Uint8Array, headers: Record<string, string>): Promise<number> {
  const res = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  return res.status;
}

/** A hostile body: random bytes, a cut real request, a real request with bytes flipped, each maybe gzipped (whole or cut). */
const hostileBody = (): fc.Arbitrary<{ body: Uint8Array; gzip: boolean }> => fc.oneof(
  fc.uint8Array({ maxLength: 2000 }).map((body) => ({ body, gzip: false })),
  fc.nat({ max: valid.length - 1 }).map((n) => ({ body: valid.subarray(0, n), gzip: false })),
  fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }).map((flips) => {
    const body = Uint8Array.from(valid);
    for (const [i, x] of flips) body[i]! ^= x;
    return { body, gzip: false };
  }),
  fc.tuple(fc.nat({ max: valid.length - 1 }), fc.boolean()).map(([n, cutZip]) => {
    const zipped = gzipSync(valid);
    return { body: cutZip ? zipped.subarray(0, Math.floor((n / valid.length) * zipped.length)) : gzipSync(valid.subarray(0, n)), gzip: true };
  }),
);

describe('hostile bodies at a running collector', () => {
  it(`answers ${RUNS.bodies} random, truncated, flipped and gzip-damaged protobuf bodies below 500, counts every 400, and serves on`, async () => {
    const before = ((await collector.get('/v1/status')).body as { totals: { requestsRefused: Record<string, number> } }).totals.requestsRefused.bad_body ?? 0;
    const samples = fc.sample(hostileBody(), { numRuns: RUNS.bodies, seed: 42 });
    const statuses: Record<number, number> = {};
    for (let i = 0; i < samples.length; i += 8) {
      await Promise.all(samples.slice(i, i + 8).map(async ({ body, gzip }) => {
        const status = await post(`${collector.address}/v1/metrics`, body, { 'content-type': 'application/x-protobuf', ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
        statuses[status] = (statuses[status] ?? 0) + 1;
      }));
    }
    expect(Object.keys(statuses).map(Number).every((s) => s === 200 || s === 400), JSON.stringify(statuses)).toBe(true);
    expect(statuses[400]).toBeGreaterThan(RUNS.bodies / 4);
    const after = ((await collector.get('/v1/status')).body as { totals: { requestsRefused: Record<string, number> } }).totals.requestsRefused.bad_body ?? 0;
    expect(after - before).toBe(statuses[400]);
    // Still alive, still merging: the untouched request is taken.
    expect((await collector.get('/healthz')).status).toBe(200);
    expect(await post(`${collector.address}/v1/metrics`, valid, { 'content-type': 'application/x-protobuf' })).toBe(200);
    console.log(`hostile protobuf at the collector: ${JSON.stringify(statuses)}`);
  }, 120_000);
});

/** Opens a raw connection, promises 10 000 bytes and sends one every 400 ms. Resolves when the server closes it, with the ms it took. */
function trickledUpload(url: string, path: string, contentType: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let drip: NodeJS.Timeout | undefined;
    const socket = connect(Number(port), hostname, () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${contentType}\r\nContent-Length: 10000\r\n\r\n`);
      drip = setInterval(() => socket.write('0'), 400);
    });
    socket.on('error', () => undefined);
    socket.resume();
    socket.on('close', () => {
      clearInterval(drip);
      resolve(performance.now() - started);
    });
    setTimeout(() => {
      clearInterval(drip);
      socket.destroy();
      reject(new Error('the server kept a trickled upload open for 20 s'));
    }, 20_000).unref();
  });
}

/** Opens a raw connection, sends headers promising 10 000 bytes and then 10, and stalls. Resolves when the server closes it, with the ms it took. */
function stalledUpload(url: string, path: string, contentType: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(Number(port), hostname, () => {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${contentType}\r\nContent-Length: 10000\r\n\r\n0123456789`);
    });
    socket.on('error', () => undefined);
    socket.resume(); // read what comes (a 503), or the close goes unseen
    socket.on('close', () => resolve(performance.now() - started));
    setTimeout(() => reject(new Error('the server kept a stalled upload open for 10 s')), 10_000).unref();
  });
}

describe('stalled bodies', () => {
  for (const [name, target, path, type, totals] of [
    ['collector', () => collector, '/v1/metrics', 'application/x-protobuf', 'requestsRefused'],
    ['agent', () => agent, '/v1/events', 'application/json', 'apiRefused'],
  ] as const) {
    it(`${name}: a stalled upload neither blocks other requests nor holds its connection past bodyTimeoutSeconds`, async () => {
      const server = target();
      const stalls = Array.from({ length: 20 }, () => stalledUpload(server.address, path, type));
      // While 20 uploads stall, the server answers others at once.
      await new Promise((r) => setTimeout(r, 200));
      expect((await server.get('/healthz')).status).toBe(200);
      const closedAfterMs = await Promise.all(stalls);
      for (const ms of closedAfterMs) {
        expect(ms).toBeGreaterThan(900);
        expect(ms).toBeLessThan(5000);
      }
      const status = (await server.get('/v1/status')).body as { totals: Record<string, Record<string, number>> };
      // Each sheds what is over its maxConcurrentRequests (agent 16, collector 8) at once; those bodies stall while discarded.
      const refused = status.totals[totals]!;
      expect((refused.body_timeout ?? 0) + (refused.overloaded ?? 0)).toBe(20);
      expect(refused.body_timeout).toBeGreaterThanOrEqual(name === 'agent' ? 16 : 8);
    }, 120_000);
  }

  for (const [name, target, path, type] of [
    ['collector', () => collector, '/v1/metrics', 'application/x-protobuf'],
    ['agent', () => agent, '/v1/events', 'application/json'],
  ] as const) {
    it(`${name}: a body trickled a byte every 400 ms (under the idle timeout) loses its connection at bodyDeadlineSeconds (issue 16, finding 11)`, async () => {
      const closedAfterMs = await Promise.all(Array.from({ length: 4 }, () => trickledUpload(target().address, path, type)));
      for (const ms of closedAfterMs) {
        expect(ms).toBeGreaterThan(2900);
        expect(ms).toBeLessThan(8000);
      }
      expect((await target().get('/healthz')).status).toBe(200);
    }, 120_000);
  }

  it('agent: refused requests (unreadable, wrong type) are counted and leave nothing behind on a keep-alive connection', async () => {
    for (let i = 0; i < 30; i++) expect((await agent.post('/v1/events', '[{"model": "loans",')).status).toBe(400);
    // Refused before the body is read (wrong content type), so the body is discarded on the connection.
    for (let i = 0; i < 30; i++) expect((await agent.post('/v1/events', 'x'.repeat(200_000), { 'content-type': 'text/plain' })).status).toBe(415);
    const refused = ((await agent.get('/v1/status')).body as { totals: { apiRefused: Record<string, number> } }).totals.apiRefused;
    expect(refused).toMatchObject({ bad_body: 30, content_type: 30 });
    expect(agent.logs.filter((l) => l.warning === 'MaxListenersExceededWarning')).toEqual([]);
  });
});

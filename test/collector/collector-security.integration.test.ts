import { createHash, X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../helpers/agent-process.js';
import { exampleBaseline, exampleRows, toEvent } from '../helpers/example-events.js';
import { makeTestCertificates, type TestCertificates } from '../helpers/test-certificates.js';
import { exampleWindowReport, windowPayload } from '../helpers/window-payloads.js';

/**
 * The link from agents to the collector: an agent without the token gets 401, one whose client
 * certificate the collector's CA did not sign gets 403; both are counted, the agent keeps its
 * window in the outbox, and a rightly configured agent is served.
 */
const dir = mkdtempSync(join(tmpdir(), 'dw-link-'));
const WINDOW_MS = 60_000;
const t0 = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 20 * WINDOW_MS;
const rows = exampleRows('loans-stable.csv').slice(0, 30);
const TOKEN = 'a-collector-token-of-32-chars!!!';
let certs: TestCertificates;
const running: AgentProcess[] = [];

type Status = { outbox: { count: number; failingAttempts: number }[]; totals: { points: Record<string, number>; requestsRefused: Record<string, number> } };

/** Starts an agent exporting to `endpoint`, closes one window and returns it once the export was tried. */
async function agentSending(endpoint: string, otlp: Record<string, unknown>, instanceId = `agent-${running.length}`): Promise<AgentProcess> {
  const agent = await startAgent({
    instanceId,
    models: [{ name: 'loans', baseline: join(dir, 'loans.json') }],
    api: { port: 0 },
    windows: { seconds: 60, graceSeconds: 0, clock: 'event' },
    sinks: { otlp: { endpoint, ...otlp } },
    // Refused agents keep their window; their final send at SIGTERM would fail again.
    shutdown: { deadlineSeconds: 2 },
  }, { dir: mkdtempSync(join(dir, 'agent-')) });
  running.push(agent);
  const events = rows.map((r, i) => toEvent(r, 'loans', t0 + i * 100));
  events.push(toEvent(rows[0]!, 'loans', t0 + WINDOW_MS));
  expect((await agent.postEvents(events)).status).toBe(200);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const outbox = ((await agent.get('/v1/status')).body as Status).outbox[0]!;
    if (outbox.count === 0 || outbox.failingAttempts > 0) return agent;
    if (Date.now() > deadline) throw new Error('the agent never tried to export');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startCollector(receiver: Record<string, unknown>): Promise<AgentProcess> {
  const here = mkdtempSync(join(dir, 'collector-'));
  const collector = await startAgent({
    models: [{ name: 'loans', baseline: join(dir, 'loans.json') }],
    receiver: { port: 0, ...receiver },
    windows: { seconds: 60, graceSeconds: 600 },
    sinks: { file: { path: join(here, 'payloads.ndjson') } },
  }, { dir: here, command: 'collector' });
  running.push(collector);
  return collector;
}

beforeAll(async () => {
  writeFileSync(join(dir, 'loans.json'), JSON.stringify(await exampleBaseline()));
  certs = makeTestCertificates();
});

afterAll(async () => {
  // In parallel: each agent's final send is bounded by its 2 s deadline, the collectors' by 20 s.
  await Promise.all(running.map((p) => p.stop()));
}, 120_000);

describe('bearer token', () => {
  it('refuses an agent without the token with 401, counts it, and serves the agent that has it', async () => {
    const collector = await startCollector({ token: TOKEN });
    const url = `${collector.address}/v1/metrics`;
    const without = await agentSending(url, {});
    expect(((await without.get('/v1/status')).body as Status).outbox[0]!.count).toBe(1);
    const wrong = await agentSending(url, { token: 'not-the-token-but-long-enough' });
    expect(((await wrong.get('/v1/status')).body as Status).outbox[0]).toMatchObject({ count: 1 });
    const right = await agentSending(url, { token: TOKEN });
    expect(((await right.get('/v1/status')).body as Status).outbox[0]).toMatchObject({ count: 0 });
    const status = (await collector.get('/v1/status', { authorization: `Bearer ${TOKEN}` })).body as Status;
    expect(status.totals.requestsRefused.unauthorized).toBeGreaterThanOrEqual(2);
    expect(status.totals.points.accepted).toBeGreaterThan(0);
    // The probes stay open for Kubernetes; everything else needs the token.
    expect((await collector.get('/healthz')).status).toBe(200);
    expect((await collector.get('/v1/status')).status).toBe(401);
  });
});

describe('mutual TLS', () => {
  it('refuses an agent with a certificate from another CA, or none, with 403; serves the one the CA signed', async () => {
    const collector = await startCollector({ tls: { cert: certs.serverCert, key: certs.serverKey, clientCa: certs.ca } });
    expect(collector.address).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const url = `${collector.address}/v1/metrics`;
    const rogue = await agentSending(url, { tls: { ca: certs.ca, cert: certs.rogueClientCert, key: certs.rogueClientKey } });
    expect(((await rogue.get('/v1/status')).body as Status).outbox[0]).toMatchObject({ count: 1 });
    const none = await agentSending(url, { tls: { ca: certs.ca } });
    expect(((await none.get('/v1/status')).body as Status).outbox[0]).toMatchObject({ count: 1 });
    // Under the name its certificate proves (finding 7: any other instance id is refused).
    const good = await agentSending(url, { tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } }, 'client');
    expect(((await good.get('/v1/status')).body as Status).outbox[0]).toMatchObject({ count: 0 });
    // The status endpoint needs a client certificate too, so the refusals are read from the log.
    const forbidden = collector.logs.filter((l) => l.code === 'DW_ERR_API_FORBIDDEN');
    expect(forbidden.length).toBeGreaterThanOrEqual(2);
  });
});

describe('agent identity bound to the credential (issue 16, finding 7)', () => {
  type Auth = { token?: string; cert?: string; key?: string };
  /** One HTTPS request trusting the test CA, with a token and/or a client certificate. */
  function call(url: string, method: 'GET' | 'POST', body: string, auth: Auth): Promise<{ status: number; text: string }> {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(auth.token === undefined ? {} : { authorization: `Bearer ${auth.token}` }) };
    return new Promise((resolve, reject) => {
      const req = httpsRequest(url, { method, headers, ca: readFileSync(certs.ca), ...(auth.cert === undefined ? {} : { cert: readFileSync(auth.cert), key: readFileSync(auth.key!) }) }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  /** Posts one window under `instance` as OTLP JSON. */
  async function postWindow(url: string, instance: string, startMs: number, auth: Auth): Promise<{ status: number; text: string }> {
    const profile = await exampleBaseline();
    return call(url, 'POST', windowPayload(await exampleWindowReport(profile, startMs, WINDOW_MS), profile, instance, 'json'), auth);
  }
  const statusOf = async (collector: AgentProcess, auth: Auth): Promise<Status & { models: { openWindows: { events: number }[] }[] }> =>
    JSON.parse((await call(`${collector.address}/v1/status`, 'GET', '', auth)).text) as Status & { models: { openWindows: { events: number }[] }[] };
  const openWindows = async (collector: AgentProcess, auth: Auth): Promise<number[]> => (await statusOf(collector, auth)).models[0]!.openWindows.map((w) => w.events);

  it('a per-agent token sends only under its own instance id: another is 403, and cannot pre-empt the real agent\'s window', async () => {
    const T7 = 'token-of-gpu-7-is-32-characters!';
    const T8 = 'token-of-gpu-8-is-32-characters!';
    const collector = await startCollector({ tls: { cert: certs.serverCert, key: certs.serverKey }, agentTokens: [{ instance: 'gpu-7', token: T7 }, { instance: 'gpu-8', token: T8 }] });
    const url = `${collector.address}/v1/metrics`;
    const spoof = await postWindow(url, 'gpu-8', t0, { token: T7 });
    expect(spoof.status).toBe(403);
    expect(spoof.text).toMatch(/service\.instance\.id 'gpu-8' is not the identity its token \(instance 'gpu-7'\) proves/);
    expect(await openWindows(collector, { token: T7 })).toEqual([]);
    // The real gpu-8's window is taken, not dropped as a duplicate of the spoof.
    expect((await postWindow(url, 'gpu-8', t0, { token: T8 })).status).toBe(200);
    expect((await postWindow(url, 'gpu-7', t0, { token: T7 })).status).toBe(200);
    expect(await openWindows(collector, { token: T7 })).toEqual([60]);
    const refused = (await statusOf(collector, { token: T7 })).totals.requestsRefused;
    expect(refused.forbidden).toBe(1);
  });

  it('a client certificate sends only under its subject\'s name', async () => {
    const collector = await startCollector({ tls: { cert: certs.serverCert, key: certs.serverKey, clientCa: certs.ca } });
    const url = `${collector.address}/v1/metrics`;
    const other = await postWindow(url, 'agent-9', t0, { cert: certs.clientCert, key: certs.clientKey });
    expect(other.status).toBe(403);
    expect(other.text).toMatch(/'agent-9' is not the identity its certificate \(client\) proves/);
    expect((await postWindow(url, 'client', t0, { cert: certs.clientCert, key: certs.clientKey })).status).toBe(200);
    expect(await openWindows(collector, { cert: certs.clientCert, key: certs.clientKey })).toEqual([30]);
  });
});

describe('certificates renewed in place (cert-manager)', () => {
  /** The certificate the server presents now. */
  function servedCertificate(address: string): Promise<string> {
    const { hostname, port } = new URL(address);
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({ host: hostname, port: Number(port), rejectUnauthorized: false }, () => {
        resolve(socket.getPeerCertificate().fingerprint256);
        socket.end();
      });
      socket.on('error', reject);
    });
  }

  it('the collector serves a renewed certificate, and an agent sends with its renewed client certificate, without a restart', async () => {
    const renewed = makeTestCertificates();
    const live = mkdtempSync(join(dir, 'live-tls-'));
    const files = { cert: join(live, 'tls.crt'), key: join(live, 'tls.key'), ca: join(live, 'ca.crt') };
    copyFileSync(certs.serverCert, files.cert);
    copyFileSync(certs.serverKey, files.key);
    copyFileSync(certs.ca, files.ca);
    const collector = await startCollector({ tls: { cert: files.cert, key: files.key, clientCa: files.ca } });
    const before = await servedCertificate(collector.address);
    copyFileSync(renewed.serverCert, files.cert);
    copyFileSync(renewed.serverKey, files.key);
    // The collector looks for renewed files once a minute.
    const deadline = Date.now() + 150_000;
    let after = before;
    while (after === before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      after = await servedCertificate(collector.address);
    }
    expect(after).not.toBe(before);
    expect(createHash('sha256').update(new X509Certificate(readFileSync(renewed.serverCert)).raw).digest('hex').toUpperCase().match(/../g)!.join(':')).toBe(after);

    // The agent's client certificate, renewed in place from another CA: the very next send presents it (and is refused).
    const clientFiles = { ca: join(live, 'agent-ca.crt'), cert: join(live, 'agent.crt'), key: join(live, 'agent.key') };
    copyFileSync(renewed.ca, clientFiles.ca);
    copyFileSync(certs.clientCert, clientFiles.cert);
    copyFileSync(certs.clientKey, clientFiles.key);
    const agent = await agentSending(`${collector.address}/v1/metrics`, { tls: clientFiles }, 'client');
    expect(((await agent.get('/v1/status')).body as Status).outbox[0]).toMatchObject({ count: 0 });
    copyFileSync(certs.rogueClientCert, clientFiles.cert);
    copyFileSync(certs.rogueClientKey, clientFiles.key);
    const refusedBefore = collector.logs.filter((l) => l.code === 'DW_ERR_API_FORBIDDEN').length;
    const events = rows.map((r, i) => toEvent(r, 'loans', t0 + 2 * WINDOW_MS + i * 100));
    events.push(toEvent(rows[0]!, 'loans', t0 + 3 * WINDOW_MS));
    expect((await agent.postEvents(events)).status).toBe(200);
    const until = Date.now() + 60_000;
    while (collector.logs.filter((l) => l.code === 'DW_ERR_API_FORBIDDEN').length === refusedBefore && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(collector.logs.filter((l) => l.code === 'DW_ERR_API_FORBIDDEN').length).toBeGreaterThan(refusedBefore);
  }, 240_000);
});

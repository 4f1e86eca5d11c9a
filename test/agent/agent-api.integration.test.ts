import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, waitForCheckpoint, type AgentProcess } from '../helpers/agent-process.js';
import { exampleBaseline, exampleRows, toEvent } from '../helpers/example-events.js';
import { CLI, runCli } from '../helpers/run-cli.js';
import { makeTestCertificates } from '../helpers/test-certificates.js';

const dir = mkdtempSync(join(tmpdir(), 'dw-api-'));
const baseline = join(dir, 'loans.json');
const rows = exampleRows('loans-stable.csv');
const TOKEN = 'a-test-token-of-32-characters!!!';
let agent: AgentProcess;

const config = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  models: [{ name: 'loans', baseline }],
  api: { port: 0 },
  sinks: { file: { path: join(dir, 'payloads.ndjson') } },
  ...extra,
});

beforeAll(async () => {
  writeFileSync(baseline, JSON.stringify(await exampleBaseline()));
  agent = await startAgent(config());
});
afterAll(async () => {
  await agent?.stop();
});

describe('POST /v1/events', () => {
  it('counts a JSON array of good events', async () => {
    const res = await agent.postEvents(rows.slice(0, 10).map((r) => toEvent(r, 'loans')));
    expect(res).toEqual({ status: 200, body: { accepted: 10, rejected: 0, errors: [] } });
  });

  it('takes NDJSON, gzip included, and names the line of a malformed one while counting the rest', async () => {
    const lines = [JSON.stringify(toEvent(rows[0]!, 'loans')), '{"model": "loans", ', JSON.stringify(toEvent(rows[1]!, 'loans'))].join('\n');
    const res = await agent.post('/v1/events', gzipSync(lines) as unknown as string,
      { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' });
    expect(res.status).toBe(422);
    expect(res.body.accepted).toBe(2);
    expect(res.body.errors).toEqual([expect.objectContaining({ index: 1, line: 2, reason: 'malformed_json' })]);
  });

  it('refuses each bad event with a reason and counts the good ones', async () => {
    const good = toEvent(rows[2]!, 'loans');
    const features = good.features as Record<string, unknown>;
    const batch = [
      good,
      'not an object',
      { features: {} },
      { model: 'fraud', features: {} },
      { model: 'loans', features: { ...features, income: 'lots' } },
      { model: 'loans', features: { ...features, shoe_size: 42 } },
      { model: 'loans', features: { ...features, age: '__OVERFLOW__' } }, // sent as 1e400, which JSON.parse reads as Infinity
      { model: 'loans', timestamp: 'yesterday', features },
      { model: 'loans', timestamp: Date.now() + 3_600_000, features },
      { model: 'loans', timestamp: Date.now() - 3_600_000, features },
      { model: 'loans', features: [1, 2] },
      { model: 'loans', features, prediction: { confidence: 'high' } },
      { model: 'loans', version: { v: 1 }, features },
      // Issue 16, findings 10, 12 and 13: a 5 000-deep value, a timestamp of 1e300, a typo in the envelope and in the prediction, a confidence of 1.7.
      { model: 'loans', features: { ...features, region: '__DEEP__' } },
      { model: 'loans', timestamp: 1e300, features },
      { model: 'loans', feature: features },
      { model: 'loans', features, prediction: { lable: 'approve' } },
      { model: 'loans', features, prediction: { confidence: 1.7 } },
    ];
    const deep = `${'['.repeat(5000)}1${']'.repeat(5000)}`;
    const res = await agent.post('/v1/events', JSON.stringify(batch).replace('"__OVERFLOW__"', '1e400').replace('"__DEEP__"', deep));
    expect(res.status).toBe(422);
    expect(res.body.accepted).toBe(1);
    expect((res.body.errors as { index: number; reason: string; field?: string }[]).map((e) => [e.index, e.reason, e.field])).toEqual([
      [1, 'not_an_object', undefined],
      [2, 'missing_model', 'model'],
      [3, 'unknown_model', 'model'],
      [4, 'bad_value', 'features.income'],
      [5, 'unknown_feature', 'features.shoe_size'],
      [6, 'bad_value', 'features.age'],
      [7, 'bad_timestamp', 'timestamp'],
      [8, 'future_timestamp', 'timestamp'],
      [9, 'late_event', 'timestamp'],
      [10, 'bad_features', 'features'],
      [11, 'bad_prediction', 'prediction'],
      [12, 'bad_version', 'version'],
      [13, 'too_deep', undefined],
      [14, 'bad_timestamp', 'timestamp'],
      [15, 'unknown_field', 'feature'],
      [16, 'unknown_field', 'prediction.lable'],
      [17, 'bad_prediction', 'prediction'],
    ]);
    const status = await agent.get('/v1/status');
    const totals = status.body.totals as { eventsRejected: Record<string, number> };
    expect(totals.eventsRejected.unknown_model).toBeGreaterThanOrEqual(1);
    expect(totals.eventsRejected.bad_value).toBeGreaterThanOrEqual(2);
  });

  it('answers 400 for a malformed JSON body, 415 for another content type, 413 for an oversize body', async () => {
    expect((await agent.post('/v1/events', '[{"model":')).status).toBe(400);
    expect((await agent.post('/v1/events', '[]', { 'content-type': 'text/plain' })).body).toMatchObject({ error: { code: 'DW_ERR_API_CONTENT_TYPE' } });
    expect((await agent.post('/v1/events', '[]', { 'content-type': 'application/json', 'content-encoding': 'br' })).status).toBe(415);
    const big = JSON.stringify(Array.from({ length: 200_000 }, () => toEvent(rows[0]!, 'loans')));
    expect(big.length).toBeGreaterThan(16 * 1024 * 1024);
    const res = await agent.post('/v1/events', big);
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: { code: 'DW_ERR_API_BODY_TOO_LARGE' } });
  });

  it('answers 404 and 405 with an error code', async () => {
    expect((await agent.get('/v2/nothing')).body).toMatchObject({ error: { code: 'DW_ERR_API_NOT_FOUND' } });
    expect((await agent.get('/v1/events')).status).toBe(405);
  });
});

describe('health, status and flush', () => {
  it('answers /healthz and /readyz', async () => {
    expect(await agent.get('/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect((await agent.get('/readyz')).status).toBe(200);
  });

  it('shows open-window counts, then closes them on flush', async () => {
    const before = await agent.get('/v1/status');
    const open = (before.body.models as { openWindows: { events: number }[] }[])[0]!.openWindows;
    const counted = open.reduce((n, w) => n + w.events, 0);
    expect(counted).toBe(13); // 10 + 2 + 1 accepted above
    const flushed = await agent.post('/v1/flush', '');
    expect((flushed.body.closed as { events: number }[]).reduce((n, w) => n + w.events, 0)).toBe(13);
    const after = await agent.get('/v1/status');
    const model = (after.body.models as { openWindows: unknown[]; lastClosedWindow: { events: number } }[])[0]!;
    expect(model.openWindows).toEqual([]);
    expect(model.lastClosedWindow.events).toBe(13);
  });
});

describe('GET /v1/windows (issue 19)', () => {
  it('lists the closed windows kept on the host, by model and time, across a restart; a bad parameter is 400 naming it', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'dw-history-'));
    const cfg = config({ windows: { seconds: 60, clock: 'event', graceSeconds: 0 }, state: { path: join(stateDir, 'agent.db') } });
    const first = await startAgent(cfg, { dir: stateDir });
    // Three one-minute windows an hour ago (event clock: the next window's first event closes the last).
    const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;
    const events = [0, 1, 2, 3].flatMap((w) => rows.slice(0, w === 3 ? 1 : 30 + w).map((r, i) => toEvent(r, 'loans', t0 + w * 60_000 + i)));
    expect((await first.postEvents(events)).status).toBe(200);
    await first.stop();
    const second = await startAgent(cfg, { dir: stateDir });
    try {
      const all = await second.get('/v1/windows?model=loans');
      expect(all.status).toBe(200);
      const windows = all.body.windows as { start: string; end: string; events: number; drift: boolean; baseline: string; report: { counts: number[][] } }[];
      expect(windows.map((w) => [Date.parse(w.start) - t0, w.events])).toEqual([[0, 30], [60_000, 31], [120_000, 32]]);
      expect(windows[0]!.baseline).toMatch(/^[0-9a-f]{64}$/);
      // The counts are the window's: each numeric feature's bins add up to its events.
      expect(windows[1]!.report.counts[0]!.reduce((a, b) => a + b, 0)).toBe(31);
      const since = new Date(t0 + 90_000).toISOString();
      expect(((await second.get(`/v1/windows?since=${since}&limit=1`)).body.windows as { events: number }[]).map((w) => w.events)).toEqual([32]);
      expect(((await second.get('/v1/windows?since=2h&until=30m')).body.windows as unknown[]).length).toBe(3);
      for (const [query, field] of [['since=yesterday', 'since'], ['limit=0', 'limit'], ['model=fraud', 'model'], ['modle=loans', 'modle']]) {
        const res = await second.get(`/v1/windows?${query}`);
        expect(res.status, query).toBe(400);
        expect(res.body.error, query).toMatchObject({ code: 'DW_ERR_API_QUERY', message: expect.stringMatching(new RegExp(`^${field}: `)) as unknown });
      }
    } finally {
      await second.stop();
    }
  });
});

describe('durable state', () => {
  it('refuses a second process on the same state file, naming the holder, and starts once the holder is gone (issue 16, finding 14)', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'dw-lock-'));
    const cfg = config({ state: { path: join(stateDir, 'agent.db') } });
    const first = await startAgent(cfg, { dir: stateDir });
    const pid = first.child.pid!;
    await expect(startAgent(cfg, { dir: mkdtempSync(join(stateDir, 'b-')) })).rejects.toThrow(
      new RegExp(`exited with 2 before listening; stderr: driftwatch: error: .*agent\\.db: field 'state\\.path': the state file is in use by process ${pid} on .*\\[DW_ERR_STATE_LOCKED\\]`));
    // A collector on the same file is refused too.
    await expect(startAgent({ models: [{ name: 'loans', baseline }], receiver: { port: 0 }, state: { path: join(stateDir, 'agent.db') } },
      { dir: mkdtempSync(join(stateDir, 'c-')), command: 'collector' })).rejects.toThrow(/DW_ERR_STATE_LOCKED/);
    await first.kill();
    const second = await startAgent(cfg, { dir: stateDir });
    expect((await second.get('/healthz')).status).toBe(200);
    expect(await second.stop()).toBe(0);
  });

  it('resumes checkpointed open windows after kill -9', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'dw-resume-'));
    const cfg = config({ windows: { checkpointMs: 100 }, state: { path: join(stateDir, 'agent.db') } });
    const first = await startAgent(cfg, { dir: stateDir });
    expect((await first.postEvents(rows.slice(0, 150).map((r) => toEvent(r, 'loans')))).status).toBe(200);
    await waitForCheckpoint(join(stateDir, 'agent.db'), 150);
    await first.kill();
    const second = await startAgent(cfg, { dir: stateDir });
    try {
      const flushed = await second.post('/v1/flush', '');
      expect((flushed.body.closed as { events: number }[]).reduce((n, w) => n + w.events, 0)).toBe(150);
    } finally {
      await second.stop();
    }
  });

  it('exits cleanly on SIGTERM', async () => {
    const other = await startAgent(config({ state: { path: join(mkdtempSync(join(tmpdir(), 'dw-term-')), 'a.db') } }));
    expect(await other.stop()).toBe(0);
    expect(other.logs.some((l) => l.msg === 'Stopped.')).toBe(true);
  });
});

describe('a unix socket and several models', () => {
  /** One request over the agent's unix socket. */
  const overSocket = (socketPath: string, method: string, path: string, body?: string): Promise<{ status: number; body: Record<string, unknown> }> =>
    new Promise((resolve, reject) => {
      const req = request({ socketPath, method, path, headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => { text += c.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
      });
      req.on('error', reject);
      req.end(body);
    });

  it('serves the API on a unix socket and keeps each model in its own windows', async () => {
    const here = mkdtempSync(join(tmpdir(), 'dw-sock-'));
    const socket = join(here, 'agent.sock');
    const two = await startAgent({
      models: [{ name: 'loans', baseline }, { name: 'loans-eu', baseline, unknownFeatures: 'ignore' }],
      api: { socket },
      sinks: { file: { path: join(here, 'payloads.ndjson') } },
    }, { dir: here });
    try {
      expect(two.address).toBe(`unix:${socket}`);
      const events = [
        ...rows.slice(0, 4).map((r) => toEvent(r, 'loans')),
        ...rows.slice(4, 10).map((r) => toEvent(r, 'loans-eu')),
        { ...toEvent(rows[10]!, 'loans-eu'), features: { ...toEvent(rows[10]!, 'loans-eu').features as object, extra: 1 } },
        { ...toEvent(rows[11]!, 'loans'), features: { extra: 1 } },
      ];
      const res = await overSocket(socket, 'POST', '/v1/events', JSON.stringify(events));
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({ accepted: 11, rejected: 1, errors: [{ index: 11, reason: 'unknown_feature', field: 'features.extra' }] });
      const status = await overSocket(socket, 'GET', '/v1/status');
      const perModel = Object.fromEntries((status.body.models as { name: string; openWindows: { events: number }[] }[])
        .map((m) => [m.name, m.openWindows.reduce((n, w) => n + w.events, 0)]));
      expect(perModel).toEqual({ loans: 4, 'loans-eu': 7 });
      // The socket is local, so flush is allowed over it.
      const flushed = await overSocket(socket, 'POST', '/v1/flush', '');
      expect(flushed.status).toBe(200);
      expect((flushed.body.closed as { model: string }[]).map((c) => c.model).sort()).toEqual(['loans', 'loans-eu']);
    } finally {
      expect(await two.stop()).toBe(0);
    }
  });
});

describe('HTTPS (issue 16, finding 9)', () => {
  it('serves the API over TLS from api.tls, and logs a warning for api.insecure off loopback', async () => {
    const certs = makeTestCertificates();
    const tlsDir = mkdtempSync(join(tmpdir(), 'dw-tls-'));
    const secure = await startAgent(config({ api: { port: 0, token: TOKEN, tls: { cert: certs.serverCert, key: certs.serverKey } } }), { dir: tlsDir });
    try {
      expect(secure.address).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpsRequest(`${secure.address}/v1/status`, { ca: readFileSync(certs.ca), headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(200);
    } finally {
      await secure.stop();
    }
    // Off loopback without TLS only with api.insecure, and then with a warning naming it (all interfaces: 0.0.0.0).
    const insecure = await startAgent(config({ api: { host: '0.0.0.0', port: 0, allowNonLoopback: true, token: TOKEN, insecure: true } }), { dir: mkdtempSync(join(tlsDir, 'i-')) });
    try {
      expect(insecure.logs.some((l) => l.level === 40 && l.setting === 'api.insecure' && /clear text/.test(String(l.msg)))).toBe(true);
    } finally {
      await insecure.stop();
    }
  });
});

describe('bearer token', () => {
  it('refuses requests without the token but keeps probes open', async () => {
    const secured = await startAgent(config({ api: { port: 0, token: TOKEN }, state: { path: join(mkdtempSync(join(tmpdir(), 'dw-tok-')), 'a.db') } }));
    try {
      expect((await secured.get('/v1/status')).status).toBe(401);
      expect((await secured.get('/v1/status', { authorization: 'Bearer wrong-token-of-32-characters!!!!' })).status).toBe(401);
      expect((await secured.get('/v1/status', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
      expect((await secured.get('/healthz')).status).toBe(200);
      // The token is never echoed: not in the status, not in any log line.
      expect(JSON.stringify((await secured.get('/v1/status', { authorization: `Bearer ${TOKEN}` })).body)).not.toContain(TOKEN);
    } finally {
      await secured.stop();
    }
    expect(secured.logs.length).toBeGreaterThan(2);
    expect(JSON.stringify(secured.logs)).not.toContain(TOKEN);
  });

  it('--print-config shows the effective config with every secret redacted', () => {
    const file = join(dir, 'secrets.yaml');
    writeFileSync(file, JSON.stringify(config({ sinks: { otlp: { endpoint: 'https://collector.internal:4318/v1/metrics', token: 'otlp-secret-token-0123456789' } } })));
    const result = spawnSync(process.execPath, [CLI, 'agent', '--print-config', '--config', file], {
      encoding: 'utf8', env: { ...process.env, DRIFTWATCH_API__TOKEN: TOKEN }, timeout: 60_000,
    });
    expect(result.status).toBe(0);
    const printed = JSON.parse(result.stdout) as { api: { token: string; port: number }; sinks: { otlp: { token: string; endpoint: string } } };
    expect(printed.api).toMatchObject({ token: '[redacted]', port: 0 });
    expect(printed.sinks.otlp).toEqual(expect.objectContaining({ token: '[redacted]', endpoint: 'https://collector.internal:4318/v1/metrics' }));
    expect(result.stdout).not.toContain(TOKEN);
    expect(result.stdout).not.toContain('otlp-secret-token-0123456789');
  });
});

describe('bad config', () => {
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const expectConfigError = (file: string, pattern: RegExp): void => {
    const result = runCli(['agent', '--config', file]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^driftwatch: error: /m);
    expect(result.stderr).toMatch(pattern);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  };

  it('names an unknown key, a value out of range, and an unsafe listen address', () => {
    expectConfigError(write('unknown.yaml', `models: [{name: loans, baseline: ${baseline}}]\nwindow: {seconds: 60}\n`), /Unrecognized key.*window/);
    expectConfigError(write('short.yaml', `models: [{name: loans, baseline: ${baseline}}]\nwindows: {seconds: 5}\n`), /field 'windows\.seconds'/);
    expectConfigError(write('open.yaml', `models: [{name: loans, baseline: ${baseline}}]\napi: {host: 0.0.0.0}\n`), /api\.host.*not loopback/);
    expectConfigError(write('retrain.yaml', `models: [{name: loans, baseline: ${baseline}}]\nretraining: {m: 6, n: 5}\n`), /retraining\.m/);
  });

  it('names an unreadable baseline and bad YAML', () => {
    expectConfigError(write('nobase.yaml', 'models: [{name: loans, baseline: /nope/loans.json}]\n'), /model 'loans': cannot read baseline \(ENOENT\)/);
    expectConfigError(write('bad.yaml', 'models: [\n'), /invalid YAML/);
  });

  it('--check validates a good config without starting, and fails on a bad baseline like a start would', () => {
    const good = runCli(['agent', '--check', '--config', write('check.yaml', `models: [{name: loans, baseline: ${baseline}}]\nwindows: {seconds: 60}\n`)]);
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/^model 'loans': \d+ features from /m);
    expect(good.stdout).toMatch(/config OK: 1 model\(s\), API on 127\.0\.0\.1:4390, 60 s windows/);
    const bad = runCli(['agent', '--check', '--config', write('check-bad.yaml', 'models: [{name: loans, baseline: /nope/loans.json}]\n')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/model 'loans': cannot read baseline/);
  });

  it('validates environment overrides like the file', () => {
    const file = write('env.yaml', `models: [{name: loans, baseline: ${baseline}}]\n`);
    const result = spawnSync(process.execPath, [CLI, 'agent', '--config', file], {
      encoding: 'utf8', env: { ...process.env, DRIFTWATCH_WINDOWS__SECONDS: '5' }, timeout: 60_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/field 'windows\.seconds'/);
  });
});

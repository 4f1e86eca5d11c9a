import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeJson, decodeProtobuf } from '../../../../collector/receiver/otlp-request.js';
import { openStores } from '../../../helpers/state-stores.js';
import type { AuditEntry } from '../../../../shared/pipeline/state/audit-log.js';
import { startAgent, waitForDrain, type AgentProcess } from '../../../helpers/agent-process.js';
import { flushWhenCounted } from '../../../helpers/counted-windows.js';
import { exampleBaseline, exampleRows, toEvent } from '../../../helpers/example-events.js';
import type { BaselineProfile } from '../../../../shared/core/profile/baseline-profile.js';
import { buildBaseline } from '../../../../shared/offline/baseline/build-baseline.js';
import { fileRowSource } from '../../../../shared/offline/input/file-row-source.js';
import { startRecordingProxy, type RecordingProxy, type SeenRequest } from '../../../helpers/recording-proxy.js';
import { startLlamaServer } from '../../../helpers/llama-server.js';
import type { ServerProcess } from '../../../helpers/python-server.js';

/**
 * SPEC §4 leak test. Sentinel raw values go into the agents' events; every byte on every link
 * that leaves a process (agent → CloudWatch, agent → collector, agent → telemetry endpoint,
 * collector → CloudWatch) passes a recording TCP proxy and is searched for each sentinel in every
 * form it could take. Then what each proxy saw is compared with the sender's audit log. A fourth
 * agent sits in front of a real LLM server (the OpenAI-compatible proxy, issue 18) with the
 * sentinels in its prompts and tool definitions: they, and the completions its clients received,
 * are searched for on its CloudWatch link, in its state file and in its logs.
 */
const moto = new URL(inject('motoEndpoint'));
const dir = mkdtempSync(join(tmpdir(), 'dw-leak-'));
const WINDOW_MS = 60_000;
const t0 = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 20 * WINDOW_MS;
const MODEL = 'leak-loans';

/** A second model whose baseline comes from a training CSV without a header row (issue 16, finding 1). */
const NAMES_MODEL = 'leak-names';
/** A third, whose training CSV has personal data in its header. */
const PII_MODEL = 'leak-pii';

const SENTINELS = {
  ssn: '078-05-1120',
  float: '123456.789012',
  freeText: 'ZEBRA-QUOKKA-7781 patient asked about refinancing',
  eventId: 'evt-5c1f0e9a-41d7-b3e2',
  person: 'Jane Roe',
  email: 'patient_john.doe@example.com',
  customerId: 'C-7781-0042',
};

/**
 * The training files of NAMES_MODEL and PII_MODEL. `headerless`: no header row, so its first row
 * holds the sentinels where the names would be (an SSN, a float, a person, an id, an e-mail).
 * `pii-header`: a header with an e-mail address as a column name. The builder refuses each as it
 * is; built the way its error says (names given, identifier columns excluded).
 */
async function namesBaseline(kind: 'headerless' | 'pii-header'): Promise<BaselineProfile> {
  const lines = [kind === 'headerless'
    ? `${SENTINELS.ssn},${SENTINELS.float},${SENTINELS.person},${SENTINELS.customerId},${SENTINELS.email},north`
    : `account,amount,holder,customer_id,${SENTINELS.email},region`];
  for (let i = 0; i < 400; i++) lines.push(`${100 + i % 800}-${10 + i % 89}-${1000 + i},${(i * 37.3) % 900},Person ${i},C-${5000 + i},p${i}@example.com,${['north', 'south'][i % 2]}`);
  const csv = join(dir, `${kind}.csv`);
  writeFileSync(csv, `${lines.join('\n')}\n`);
  await expect(buildBaseline(fileRowSource(csv), {})).rejects.toMatchObject({ code: 'DW_ERR_BASELINE_NAME' });
  const named = { columnNames: ['account', 'amount', 'holder', 'customer_id', 'contact', 'region'], headerRow: kind === 'pii-header' };
  await expect(buildBaseline(fileRowSource(csv, named), {})).rejects.toMatchObject({ code: 'DW_ERR_BASELINE_IDENTIFIER' });
  const { profile } = await buildBaseline(fileRowSource(csv, named), { exclude: ['account', 'holder', 'customer_id', 'contact'] });
  expect(profile.features.map((f) => f.name)).toEqual(['amount', 'region']);
  return profile;
}

/** Every form a string takes on the wire: plain, JSON-escaped, URL-encoded (both ways), base64 at each alignment. */
function forms(s: string): string[] {
  const out = new Set([s, JSON.stringify(s).slice(1, -1), encodeURIComponent(s), encodeURIComponent(s).replace(/%20/g, '+')]);
  for (let o = 0; o < 3; o++) {
    const enc = Buffer.from('x'.repeat(o) + s).toString('base64');
    out.add(enc.slice(Math.ceil(o / 3) * 4, Math.floor((o + Buffer.byteLength(s)) / 3) * 4));
  }
  return [...out];
}

const proxies: Record<'agentToCloudWatch' | 'agentToCollector' | 'agentTelemetry' | 'collectorToCloudWatch' | 'llmAgentToCloudWatch', RecordingProxy> = {} as never;
const LLM_MODEL = 'leak-llm';
let llama: ServerProcess;
let llm: AgentProcess;
/** What the LLM's clients received as completions: text the agent saw go by, searched for like the sentinels. */
const completions: string[] = [];
let direct: AgentProcess;
let fleet: AgentProcess;
let collector: AgentProcess;
let telemetryReceiver: Server;

function auditOf(stateDir: string): AuditEntry[] {
  const store = openStores(join(stateDir, '.driftwatch', 'agent.db'));
  try {
    return store.database.audit.entries();
  } finally {
    store.database.close();
  }
}

/** A PutMetricData body or audit payload, with timestamps as epoch milliseconds. */
function normalisePut(json: string): unknown {
  const p = JSON.parse(json) as { Namespace: string; MetricData: Record<string, unknown>[] };
  return { Namespace: p.Namespace, MetricData: p.MetricData.map((d) => ({ ...d,
    Timestamp: typeof d.Timestamp === 'number' ? Math.round(d.Timestamp * 1000) : Date.parse(String(d.Timestamp)) })) };
}

beforeAll(async () => {
  writeFileSync(join(dir, 'loans.json'), JSON.stringify(await exampleBaseline()));
  writeFileSync(join(dir, 'names.json'), JSON.stringify(await namesBaseline('headerless')));
  writeFileSync(join(dir, 'pii.json'), JSON.stringify(await namesBaseline('pii-header')));
  telemetryReceiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{}'));
  });
  await new Promise<void>((r) => telemetryReceiver.listen(0, '127.0.0.1', r));
  const credentials = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' };
  proxies.agentToCloudWatch = await startRecordingProxy({ host: moto.hostname, port: Number(moto.port) });
  proxies.collectorToCloudWatch = await startRecordingProxy({ host: moto.hostname, port: Number(moto.port) });
  proxies.agentTelemetry = await startRecordingProxy({ host: '127.0.0.1', port: (telemetryReceiver.address() as AddressInfo).port });

  const collectorDir = mkdtempSync(join(dir, 'collector-'));
  collector = await startAgent({
    models: [{ name: MODEL, baseline: join(dir, 'loans.json') }, { name: NAMES_MODEL, baseline: join(dir, 'names.json') },
      { name: PII_MODEL, baseline: join(dir, 'pii.json') }],
    receiver: { port: 0 },
    windows: { seconds: 60, graceSeconds: 600 },
    state: { path: join(collectorDir, '.driftwatch', 'agent.db') },
    sinks: { cloudwatch: { namespace: 'DwLeak', endpoint: proxies.collectorToCloudWatch.url, region: 'eu-west-1' } },
  }, { dir: collectorDir, command: 'collector', env: credentials });
  const collectorUrl = new URL(collector.address);
  proxies.agentToCollector = await startRecordingProxy({ host: collectorUrl.hostname, port: Number(collectorUrl.port) });

  const agentConfig = (sinks: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    instanceId: 'leak-agent',
    models: [{ name: MODEL, baseline: join(dir, 'loans.json'), unknownFeatures: 'ignore' },
      { name: NAMES_MODEL, baseline: join(dir, 'names.json'), unknownFeatures: 'ignore' }, { name: PII_MODEL, baseline: join(dir, 'pii.json'), unknownFeatures: 'ignore' }]
      .map((m) => ({ ...m, unknownFields: 'ignore' })),
    api: { port: 0 },
    windows: { seconds: 60, graceSeconds: 0, clock: 'event' },
    sinks,
    ...extra,
  });
  direct = await startAgent(agentConfig({ cloudwatch: { namespace: 'DwLeak', endpoint: proxies.agentToCloudWatch.url, region: 'eu-west-1' } }),
    { dir: mkdtempSync(join(dir, 'direct-')), env: credentials });
  fleet = await startAgent(agentConfig({ otlp: { endpoint: `${proxies.agentToCollector.url}/v1/metrics` } },
    { telemetry: { otlpEndpoint: `${proxies.agentTelemetry.url}/v1/metrics`, exportIntervalMs: 1000 } }), { dir: mkdtempSync(join(dir, 'fleet-')) });

  // 120 real rows with the sentinels in them: an SSN as a category, an unusual float, free text
  // in a field the baseline does not know, and an event id.
  const events = exampleRows('loans-stable.csv').slice(0, 120).map((row, i) => {
    const e = toEvent(row, MODEL, t0 + i * 100) as { features: Record<string, unknown> };
    if (i % 3 === 0) e.features.region = SENTINELS.ssn;
    if (i % 4 === 0) e.features.income = Number(SENTINELS.float);
    e.features.note = SENTINELS.freeText;
    return { ...e, event_id: `${SENTINELS.eventId}` };
  });
  // The names model's events carry the other sentinels as values: the excluded columns as unknown
  // features, the SSN as a region, the float as an amount.
  for (const model of [NAMES_MODEL, PII_MODEL]) {
    for (let i = 0; i < 120; i++) {
      events.push({ model, timestamp: t0 + i * 100, features: {
        account: SENTINELS.ssn, amount: i % 5 === 0 ? Number(SENTINELS.float) : (i * 37.3) % 900, holder: SENTINELS.person,
        customer_id: SENTINELS.customerId, contact: SENTINELS.email, region: i % 4 === 0 ? SENTINELS.ssn : 'south',
      } } as never);
    }
  }
  // One event of the next window per model closes the window (event clock).
  events.push(toEvent(exampleRows('loans-stable.csv')[0]!, MODEL, t0 + WINDOW_MS) as never);
  events.push({ model: NAMES_MODEL, timestamp: t0 + WINDOW_MS, features: { amount: 1, region: 'north' } } as never);
  events.push({ model: PII_MODEL, timestamp: t0 + WINDOW_MS, features: { amount: 1, region: 'north' } } as never);
  for (const agent of [direct, fleet]) {
    const res = await agent.postEvents(events);
    expect(res.status).toBe(200);
    await waitForDrain(agent, 60_000, 3);
  }
  const flushed = (await collector.post('/v1/flush', '')).body as { closed: { events: number }[] };
  expect(flushed.closed.map((c) => c.events)).toEqual([120, 120, 120]);
  await waitForDrain(collector);
  await runLlmAgent(credentials);
  const deadline = Date.now() + 60_000;
  while (proxies.agentTelemetry.requests().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await direct.stop();
  await fleet.stop();
  await collector.stop();
}, 900_000);

/**
 * The LLM agent: chat calls through its OpenAI-compatible proxy to the llama.cpp server, with the
 * sentinels as the system prompt, the user's words and a tool's description; one window of their
 * signals shipped to CloudWatch through its recording proxy.
 */
async function runLlmAgent(credentials: NodeJS.ProcessEnv): Promise<void> {
  llama = await startLlamaServer();
  proxies.llmAgentToCloudWatch = await startRecordingProxy({ host: moto.hostname, port: Number(moto.port) });
  // A baseline of the signals the calls carry (finish reasons, tools, counts), so each is counted and scored.
  const seed = Array.from({ length: 200 }, (_, i) => JSON.stringify({ endpoint: 'chat', server_model: 'other', tools_offered: ['yes', 'no'][i % 2], tool_called: 'no',
    messages: 2, max_tokens: 16, prompt_tokens: 60 + (i % 40), completion_tokens: 8 + (i % 9), finish_reason: ['length', 'stop'][i % 3 === 0 ? 1 : 0] }));
  writeFileSync(join(dir, 'llm-seed.jsonl'), seed.join('\n'));
  const { profile } = await buildBaseline(fileRowSource(join(dir, 'llm-seed.jsonl')), { multivariate: false });
  writeFileSync(join(dir, 'llm.json'), JSON.stringify(profile));
  llm = await startAgent({
    instanceId: 'leak-llm-agent', models: [{ name: LLM_MODEL, baseline: join(dir, 'llm.json') }], api: { port: 0 }, windows: { seconds: 86_400 },
    sinks: { cloudwatch: { namespace: 'DwLeak', endpoint: proxies.llmAgentToCloudWatch.url, region: 'eu-west-1' } },
    sources: { openai: { port: 0, upstream: llama.url, model: LLM_MODEL, requestLogprobs: 3 } },
  }, { dir: mkdtempSync(join(dir, 'llm-')), env: credentials });
  const proxy = String(llm.logs.find((l) => l.msg === 'OpenAI-compatible proxy listening.')!.address);
  const tools = [{ type: 'function', function: { name: 'lookup_customer', description: `Find ${SENTINELS.person} (${SENTINELS.email})`,
    parameters: { type: 'object', properties: { ssn: { type: 'string', description: SENTINELS.ssn } } } } }];
  for (let i = 0; i < 60; i++) {
    const body = { messages: [{ role: 'system', content: `${SENTINELS.freeText}; customer ${SENTINELS.customerId}` }, { role: 'user', content: `${SENTINELS.eventId} ${SENTINELS.float} call ${i}` }],
      max_tokens: 16, temperature: 0.8, seed: i, ...(i % 2 === 0 ? { tools } : {}) };
    const res = await fetch(`${proxy}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { choices: { message: { content: string | null } }[] };
    const text = answer.choices[0]!.message.content ?? '';
    if (text.trim().length >= 12) completions.push(text);
  }
  const flushed = await flushWhenCounted(llm, [LLM_MODEL], 60);
  expect(flushed[LLM_MODEL]!.events).toBe(60);
  await waitForDrain(llm, 60_000, 1);
  await llm.stop();
  await llama.stop();
}

afterAll(async () => {
  await llama?.stop();
  for (const p of Object.values(proxies)) await p?.close();
  await new Promise((r) => telemetryReceiver?.close(r));
});

describe('nothing raw leaves the host', () => {
  it('carried real traffic on every link (else the search below proves nothing)', () => {
    const posts = (p: RecordingProxy): SeenRequest[] => p.requests().filter((r) => r.method === 'POST');
    const counts = Object.fromEntries(Object.entries(proxies).map(([link, p]) => [link, posts(p).length]));
    expect(Object.values(counts).every((n) => n >= 1), JSON.stringify(counts)).toBe(true);
    expect(posts(proxies.agentToCloudWatch).map((r) => r.body.toString('utf8')).join('')).toContain('FeaturePSI');
  });

  it('finds no sentinel in any form in any byte, raw or decoded, either way', () => {
    // At temperature 0.8 the tiny model's answers differ call to call; those of 12 characters or more are searched for too.
    expect(completions.length).toBeGreaterThanOrEqual(10);
    const needles = [...Object.entries(SENTINELS), ...completions.map((c, i) => [`completion ${i}`, c] as const)].flatMap(([name, s]) => forms(s).map((f) => [name, f] as const));
    expect(needles.length).toBeGreaterThan(Object.keys(SENTINELS).length * 3);
    const found: string[] = [];
    for (const [link, proxy] of Object.entries(proxies)) {
      const haystacks = [...proxy.bytes().flatMap((b) => [b.up, b.down]), ...proxy.requests().map((r) => r.body)];
      for (const [name, needle] of needles) {
        if (haystacks.some((h) => h.includes(Buffer.from(needle)))) found.push(`${name} as '${needle}' on ${link}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('the LLM agent: no sentinel or completion in its state file (and its WAL) or its logs', () => {
    const files = ['agent.db', 'agent.db-wal'].map((f) => join(llm.dir, '.driftwatch', f)).filter((f) => existsSync(f));
    expect(files.length).toBeGreaterThanOrEqual(1);
    const haystacks = [...files.map((f) => readFileSync(f)), Buffer.from(JSON.stringify(llm.logs))];
    const found = [...Object.entries(SENTINELS), ...completions.map((c, i) => [`completion ${i}`, c] as const)]
      .flatMap(([name, s]) => forms(s).filter((f) => haystacks.some((h) => h.includes(Buffer.from(f)))).map((f) => `${name} as '${f}'`));
    expect(found).toEqual([]);
  });
});

describe('the search itself', () => {
  it('finds a sentinel hidden in base64 at any alignment, URL-encoded, or JSON-escaped', () => {
    const s = SENTINELS.freeText;
    for (const prefix of ['', 'a', 'ab', 'abc']) {
      const hidden = Buffer.from(`payload=${Buffer.from(prefix + s).toString('base64')}&x=1`);
      expect(forms(s).some((f) => hidden.includes(Buffer.from(f))), `prefix '${prefix}'`).toBe(true);
    }
    expect(forms(s).some((f) => Buffer.from(`q=${encodeURIComponent(s)}`).includes(Buffer.from(f)))).toBe(true);
    expect(forms(s).some((f) => Buffer.from(`q=${new URLSearchParams({ s }).toString()}`).includes(Buffer.from(f)))).toBe(true);
  });
});

describe('the audit log holds exactly what crossed', () => {
  it('agent → CloudWatch: every PutMetricData request, in order', () => {
    const seen = proxies.agentToCloudWatch.requests().filter((r) => r.method === 'POST').map((r) => normalisePut(r.body.toString('utf8')));
    const audited = auditOf(direct.dir).map((e) => normalisePut(e.payload));
    expect(seen.length).toBeGreaterThan(0);
    expect(audited).toEqual(seen);
  });

  it('LLM agent → CloudWatch: every PutMetricData request, in order', () => {
    const seen = proxies.llmAgentToCloudWatch.requests().filter((r) => r.method === 'POST').map((r) => normalisePut(r.body.toString('utf8')));
    const audited = auditOf(llm.dir).map((e) => normalisePut(e.payload));
    expect(seen.length).toBeGreaterThan(0);
    expect(audited).toEqual(seen);
    expect(JSON.stringify(seen)).toContain('finish_reason');
  });

  it('collector → CloudWatch: every PutMetricData request, in order', () => {
    const seen = proxies.collectorToCloudWatch.requests().filter((r) => r.method === 'POST').map((r) => normalisePut(r.body.toString('utf8')));
    const audited = auditOf(collector.dir).map((e) => normalisePut(e.payload));
    expect(seen.length).toBeGreaterThan(0);
    expect(audited).toEqual(seen);
  });

  it('agent → collector and agent → telemetry: every OTLP export, in order', () => {
    const entries = auditOf(fleet.dir);
    const windows = entries.filter((e) => e.destination.startsWith(proxies.agentToCollector.url)).map((e) => decodeJson(e.payload));
    expect(windows.length).toBeGreaterThan(0);
    expect(windows).toEqual(proxies.agentToCollector.requests().filter((r) => r.method === 'POST').map((r) => decodeProtobuf(r.body)));
    const telemetry = entries.filter((e) => e.destination.startsWith(proxies.agentTelemetry.url)).map((e) => e.payload);
    const sent = proxies.agentTelemetry.requests().filter((r) => r.method === 'POST').map((r) => r.body.toString('utf8'));
    // Self-telemetry is recorded before it is sent: everything the proxy saw was audited first, byte
    // for byte, in order (an export may still be on its way when the agent stops, and the exporter
    // may retry one within its deadline).
    expect(sent.length).toBeGreaterThanOrEqual(1);
    const distinct = sent.filter((b, i) => i === 0 || b !== sent[i - 1]);
    expect(telemetry.slice(0, distinct.length)).toEqual(distinct);
  });
});

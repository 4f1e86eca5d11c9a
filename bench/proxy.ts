/**
 * Proxy benchmark (issue 17; not part of `npm test`): what the agent's inference proxy
 * (`sources.oip`) adds to an inference call, against calling the server directly, with nginx (the
 * Debian package, one worker) proxying the same server as the peer, in the same run:
 *  1. latency at a fixed rate (open loop: latency counts from when the request was due), p50 / p99;
 *  2. throughput at saturation (autocannon, 32 keep-alive connections back to back), requests/s.
 * Two servers: a Node process answering every infer call at once with a fixed Open Inference
 * Protocol response (what the proxying itself costs; requests carry one row of a 20-feature FP64
 * tensor, mapped to a 20-feature baseline), and a real one, Seldon MLServer with the example
 * scikit-learn model (what a deployment sees). The agent counts every request it proxies.
 *
 *   npm run bench:proxy [-- --seconds 10 --rate 1000 --connections 32 --agent-flags=--cpu-prof]
 * Environment: DW_BENCH_ONLY=echo runs the first server only; DW_BENCH_AGENT_CONFIG='{"windows":{...}}'
 * merges into the agent's config; DW_BENCH_ECHO_AGENT=1 prints what V8 flags (--trace-gc) write.
 * Needs nginx from Debian's archive (`apt-get download nginx`, unpacked into the user cache, no
 * root) and MLServer (the tests' cached virtualenv, installed on first use).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CACHE_DIR, withInstallLock } from '../scripts/lib/user-cache.js';
import { buildBaseline } from '../shared/offline/baseline/build-baseline.js';
import { arrayRowSource } from '../shared/offline/input/row-source.js';
import { startBenchAgent } from './lib/bench-agent.js';
import autocannon from 'autocannon';
import { quantile } from './lib/http-load.js';
import { rowsFor } from './lib/synthetic-rows.js';
import { exampleBaseline, exampleRows } from '../test/helpers/example-events.js';
import { startMlserver } from '../test/helpers/mlserver.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg('seconds', 10);
const RATE = arg('rate', 1000);
const CONNECTIONS = arg('connections', 32);
const FEATURES = 20;
const dir = mkdtempSync(join(tmpdir(), 'dw-bench-proxy-'));

/** nginx from Debian's package, unpacked (no root) into the user cache on a machine's first run. */
async function nginxBinary(): Promise<string> {
  const cache = join(CACHE_DIR, 'nginx-debian');
  const bin = join(cache, 'usr', 'sbin', 'nginx');
  if (existsSync(bin)) return bin;
  return withInstallLock(`${cache}.lock`, 'nginx', () => {
    if (existsSync(bin)) return bin;
    const work = mkdtempSync(join(tmpdir(), 'dw-nginx-deb-'));
    const got = spawnSync('apt-get', ['download', 'nginx'], { cwd: work, encoding: 'utf8' });
    const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
    if (deb === undefined) throw new Error(`apt-get download nginx failed: ${got.stderr}`);
    mkdirSync(`${cache}.partial`, { recursive: true });
    const unpacked = spawnSync('dpkg', ['-x', join(work, deb), `${cache}.partial`], { encoding: 'utf8' });
    if (unpacked.status !== 0) throw new Error(`dpkg -x failed: ${unpacked.stderr}`);
    renameSync(`${cache}.partial`, cache);
    return bin;
  });
}

/** Resolves with the first line a child prints that matches. */
function waitForLine(child: ChildProcess, match: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (match.test(line)) resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}`)));
  });
}

/** The inference server: answers every infer call at once with one fixed response. */
async function startUpstream(): Promise<{ url: string; child: ChildProcess }> {
  const response = JSON.stringify({ model_name: 'bench', id: 'x', outputs: [{ name: 'predict_proba', shape: [1, 2], datatype: 'FP64', data: [0.25, 0.75] }] });
  const code = `const http = require('node:http'); const body = ${JSON.stringify(response)};
    const s = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }); res.end(body); }); });
    s.keepAliveTimeout = 60000; s.listen(0, '127.0.0.1', () => console.log('port ' + s.address().port));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await waitForLine(child, /^port /);
  return { url: `http://127.0.0.1:${line.split(' ')[1]}`, child };
}

async function startNginx(upstream: string, tag: string): Promise<{ url: string; child: ChildProcess }> {
  const bin = await nginxBinary();
  const prefix = join(dir, `nginx-${tag}`);
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  const port = 20000 + Math.floor(Math.random() * 20000);
  writeFileSync(join(prefix, 'nginx.conf'), `daemon off; master_process off; worker_processes 1; pid ${prefix}/nginx.pid; error_log stderr warn;
events { worker_connections 1024; }
http {
  access_log off; client_body_temp_path ${prefix}/body; proxy_temp_path ${prefix}/proxy; fastcgi_temp_path ${prefix}/fcgi;
  uwsgi_temp_path ${prefix}/uwsgi; scgi_temp_path ${prefix}/scgi;
  upstream server { server ${new URL(upstream).host}; keepalive 64; }
  server { listen 127.0.0.1:${port}; keepalive_requests 100000;
    location / { proxy_pass http://server; proxy_http_version 1.1; proxy_set_header Connection ""; } }
}
`);
  const child = spawn(bin, ['-p', prefix, '-c', join(prefix, 'nginx.conf')], { stdio: ['ignore', 'inherit', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await fetch(`${url}/`, { method: 'GET' });
      return { url, child };
    } catch {
      if (i > 200) throw new Error('nginx did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** One infer POST on a keep-alive agent; resolves with its status. */
function post(agent: HttpAgent, url: string, path: string, body: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const req = request(`${url}${path}`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/** Open loop: RATE requests a second for SECONDS; each latency counts from when the request was due. */
async function fixedRate(url: string, path: string, bodies: Buffer[], rate: number): Promise<{ p50: number; p99: number; errors: number }> {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: 256 });
  const total = rate * SECONDS;
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now() + 50;
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total;) {
    // Sleep until the next request is due (no busy loop: the load generator shares the machine's two cores).
    const wait = start + (i * 1000) / rate - performance.now();
    await new Promise((r) => (wait > 0 ? setTimeout(r, wait) : setImmediate(r)));
    const now = performance.now();
    for (; i < total && start + (i * 1000) / rate <= now; i++) {
      const due = start + (i * 1000) / rate;
      pending.push(post(agent, url, path, bodies[i % bodies.length]!).then((status) => {
        if (status === 200) latencies.push(performance.now() - due);
        else errors++;
      }));
    }
  }
  await Promise.all(pending);
  agent.destroy();
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), errors };
}

/** Closed loop with autocannon: CONNECTIONS clients back to back for SECONDS; requests a second answered 200. */
async function saturation(url: string, path: string, body: Buffer): Promise<number> {
  const result = await autocannon({ url: `${url}${path}`, method: 'POST', connections: CONNECTIONS, duration: SECONDS,
    headers: { 'content-type': 'application/json' }, body });
  return (result.requests.total - result.non2xx - result.errors) / SECONDS;
}

/** V8 flags for the agent process only, e.g. `--agent-flags=--cpu-prof` (space-separated). */
const AGENT_NODE_FLAGS = (process.argv.find((a) => a.startsWith('--agent-flags='))?.slice('--agent-flags='.length) ?? '').split(' ').filter(Boolean);

interface Scenario {
  title: string;
  /** The server's base URL and the infer path its model answers on. */
  upstream: string;
  path: string;
  /** Request bodies (the fixed-rate phase cycles through them; the saturation phase sends the first). */
  bodies: Buffer[];
  /** The agent's baseline file and its `sources.oip.models[0]` mapping. */
  baseline: string;
  mapping: Record<string, unknown>;
  /** Requests a second of the fixed-rate latency phase (below what the server sustains). */
  rate: number;
}

type Row = { p50: number; p99: number; errors: number; rps: number };

/** Direct, through the agent's proxy and through nginx: latency at RATE, throughput at saturation; a Markdown table. */
async function run(scenario: Scenario, tag: string): Promise<string> {
  const agent = await startBenchAgent(dir, scenario.baseline, tag, {
    ...(JSON.parse(process.env.DW_BENCH_AGENT_CONFIG ?? '{}') as object),
    sources: { oip: { port: 0, upstream: scenario.upstream, checkMetadata: false, models: [{ name: 'bench', ...scenario.mapping }] } },
  }, AGENT_NODE_FLAGS);
  const proxyUrl = agent.logs.find((l) => l.msg === 'OIP proxy listening.')!.address!;
  const nginx = await startNginx(scenario.upstream, tag);
  const targets = [['direct', scenario.upstream], ['driftwatch', proxyUrl], ['nginx', nginx.url]] as const;
  // Warm up each path (JIT, connection pools) before measuring.
  const warm = new HttpAgent({ keepAlive: true, maxSockets: CONNECTIONS });
  for (const [, url] of targets) await Promise.all(Array.from({ length: CONNECTIONS }, async (_, c) => {
    for (let i = c; i < 2000; i += CONNECTIONS) await post(warm, url, scenario.path, scenario.bodies[i % scenario.bodies.length]!);
  }));
  warm.destroy();
  const results: Record<string, Row> = {};
  for (const [name, url] of targets) {
    const latency = await fixedRate(url, scenario.path, scenario.bodies, scenario.rate);
    results[name] = { ...latency, rps: await saturation(url, scenario.path, scenario.bodies[0]!) };
  }
  const counted = ((await (await fetch(`${agent.url}/v1/status`)).json()) as { sources: { oip: { exchanges: number; events: number; unread: object } } }).sources.oip;
  nginx.child.kill();
  agent.stop();
  const direct = results.direct!;
  const row = (name: string): string => {
    const r = results[name]!;
    const added = name === 'direct' ? '| ' : `+${(r.p50 - direct.p50).toFixed(3)} / +${(r.p99 - direct.p99).toFixed(3)} |`;
    const loss = name === 'direct' ? '' : `${(100 * (1 - r.rps / direct.rps)).toFixed(1)} %`;
    return `| ${name} | ${r.p50.toFixed(3)} / ${r.p99.toFixed(3)} | ${added} ${Math.round(r.rps)} | ${loss} | ${r.errors} |`;
  };
  const over = (name: string): number => results[name]!.p50 - direct.p50;
  return [
    `### ${scenario.title}`,
    '',
    '| path | latency p50 / p99 (ms) | added p50 / p99 (ms) | requests/s at saturation | throughput loss | errors |',
    '|---|---:|---:|---:|---:|---:|',
    row('direct'), row('driftwatch'), row('nginx'),
    '',
    `latency at ${scenario.rate} req/s; added p50, driftwatch / nginx: ${over('nginx') > 0.01 ? `${(over('driftwatch') / over('nginx')).toFixed(1)}×` : 'nginx adds nothing measurable (≤ 0.01 ms)'}`,
    `driftwatch counted ${counted.events} events from ${counted.exchanges} exchanges (unread: ${JSON.stringify(counted.unread)})`,
    '',
  ].join('\n');
}

// 1. A server that answers at once: what the proxying itself costs.
const training = rowsFor(FEATURES, 0, 20_000, 1);
const columns = Object.keys(training[0]!);
const { profile } = await buildBaseline(arrayRowSource(training), {});
writeFileSync(join(dir, 'baseline.json'), JSON.stringify(profile));
const echo = await startUpstream();
const synthetic = await run({
  title: `A server that answers at once (a Node process, fixed response); ${FEATURES}-feature FP64 rows`,
  upstream: echo.url, path: '/v2/models/bench/infer', baseline: join(dir, 'baseline.json'), rate: RATE,
  bodies: rowsFor(FEATURES, 0, 5_000, 2).map((r) => Buffer.from(JSON.stringify({ inputs: [{ name: 'input-0', shape: [1, FEATURES], datatype: 'FP64', data: columns.map((c) => r[c]) }] }))),
  mapping: { inputs: [{ tensor: 'input-0', columns }] },
}, 'echo');
echo.child.kill();

if (process.env.DW_BENCH_ONLY === 'echo') {
  process.stdout.write(synthetic);
  process.exit(0);
}

// 2. A real inference server: Seldon MLServer 1.7.1 with the scikit-learn example model.
const mlserver = await startMlserver();
writeFileSync(join(dir, 'loans.json'), JSON.stringify(await exampleBaseline()));
const LOAN_FEATURES = ['age', 'income', 'credit_utilization', 'num_accounts', 'tenure_months'];
const loanRows = exampleRows('loans-stable.csv').filter((r) => LOAN_FEATURES.every((f) => typeof r[f] === 'number')).slice(0, 500);
const real = await run({
  title: 'Seldon MLServer 1.7.1, scikit-learn (the example loan model), one row a request',
  upstream: mlserver.url, path: '/v2/models/loans-sklearn/infer', baseline: join(dir, 'loans.json'), rate: 400,
  bodies: loanRows.map((r) => Buffer.from(JSON.stringify({ inputs: [{ name: 'input-0', shape: [1, 5], datatype: 'FP64', data: LOAN_FEATURES.map((f) => r[f]) }] }))),
  mapping: { serverModel: 'loans-sklearn', inputs: [{ tensor: 'input-0', columns: LOAN_FEATURES }], outputs: [{ tensor: 'predict', role: 'label' }] },
}, 'mlserver');
await mlserver.stop();

process.stdout.write([
  `proxy bench: latency at a fixed rate for ${SECONDS} s (open loop, from when each request was due), then throughput with`,
  `${CONNECTIONS} connections back to back for ${SECONDS} s (autocannon); nginx ${spawnSync(await nginxBinary(), ['-v'], { encoding: 'utf8' }).stderr.trim()}, one worker`,
  '',
  synthetic,
  real,
].join('\n'));
// Let the agents exit by themselves (a --cpu-prof profile is written on exit).
await new Promise((r) => setTimeout(r, 3000));
process.exit(0);

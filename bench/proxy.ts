/**
 * Proxy benchmark (issue 17; not part of `npm test`): what the agent's inference proxy
 * (`sources.oip`) adds to an inference call, against calling the server directly, with nginx (the
 * Debian package, one worker) proxying the same server as the peer, in the same run:
 *  1. latency at a fixed rate (open loop: latency counts from when the request was due), p50 / p99;
 *  2. throughput at saturation (closed loop, 32 keep-alive connections back to back), requests/s.
 * The server is a Node process answering every infer call at once with a fixed Open Inference
 * Protocol response, so what is measured is the proxying, not a model. Requests carry one row of a
 * 20-feature FP64 tensor; the agent maps it to a 20-feature baseline and counts every one.
 *
 *   npm run bench:proxy [-- --seconds 10 --rate 1000 --connections 32]
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
import { quantile } from './lib/http-load.js';
import { rowsFor } from './lib/synthetic-rows.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg('seconds', 10);
const RATE = arg('rate', 1000);
const CONNECTIONS = arg('connections', 32);
const FEATURES = 20;
const dir = mkdtempSync(join(tmpdir(), 'dw-bench-proxy-'));
const PATH = '/v2/models/bench/infer';

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

async function startNginx(upstream: string): Promise<{ url: string; child: ChildProcess }> {
  const bin = await nginxBinary();
  const prefix = join(dir, 'nginx');
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
      await fetch(`${url}${PATH}`, { method: 'POST', body: '{}' });
      return { url, child };
    } catch {
      if (i > 200) throw new Error('nginx did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** One infer POST on a keep-alive agent; resolves with its status. */
function post(agent: HttpAgent, url: string, body: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const req = request(`${url}${PATH}`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/** Open loop: RATE requests a second for SECONDS; each latency counts from when the request was due. */
async function fixedRate(url: string, bodies: Buffer[]): Promise<{ p50: number; p99: number; errors: number }> {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: 256 });
  const total = RATE * SECONDS;
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now() + 50;
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total;) {
    const now = performance.now();
    for (; i < total && start + (i * 1000) / RATE <= now; i++) {
      const due = start + (i * 1000) / RATE;
      pending.push(post(agent, url, bodies[i % bodies.length]!).then((status) => {
        if (status === 200) latencies.push(performance.now() - due);
        else errors++;
      }));
    }
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(pending);
  agent.destroy();
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), errors };
}

/** Closed loop: CONNECTIONS clients back to back for SECONDS; requests a second. */
async function saturation(url: string, bodies: Buffer[]): Promise<number> {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: CONNECTIONS });
  const stopAt = performance.now() + SECONDS * 1000;
  let done = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, async (_, c) => {
    for (let i = c; performance.now() < stopAt; i += CONNECTIONS) if ((await post(agent, url, bodies[i % bodies.length]!)) === 200) done++;
  }));
  agent.destroy();
  return done / ((performance.now() - started) / 1000);
}

const training = rowsFor(FEATURES, 0, 20_000, 1);
const columns = Object.keys(training[0]!);
const { profile } = await buildBaseline(arrayRowSource(training), {});
writeFileSync(join(dir, 'baseline.json'), JSON.stringify(profile));
const bodies = rowsFor(FEATURES, 0, 5_000, 2).map((r) => Buffer.from(JSON.stringify({
  inputs: [{ name: 'input-0', shape: [1, FEATURES], datatype: 'FP64', data: columns.map((c) => r[c]) }],
})));

const upstream = await startUpstream();
const agent = await startBenchAgent(dir, join(dir, 'baseline.json'), 'proxy', {
  sources: { oip: { port: 0, upstream: upstream.url, checkMetadata: false, models: [{ name: 'bench', inputs: [{ tensor: 'input-0', columns }] }] } },
});
const status = async (): Promise<{ exchanges: number; events: number; unread: object }> =>
  ((await (await fetch(`${agent.url}/v1/status`)).json()) as { sources: { oip: { exchanges: number; events: number; unread: object } } }).sources.oip;
const proxyUrl = agent.logs.find((l) => l.msg === 'OIP proxy listening.')!.address!;
const nginx = await startNginx(upstream.url);

const targets = [['direct', upstream.url], ['driftwatch', proxyUrl], ['nginx', nginx.url]] as const;
// Warm up each path (JIT, connection pools) before measuring.
for (const [, url] of targets) await Promise.all(Array.from({ length: 2000 }, (_, i) => post(new HttpAgent({ keepAlive: true }), url, bodies[i % bodies.length]!)));
const results: Record<string, { p50: number; p99: number; errors: number; rps: number }> = {};
for (const [name, url] of targets) {
  const latency = await fixedRate(url, bodies);
  const rps = await saturation(url, bodies);
  results[name] = { ...latency, rps };
}
const counted = await status();

const direct = results.direct!;
const row = (name: string): string => {
  const r = results[name]!;
  const added = name === 'direct' ? '' : ` | +${(r.p50 - direct.p50).toFixed(3)} / +${(r.p99 - direct.p99).toFixed(3)} | ${(100 * (1 - r.rps / direct.rps)).toFixed(1)} %`;
  return `| ${name} | ${r.p50.toFixed(3)} / ${r.p99.toFixed(3)}${name === 'direct' ? ' | | ' : added} | ${Math.round(r.rps)} | ${r.errors} |`;
};
const overhead = (name: string): number => results[name]!.p99 - direct.p99;
process.stdout.write([
  `proxy bench: ${FEATURES}-feature requests, ${RATE} req/s for ${SECONDS} s (open loop), then ${CONNECTIONS} connections back to back for ${SECONDS} s`,
  '',
  '| path | latency p50 / p99 (ms) | added p50 / p99 (ms) | throughput loss | requests/s at saturation | errors |',
  '|---|---:|---:|---:|---:|---:|',
  row('direct'), row('driftwatch'), row('nginx'),
  '',
  `added p99, driftwatch / nginx: ${(overhead('driftwatch') / Math.max(overhead('nginx'), 1e-9)).toFixed(2)}×`,
  `driftwatch counted ${counted.events} events from ${counted.exchanges} exchanges (unread: ${JSON.stringify(counted.unread)})`,
  '',
].join('\n'));
for (const c of [upstream.child, nginx.child]) c.kill();
agent.stop();
process.exit(0);

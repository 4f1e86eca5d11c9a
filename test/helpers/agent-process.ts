import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { CLI } from './run-cli.js';

/** A running `driftwatch agent` process. */
export interface AgentProcess {
  /** `http://127.0.0.1:PORT` */
  address: string;
  dir: string;
  child: ChildProcess;
  /** Every log line so far, parsed. */
  logs: Record<string, unknown>[];
  post(path: string, body: string, headers?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
  postEvents(events: unknown[]): Promise<{ status: number; body: Record<string, unknown> }>;
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
  /** SIGTERM and wait for exit; resolves to the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
}

/**
 * Starts the agent (or, with `command: 'collector'`, the collector) with a config object (written as YAML; JSON is YAML) in a fresh folder, and
 * resolves once it logs "Agent listening.". Port 0 picks a free port.
 */
export async function startAgent(config: Record<string, unknown>, options: { dir?: string; env?: NodeJS.ProcessEnv; command?: 'agent' | 'collector' } = {}): Promise<AgentProcess> {
  const command = options.command ?? 'agent';
  const listening = command === 'agent' ? 'Agent listening.' : 'Collector listening.';
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'dw-agent-'));
  const configFile = join(dir, 'driftwatch.yaml');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const child = spawn(process.execPath, [CLI, command, '--config', configFile], {
    cwd: dir,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start in 60 s; stderr: ${stderr}`)), 60_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        entry = { msg: line };
      }
      logs.push(entry);
      if (entry.msg === listening) {
        clearTimeout(timer);
        resolve(entry.address as string);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code} before listening; stderr: ${stderr}`));
    });
  });
  const call = async (method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
    let res: Response;
    try {
      res = await fetch(`${address}${path}`, { method, body, headers });
    } catch (err) {
      // A GET on a kept-alive connection the agent closed while the test paused (its keep-alive
      // timeout is 5 s): sent again once on a new connection, as HTTP clients do for idempotent requests.
      if (method !== 'GET' || (err as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw err;
      res = await fetch(`${address}${path}`, { method, body, headers });
    }
    const text = await res.text();
    return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> };
  };
  return {
    address,
    dir,
    child,
    logs,
    post: (path, body, headers = { 'content-type': 'application/json' }) => call('POST', path, body, headers),
    postEvents: (events) => call('POST', '/v1/events', JSON.stringify(events), { 'content-type': 'application/json' }),
    get: (path, headers) => call('GET', path, undefined, headers),
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Posts each batch of events (each must be counted whole), closes the windows and waits until they are shipped. */
export async function replay(agent: AgentProcess, batches: readonly unknown[][]): Promise<void> {
  for (const events of batches) {
    const res = await agent.postEvents(events);
    if (res.status !== 200) throw new Error(`events refused (${res.status}): ${JSON.stringify(res.body).slice(0, 2000)}`);
  }
  const flushed = await agent.post('/v1/flush', '');
  if (flushed.status !== 200) throw new Error(`flush answered ${flushed.status}`);
  await waitForDrain(agent);
}

/**
 * Polls `/v1/status` until every sink's outbox is empty and, with `closed`, at least that many
 * windows have closed (a window closes asynchronously after the event that ends it).
 */
export async function waitForDrain(agent: AgentProcess, timeoutMs = 60_000, closed = 0): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await agent.get('/v1/status');
    const outbox = body.outbox as { sink: string; count: number }[];
    const closedSoFar = (body.totals as { windowsClosed: number }).windowsClosed;
    if (closedSoFar >= closed && outbox.every((o) => o.count === 0)) return;
    if (Date.now() > deadline) throw new Error(`outbox not drained (${closedSoFar} of ${closed} windows closed): ${JSON.stringify(outbox)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Waits until the state file at `statePath` holds checkpoints of at least `rows` events in open
 * windows (read through SQLite, as a restart would read them), instead of sleeping past the
 * checkpoint interval and hoping the machine was not busy.
 */
export async function waitForCheckpoint(statePath: string, rows: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  for (;;) {
    try {
      const db = new Database(statePath, { readonly: true, fileMustExist: true });
      try {
        seen = db.prepare<[], { n: number | null }>('SELECT SUM(rows) AS n FROM open_windows').get()?.n ?? 0;
      } finally {
        db.close();
      }
    } catch {
      seen = 0; // not created yet, or busy: look again
    }
    if (seen >= rows) return;
    if (Date.now() > deadline) throw new Error(`state file ${statePath} holds checkpoints of ${seen} of ${rows} events`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

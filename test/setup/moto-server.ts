/**
 * Vitest global setup: CloudWatch for the tests is moto in server mode (SPEC §7), spoken to by the
 * real AWS SDK. Installs the Python test peers (`moto[server]`; `opentelemetry-proto`: the
 * official OTLP protobuf definitions, to decode what the agent exports; `schemathesis`, to fuzz the
 * agent's API from its OpenAPI document; `cfn-lint`, to validate the CloudFormation template) into
 * a virtualenv cached in the user's cache folder ($XDG_CACHE_HOME or ~/.cache, then
 * driftwatch/peers-<key>, keyed by the requirement list and the Python version, so a fresh clone
 * reuses it) when they are missing, starts moto on a free loopback port, and provides its
 * URL as `motoEndpoint` and the virtualenv's Python as `peerPython`. A missing or broken peer
 * fails the run: nothing is skipped.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

export const MOTO_VERSION = '5.2.5';
const REQUIREMENTS = [`moto[server]==${MOTO_VERSION}`, 'opentelemetry-proto==1.45.2', 'schemathesis==4.32.5', 'cfn-lint==1.58.0'];
const PYTHON_VERSION = spawnSync('python3', ['--version'], { encoding: 'utf8' }).stdout.trim();
const CACHE = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'driftwatch');
const KEY = createHash('sha256').update(`${PYTHON_VERSION}\n${REQUIREMENTS.join('\n')}`).digest('hex').slice(0, 12);
const VENV = join(CACHE, `peers-${KEY}`);
/** Held while one run installs, so two runs at once do not install into one virtualenv together. */
const LOCK = `${VENV}.lock`;
const MOTO = join(VENV, 'bin', 'moto_server');
const PYTHON = join(VENV, 'bin', 'python');
/** What was installed, so a changed requirement list installs again. */
const STAMP = join(VENV, 'driftwatch-requirements.txt');

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string;
    peerPython: string;
  }
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 600_000 });
  if (result.status !== 0) {
    throw new Error(`moto setup failed: ${command} ${args.join(' ')} exited ${result.status}\n${result.stderr.slice(-2000)}`);
  }
}

const installed = (): boolean => existsSync(MOTO) && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === REQUIREMENTS.join('\n');

/** Takes the install lock, waiting (up to 15 min) while another run holds it. */
async function lock(): Promise<void> {
  mkdirSync(CACHE, { recursive: true });
  const deadline = Date.now() + 900_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`moto setup failed: ${LOCK} is held for over 15 minutes; remove it if no run is installing`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function ensurePeers(): Promise<void> {
  if (installed()) return;
  await lock();
  try {
    if (installed()) return; // another run installed them while this one waited
    process.stderr.write(`[moto] installing ${REQUIREMENTS.join(' ')} into ${VENV} (first run on this machine only)\n`);
    if (!existsSync(join(VENV, 'bin', 'pip'))) run('python3', ['-m', 'venv', VENV]);
    run(join(VENV, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...REQUIREMENTS]);
    if (!existsSync(MOTO)) throw new Error(`moto setup failed: ${MOTO} is missing after pip install`);
    writeFileSync(STAMP, REQUIREMENTS.join('\n'));
  } finally {
    rmdirSync(LOCK);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/moto-api/`);
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not answer at ${url} within ${timeoutMs} ms`);
}

let child: ChildProcess | undefined;

export async function setup(project: TestProject): Promise<void> {
  await ensurePeers();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  child = spawn(MOTO, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  await waitForHttp(url, child, 30_000);
  project.provide('motoEndpoint', url);
  project.provide('peerPython', PYTHON);
}

export function teardown(): void {
  child?.kill('SIGTERM');
}

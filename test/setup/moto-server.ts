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
import { spawn, type ChildProcess } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { ensurePythonVenv } from '../../scripts/lib/python-venv.js';
import { freePort } from '../helpers/free-port.js';

export const MOTO_VERSION = '5.2.5';
const REQUIREMENTS = [`moto[server]==${MOTO_VERSION}`, 'opentelemetry-proto==1.45.2', 'schemathesis==4.32.5', 'cfn-lint==1.58.0'];

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string;
    peerPython: string;
  }
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
  const venv = await ensurePythonVenv('peers', REQUIREMENTS, 'moto_server');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  child = spawn(venv.bin('moto_server'), ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  await waitForHttp(url, child, 30_000);
  project.provide('motoEndpoint', url);
  project.provide('peerPython', venv.python);
}

export function teardown(): void {
  child?.kill('SIGTERM');
}

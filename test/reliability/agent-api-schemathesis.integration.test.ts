import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { startAgent } from '../helpers/agent-process.js';
import { exampleBaseline } from '../helpers/example-events.js';
import { ROOT } from '../helpers/run-cli.js';

/**
 * The agent's API as its OpenAPI document describes it, fuzzed by schemathesis (pip-installed by the
 * test setup) against a running agent with a bearer token: examples, boundary values and random
 * requests per operation, with every check but `positive_data_acceptance` (a schema-valid event
 * may still be refused for its content: an unknown model or version, a closed window; the API
 * answers those 422 with a reason per event, as documented). No 5xx, answers that match the
 * document (status codes, content types, bodies, `Allow` on 405), auth enforced, within a bounded
 * time; and the agent serves on and stops cleanly afterwards.
 */
const MAX_EXAMPLES = 300;
const TOKEN = 'schemathesis-token-0123456789';

/** Runs a command in `cwd` (schemathesis keeps its cache in `.schemathesis/` there). */
function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('the agent API against its OpenAPI document', () => {
  it(`passes schemathesis (${MAX_EXAMPLES} examples per operation, all phases, all checks but positive data acceptance)`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-schemathesis-'));
    writeFileSync(join(dir, 'loans.json'), JSON.stringify(await exampleBaseline()));
    const agent = await startAgent({
      models: [{ name: 'loans', baseline: join(dir, 'loans.json') }], api: { port: 0, token: TOKEN },
      windows: { seconds: 10 }, labels: {}, sinks: { file: { path: join(dir, 'metrics.ndjson') } },
    }, { dir });
    try {
      const schemathesis = join(dirname(inject('peerPython')), 'schemathesis');
      const { code, output } = await run(schemathesis, [
        'run', join(ROOT, 'docs', 'agent-api.openapi.yaml'), '--url', agent.address, '-H', `Authorization: Bearer ${TOKEN}`,
        '--checks', 'all', '--exclude-checks', 'positive_data_acceptance', '--max-examples', String(MAX_EXAMPLES),
        '--request-timeout', '10', '--no-color', '--workers', '2',
      ], dir);
      const summary = /(\d+) generated, (\d+) passed/.exec(output);
      expect(code, output.slice(-6000)).toBe(0);
      expect(summary, output.slice(-2000)).not.toBeNull();
      expect(Number(summary![2])).toBe(Number(summary![1]));
      expect(Number(summary![1])).toBeGreaterThan(MAX_EXAMPLES);
      expect(agent.logs.filter((l) => l.msg === 'Unexpected error while handling a request.')).toEqual([]);
      expect((await agent.get('/healthz')).status).toBe(200);
      console.log(`schemathesis: ${summary![1]} requests, all passed (${/Seed: \d+/.exec(output)?.[0] ?? ''})`);
    } finally {
      expect(await agent.stop()).toBe(0);
    }
  }, 240_000);
});

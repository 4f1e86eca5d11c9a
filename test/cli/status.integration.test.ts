import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, waitForDrain, type AgentProcess } from '../helpers/agent-process.js';
import { exampleBaseline, exampleRows, toEvent } from '../helpers/example-events.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * `driftwatch status` against a running agent (issue 19): three closed windows (stable, drifted,
 * drifted) and an open one, shown as a person and a script would read them.
 */
const dir = mkdtempSync(join(tmpdir(), 'dw-status-'));
let agent: AgentProcess;
const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;

beforeAll(async () => {
  writeFileSync(join(dir, 'loans.json'), JSON.stringify(await exampleBaseline()));
  agent = await startAgent({
    models: [{ name: 'loans', baseline: join(dir, 'loans.json') }], api: { port: 0 },
    windows: { seconds: 60, clock: 'event', graceSeconds: 0 }, sinks: { file: { path: join(dir, 'payloads.ndjson') } },
  }, { dir });
  const stable = exampleRows('loans-stable.csv');
  const drifted = exampleRows('loans-drifted.jsonl');
  const windows = [stable.slice(0, 300), drifted.slice(400, 700), drifted.slice(700, 1000), stable.slice(300, 310)];
  const events = windows.flatMap((rows, w) => rows.map((r, i) => toEvent(r, 'loans', t0 + w * 60_000 + i)));
  expect((await agent.postEvents(events)).status).toBe(200);
  await waitForDrain(agent, 60_000, 3);
}, 120_000);

afterAll(async () => {
  await agent?.stop();
});

describe('driftwatch status', () => {
  it('shows each model: the open window, the last verdict with its features, the recent verdicts, the outbox', () => {
    const out = runCli(['status', '--url', agent.address]);
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toContain(`driftwatch at ${agent.address}/: ready, 60 s windows (event clock)`);
    const row = out.stdout.split('\n').find((l) => l.startsWith('loans'))!;
    // Open: the 10 events of the fourth window; last: the second drifted window; recent: stable, drifted, drifted.
    expect(row).toMatch(/^loans\s+10\s+\d\d:\d\d-\d\d:\d\d 300 events, DRIFT in \d+ of \d+: /);
    expect(row).toMatch(/\s\.DD\s/);
    expect(out.stdout).toMatch(/outbox: file: \d+ waiting/);
  });

  it('--json carries the status and the recent windows as the API gives them', async () => {
    const out = runCli(['status', '--url', agent.address, '--json', '--windows', '2']);
    expect(out.status, out.stderr).toBe(0);
    const parsed = JSON.parse(out.stdout) as { status: { models: { name: string }[] }; recent: Record<string, { events: number; drift: boolean }[]> };
    expect(parsed.status.models.map((m) => m.name)).toEqual(['loans']);
    const api = ((await agent.get('/v1/windows?model=loans&limit=2')).body.windows as object[]);
    expect(parsed.recent.loans).toEqual(api);
    expect(parsed.recent.loans!.map((w) => [w.events, w.drift])).toEqual([[300, true], [300, true]]);
  });

  it('refuses a URL off this host, and says when nothing answers', () => {
    const off = runCli(['status', '--url', 'http://10.1.2.3:4390']);
    expect(off.status).toBe(2);
    expect(off.stderr).toMatch(/--url must be a loopback address/);
    const none = runCli(['status', '--url', 'http://127.0.0.1:9', '--timeout-ms', '2000']);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/cannot reach the agent or collector: http:\/\/127\.0\.0\.1:9\/v1\/status/);
  });
});

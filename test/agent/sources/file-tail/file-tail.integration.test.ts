import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { startAgent, waitForCheckpoint, type AgentProcess } from '../../../helpers/agent-process.js';
import { flushWhenCounted } from '../../../helpers/counted-windows.js';
import { exampleBaseline, exampleRows } from '../../../helpers/example-events.js';
import { ROOT } from '../../../helpers/run-cli.js';

/**
 * The JSONL file tail in a running agent (issue 17): a writer process appends a request log and
 * rotates it by rename and by copytruncate, writes a line that is not JSON, and keeps writing
 * while the agent is killed with SIGKILL mid-file and started again. Every valid line is counted
 * exactly once: the counts and the offsets are saved in one transaction.
 */
const dir = mkdtempSync(join(tmpdir(), 'dw-file-tail-'));
const log = join(dir, 'requests.jsonl');
const FEATURES = ['age', 'income', 'credit_utilization', 'num_accounts', 'tenure_months'] as const;
let writer: ChildProcess;
let agent: AgentProcess;

type FileStatus = { events: number; lines: number; rotations: number; truncations: number; unread: Record<string, number> };

/** Sends the writer a command; resolves with the valid lines written so far once it is done. */
let reply: ((written: number) => void) | undefined;
function tell(command: string): Promise<number> {
  return new Promise((resolve) => {
    reply = resolve;
    writer.stdin!.write(`${command}\n`);
  });
}

async function fileStatus(until: (s: FileStatus) => boolean, what: string): Promise<FileStatus> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const s = ((await agent.get('/v1/status')).body as { sources: { files: FileStatus[] } }).sources.files[0]!;
    if (until(s)) return s;
    if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const config = {
  models: [{ name: 'logged', baseline: join(dir, 'loans.json') }],
  api: { port: 0 },
  windows: { seconds: 86_400, checkpointMs: 200 },
  sinks: { file: { path: join(dir, 'payloads.ndjson') } },
  sources: { files: [{ path: log, model: 'logged', features: 'request.features', prediction: { label: 'response.label' }, startAt: 'beginning', pollMs: 50 }] },
};

afterAll(async () => {
  writer?.kill();
  await agent?.stop();
});

describe('sources.files: a request log followed through rotation and a kill -9', () => {
  it('counts every valid line exactly once', async () => {
    writeFileSync(join(dir, 'loans.json'), JSON.stringify(await exampleBaseline()));
    const rows = exampleRows('loans-stable.csv').slice(0, 400).filter((r) => FEATURES.every((f) => typeof r[f] === 'number'));
    writeFileSync(join(dir, 'rows.jsonl'), rows.map((r) => JSON.stringify({ features: Object.fromEntries(FEATURES.map((f) => [f, r[f]])), label: r.prediction })).join('\n'));
    writer = spawn(process.execPath, [join(ROOT, 'test', 'fixtures', 'file-tail', 'writer.mjs'), log, join(dir, 'rows.jsonl')], { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: writer.stdout! }).on('line', (l) => reply?.(Number(l.split(' ')[1])));
    await tell('write 0');
    agent = await startAgent(config, { dir });

    await tell('write 500');
    await fileStatus((s) => s.events === 500, 'the first lines');
    await tell('write 200');
    await tell('rename');
    await tell('write 300');
    await fileStatus((s) => s.events === 1000 && s.rotations === 1, 'the lines on both sides of a rename');
    await tell('garbage');
    await tell('write 499');
    const read = await fileStatus((s) => s.events === 1499, 'past a line that is not JSON');
    expect(read.unread).toEqual({ not_json: 1 });
    // copytruncate loses what is written between the copy and the truncation for any reader; here the reader is caught up.
    await tell('copytruncate');
    await tell('write 300');
    await fileStatus((s) => s.events === 1799 && s.truncations === 1, 'the lines after a copytruncate');

    // Mid-file: once a checkpoint holds part of the last burst, the agent dies with lines read
    // since that checkpoint, while the writer goes on.
    const writing = tell('write 5000 20');
    await waitForCheckpoint(join(dir, '.driftwatch', 'agent.db'), 2500);
    await agent.kill();
    const total = await writing;
    expect(total).toBe(6799);
    expect(agent.child.signalCode).toBe('SIGKILL');
    agent = await startAgent(config, { dir });
    const windows = await flushWhenCounted(agent, ['logged'], total);
    expect(windows.logged!.events).toBe(total);
  });
});

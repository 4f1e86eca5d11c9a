import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startAgent, waitForDrain, type AgentProcess } from '../helpers/agent-process.js';
import { exampleBaseline, exampleRows, toEvent } from '../helpers/example-events.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * `driftwatch evidence` (issue 19): the signed pack of a period, from an agent that shipped to
 * CloudWatch (moto) with a signed audit log, checked against what the agent's own API and audit log
 * say; its signature catches an edit; and the demo's state gives one too.
 */
const dir = mkdtempSync(join(tmpdir(), 'dw-evidence-'));
const MODEL = 'evidence-loans';
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
writeFileSync(join(dir, 'audit.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
writeFileSync(join(dir, 'audit.pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
let agent: AgentProcess;
let kept: { drift: boolean; retrainingRecommended: boolean }[];

type Pack = { evidence: { models: { model: string; windows: number; drifted: number; retrainingRecommended: number; baselines: { sha256: string }[] }[];
  alarmConditions: unknown[]; audit: { verified: boolean; detail: string; headHash: string }; egress: { destination: string; requests: number; bytes: number }[];
  config: { sha256: string } }; signature: { publicKeySha256: string } };

beforeAll(async () => {
  writeFileSync(join(dir, 'loans.json'), JSON.stringify(await exampleBaseline()));
  const config = {
    models: [{ name: MODEL, baseline: join(dir, 'loans.json') }], api: { port: 0 },
    windows: { seconds: 60, clock: 'event', graceSeconds: 0 }, audit: { signingKey: join(dir, 'audit.pem') },
    sinks: { cloudwatch: { namespace: `DwEvidence${Date.now()}`, endpoint: inject('motoEndpoint'), region: 'eu-west-1' } },
  };
  agent = await startAgent(config, { dir, env: { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' } });
  writeFileSync(join(dir, 'agent.yaml'), JSON.stringify(config));
  // Six windows an hour ago: three stable, three drifted (the retraining rule's 3 of 5 trips on the last).
  const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;
  const stable = exampleRows('loans-stable.csv');
  const drifted = exampleRows('loans-drifted.jsonl');
  const windows = [0, 1, 2].map((w) => stable.slice(w * 200, (w + 1) * 200)).concat([0, 1, 2].map((w) => drifted.slice(400 + w * 200, 600 + w * 200)));
  const events = windows.concat([stable.slice(900, 901)]).flatMap((rows, w) => rows.map((r, i) => toEvent(r, MODEL, t0 + w * 60_000 + i)));
  expect((await agent.postEvents(events)).status).toBe(200);
  await waitForDrain(agent, 60_000, 6);
  kept = (await agent.get(`/v1/windows?model=${MODEL}`)).body.windows as { drift: boolean; retrainingRecommended: boolean }[];
  await agent.stop();
}, 120_000);

afterAll(async () => {
  await agent?.stop();
});

describe('driftwatch evidence', () => {
  it('writes a signed pack that agrees with the history and the audit log, and a printable page', () => {
    const out = runCli(['evidence', '--state', join(dir, '.driftwatch', 'agent.db'), '--config', join(dir, 'agent.yaml'), '--since', '1d', '--out', join(dir, 'pack.json')]);
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^1 model\(s\), 6 window\(s\) judged, \d+ with alarm conditions; audit log verified\n/);
    const pack = JSON.parse(readFileSync(join(dir, 'pack.json'), 'utf8')) as Pack;
    const model = pack.evidence.models.find((m) => m.model === MODEL)!;
    expect(kept).toHaveLength(6);
    expect(model).toMatchObject({ windows: 6, drifted: kept.filter((w) => w.drift).length, retrainingRecommended: kept.filter((w) => w.retrainingRecommended).length });
    expect(model.drifted).toBeGreaterThanOrEqual(3);
    expect(model.baselines).toHaveLength(1);
    // The audit log, checked with the key that signed its heads, and what left per destination as `audit show` lists it.
    expect(pack.evidence.audit.verified).toBe(true);
    expect(pack.evidence.audit.detail).toMatch(/every signed head and checkpoint verified/);
    const audited = runCli(['audit', 'show', '--state', join(dir, '.driftwatch', 'agent.db'), '--json']).stdout.trim().split('\n').map((l) => JSON.parse(l) as { bytes: number });
    expect(pack.evidence.egress).toHaveLength(1);
    expect(pack.evidence.egress[0]).toMatchObject({ requests: audited.length, bytes: audited.reduce((n, e) => n + e.bytes, 0) });
    expect(pack.evidence.config.sha256).toMatch(/^[0-9a-f]{64}$/);
    const html = readFileSync(join(dir, 'pack.html'), 'utf8');
    for (const section of ['1. Models monitored', '2. Alarm conditions met', '3. Baselines and configuration in force', '4. Audit log', '5. What left the host', '6. What never leaves']) expect(html).toContain(section);
    expect(html).toContain(pack.evidence.audit.headHash);

    // The signature: good with the expected key; an edited pack, or another key, is caught.
    expect(runCli(['evidence', 'verify', join(dir, 'pack.json'), '--public-key', join(dir, 'audit.pub.pem')]).stdout).toMatch(/^evidence OK: /);
    const edited = JSON.parse(readFileSync(join(dir, 'pack.json'), 'utf8')) as Pack;
    edited.evidence.models[0]!.drifted = 0;
    writeFileSync(join(dir, 'edited.json'), JSON.stringify(edited));
    const broken = runCli(['evidence', 'verify', join(dir, 'edited.json')]);
    expect(broken.status).toBe(1);
    expect(broken.stdout).toBe('evidence BROKEN: the signature does not match the evidence: it was changed after signing\n');
    const other = generateKeyPairSync('ed25519').publicKey;
    writeFileSync(join(dir, 'other.pub.pem'), other.export({ type: 'spki', format: 'pem' }));
    expect(runCli(['evidence', 'verify', join(dir, 'pack.json'), '--public-key', join(dir, 'other.pub.pem')]).stdout).toMatch(/BROKEN: signed with another key/);
  });

  it("refuses to write an unsigned pack, and gives one for the demo's state with a key of its own", () => {
    const demoDir = join(dir, 'demo');
    expect(runCli(['demo', '--out', demoDir, '--pace', '0']).status).toBe(0);
    const unsigned = runCli(['evidence', '--state', join(demoDir, 'agent.db'), '--out', join(dir, 'demo.json')]);
    expect(unsigned.status).toBe(2);
    expect(unsigned.stderr).toMatch(/an evidence pack is signed: give --signing-key/);
    const out = runCli(['evidence', '--state', join(demoDir, 'agent.db'), '--signing-key', join(dir, 'audit.pem'), '--out', join(dir, 'demo.json')]);
    expect(out.status, out.stderr).toBe(0);
    const pack = JSON.parse(readFileSync(join(dir, 'demo.json'), 'utf8')) as Pack;
    expect(pack.evidence.models.map((m) => [m.model, m.windows])).toEqual([['loans', 8]]);
    expect(pack.evidence.models[0]!.retrainingRecommended).toBeGreaterThanOrEqual(1);
    expect(runCli(['evidence', 'verify', join(dir, 'demo.json'), '--public-key', join(dir, 'audit.pub.pem')]).status).toBe(0);
  });
});

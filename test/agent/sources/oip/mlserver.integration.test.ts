import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type AgentProcess } from '../../../helpers/agent-process.js';
import { exampleBaseline, exampleRows } from '../../../helpers/example-events.js';
import { runCli } from '../../../helpers/run-cli.js';
import { flushWhenCounted } from '../../../helpers/counted-windows.js';
import { startMlserver, type MlServer } from '../../../helpers/mlserver.js';

/**
 * The OIP proxy in front of a real Seldon MLServer (scikit-learn runtime) (issue 17): a drifted
 * replay through the proxy gives the same window verdicts as posting the same rows and predictions
 * to the event API, and the client's responses are byte-identical to direct calls.
 */
const dir = mkdtempSync(join(tmpdir(), 'dw-mlserver-oip-'));
const FEATURES = ['age', 'income', 'credit_utilization', 'num_accounts', 'tenure_months'] as const;
const rows = exampleRows('loans-drifted.jsonl').slice(400).filter((r) => FEATURES.every((f) => typeof r[f] === 'number')).slice(0, 200);
let mlserver: MlServer;
let agent: AgentProcess;
let proxyUrl: string;

beforeAll(async () => {
  mlserver = await startMlserver();
  writeFileSync(join(dir, 'loans.json'), JSON.stringify(await exampleBaseline()));
  agent = await startAgent({
    models: [{ name: 'loans-proxy', baseline: join(dir, 'loans.json') }, { name: 'loans-api', baseline: join(dir, 'loans.json') }],
    api: { port: 0 },
    // One day-long window: the replay of a few seconds does not straddle a window boundary.
    windows: { seconds: 86_400 },
    labels: {},
    sinks: { file: { path: join(dir, 'payloads.ndjson') } },
    sources: { oip: { port: 0, upstream: mlserver.url, models: [{ name: 'loans-proxy', serverModel: 'loans-sklearn',
      inputs: [{ tensor: 'input-0', columns: [...FEATURES] }], outputs: [{ tensor: 'predict', role: 'label' }] }] } },
  }, { dir });
  proxyUrl = String(agent.logs.find((l) => l.msg === 'OIP proxy listening.')!.address);
}, 600_000);

afterAll(async () => {
  await agent?.stop();
  await mlserver?.stop();
});

async function infer(base: string, body: string): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`${base}/v2/models/loans-sklearn/infer`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

describe('the OIP proxy in front of MLServer', () => {
  it('answers byte for byte as MLServer does, and judges the windows as the event API does with the same rows', async () => {
    for (let i = 0; i < rows.length; i += 20) {
      const batch = rows.slice(i, i + 20);
      // With a request id, MLServer's answer is the same for the same request: the two calls can be compared byte for byte.
      const body = JSON.stringify({ id: `batch-${i}`, inputs: [{ name: 'input-0', shape: [batch.length, FEATURES.length], datatype: 'FP64',
        data: batch.flatMap((r) => FEATURES.map((f) => r[f] as number)) }] });
      const direct = await infer(mlserver.url, body);
      const proxied = await infer(proxyUrl, body);
      expect(direct.status).toBe(200);
      expect(proxied).toEqual(direct);
      const labels = (JSON.parse(direct.text) as { outputs: { name: string; data: string[] }[] }).outputs.find((o) => o.name === 'predict')!.data;
      const events = batch.map((r, j) => ({ model: 'loans-api', features: Object.fromEntries(FEATURES.map((f) => [f, r[f]])), prediction: { label: labels[j] } }));
      expect((await agent.postEvents(events)).status).toBe(200);
    }
    const { 'loans-proxy': proxied, 'loans-api': posted } = await flushWhenCounted(agent, ['loans-proxy', 'loans-api'], rows.length);
    expect(proxied!.events).toBe(rows.length);
    expect(proxied!.drift).toBe(true);
    expect(proxied!.features).toEqual(posted!.features);
    expect(proxied!.drift).toBe(posted!.drift);
    // Each proxied row is remembered under the v2 request's id (row i of a batch: '<id>#<i>'): its delayed label joins it.
    const first = await infer(mlserver.url, JSON.stringify({ id: 'batch-0', inputs: [{ name: 'input-0', shape: [20, FEATURES.length], datatype: 'FP64',
      data: rows.slice(0, 20).flatMap((r) => FEATURES.map((f) => r[f] as number)) }] }));
    const predicted = (JSON.parse(first.text) as { outputs: { name: string; data: string[] }[] }).outputs.find((o) => o.name === 'predict')!.data;
    const joined = await agent.post('/v1/labels', JSON.stringify(predicted.map((label, j) => ({ model: 'loans-proxy', id: `batch-0#${j}`, label }))));
    expect(joined.body).toMatchObject({ accepted: 20, refused: 0 });
    expect(joined.status).toBe(200);
  });

  it("checks the mapping against the server's metadata: the running agent found it fits, --check names a tensor that does not", async () => {
    const status = (await agent.get('/v1/status')).body as { sources: { oip: { metadata: Record<string, unknown> } } };
    expect(status.sources.oip.metadata).toEqual({ 'loans-sklearn': 'fits' });
    const check = (inputs: unknown[]): ReturnType<typeof runCli> => {
      writeFileSync(join(dir, 'check.yaml'), JSON.stringify({
        models: [{ name: 'loans', baseline: join(dir, 'loans.json') }],
        sources: { oip: { upstream: mlserver.url, models: [{ name: 'loans', serverModel: 'loans-sklearn', inputs }] } },
      }));
      return runCli(['agent', '--check', '--config', join(dir, 'check.yaml')]);
    };
    const fits = check([{ tensor: 'input-0', columns: [...FEATURES] }]);
    expect(fits.status).toBe(0);
    expect(fits.stdout).toContain("sources.oip: model 'loans' fits the metadata of server model 'loans-sklearn'");
    const wrongName = check([{ tensor: 'input-1', columns: [...FEATURES] }]);
    expect(wrongName.status).toBe(2);
    expect(wrongName.stderr).toContain("model 'loans' does not fit server model 'loans-sklearn': the server declares no input tensor 'input-1' (it declares 'input-0')");
    const narrow = check([{ tensor: 'input-0', columns: FEATURES.slice(0, 4) }]);
    expect(narrow.status).toBe(2);
    expect(narrow.stderr).toContain("input tensor 'input-0' has 5 values a row (shape [-1,5]), the mapping expects 4");
    // The agent itself, with the server up, refuses to start on a mapping that does not fit.
    const start = startAgent({
      models: [{ name: 'loans', baseline: join(dir, 'loans.json') }], api: { port: 0 },
      sources: { oip: { port: 0, upstream: mlserver.url, models: [{ name: 'loans', serverModel: 'loans-sklearn', inputs: [{ tensor: 'input-1', columns: [...FEATURES] }] }] } },
    }, { dir: mkdtempSync(join(tmpdir(), 'dw-mlserver-mismatch-')) });
    await expect(start).rejects.toThrow(/exited with 2 before listening.*the server declares no input tensor 'input-1'/s);
  });
});

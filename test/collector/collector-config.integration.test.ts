import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { insecureSettings, parseCollectorConfig } from '../../collector/config/collector-config.js';
import { exampleBaseline } from '../helpers/example-events.js';
import { runCli } from '../helpers/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'dw-collector-config-'));
const baseline = join(dir, 'loans.json');
const write = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

beforeAll(async () => {
  writeFileSync(baseline, JSON.stringify(await exampleBaseline()));
});

describe('collector config', () => {
  it('works from three lines, with defaults a fleet needs', () => {
    const config = parseCollectorConfig({ models: [{ name: 'loans', baseline: 'loans.json' }] }, '/etc/driftwatch');
    expect(config.receiver).toMatchObject({ host: '127.0.0.1', port: 4318 });
    expect(config.windows).toMatchObject({ seconds: 300, graceSeconds: 60 });
    expect(config.models[0]!.baseline).toBe('/etc/driftwatch/loans.json');
    expect(config.state.path).toBe('/etc/driftwatch/.driftwatch/collector.db');
  });

  it('refuses to listen off loopback without a flag and a way to authenticate agents', () => {
    const open = (receiver: Record<string, unknown>): unknown => parseCollectorConfig({ models: [{ name: 'l', baseline: 'b' }], receiver }, '/');
    expect(() => open({ host: '0.0.0.0' })).toThrow(/receiver\.host: '0\.0\.0\.0' is not loopback/);
    expect(() => open({ host: '0.0.0.0', allowNonLoopback: true })).toThrow(/receiver\.token: is required off loopback/);
    expect(() => open({ host: '0.0.0.0', allowNonLoopback: true, token: 'x'.repeat(16) })).toThrow(/receiver\.tls: is required off loopback: the agents' token would cross the network in clear text/);
    expect(open({ host: '0.0.0.0', allowNonLoopback: true, token: 'x'.repeat(16), tls: { cert: 'c.pem', key: 'k.pem' } })).toBeDefined();
    const insecure = open({ host: '0.0.0.0', allowNonLoopback: true, token: 'x'.repeat(16), insecure: true }) as Parameters<typeof insecureSettings>[0];
    expect(insecureSettings(insecure).map((s) => s.field)).toEqual(['receiver.insecure', 'receiver.token']);
    expect(open({ host: '0.0.0.0', allowNonLoopback: true, tls: { cert: 'c.pem', key: 'k.pem', clientCa: 'ca.pem' } })).toBeDefined();
  });

  it('--check validates the config and baselines; errors name the field and exit 2', () => {
    const good = runCli(['collector', '--check', '--config', write('good.yaml', `models: [{name: loans, baseline: ${baseline}}]\n`)]);
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/^model 'loans': \d+ features, layout [0-9a-f]{16} from /m);
    expect(good.stdout).toMatch(/config OK: 1 model\(s\), OTLP receiver on http:\/\/127\.0\.0\.1:4318, 300 s windows/);
    const unknown = runCli(['collector', '--config', write('unknown.yaml', `models: [{name: loans, baseline: ${baseline}}]\nreciever: {port: 1}\n`)]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/Unrecognized key.*reciever/);
    const nobase = runCli(['collector', '--check', '--config', write('nobase.yaml', 'models: [{name: loans, baseline: /nope.json}]\n')]);
    expect(nobase.status).toBe(2);
    expect(nobase.stderr).toMatch(/model 'loans': cannot read baseline/);
  });
});

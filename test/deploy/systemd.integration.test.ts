import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleBaseline } from '../helpers/example-events.js';
import { ROOT } from '../helpers/run-cli.js';

/**
 * The systemd path for GPU hosts (deploy/systemd/): the unit passes `systemd-analyze verify`, is
 * rated at most 2.0 by `systemd-analyze security --offline=yes`, keeps its state under
 * StateDirectory= and logs to journald; install.sh lays out /opt/driftwatch and /etc/driftwatch in
 * a staging root, and the installed copy (production dependencies only) runs.
 */
const UNIT = join(ROOT, 'deploy', 'systemd', 'driftwatch-agent.service');
const MAX_EXPOSURE = 2.0;

/** `Key=value` lines of a unit's [Service] section (repeated keys keep every value). */
function serviceSettings(text: string): Map<string, string[]> {
  const section = text.split(/^\[Service\]$/m)[1]!.split(/^\[/m)[0]!;
  const settings = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) settings.set(m[1]!, [...(settings.get(m[1]!) ?? []), m[2]!]);
  }
  return settings;
}

describe('systemd unit', () => {
  it('passes systemd-analyze verify', () => {
    const result = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr.trim()).toBe('');
  });

  it(`is rated at most ${MAX_EXPOSURE} by systemd-analyze security --offline=yes`, () => {
    const out = execFileSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', UNIT], { encoding: 'utf8' });
    const exposure = Number(/Overall exposure level for driftwatch-agent\.service: ([\d.]+)/.exec(out)?.[1]);
    expect(exposure).toBeGreaterThan(0);
    expect(exposure).toBeLessThanOrEqual(MAX_EXPOSURE);
    console.log(`systemd-analyze security: exposure ${exposure}`);
  });

  it('keeps state under StateDirectory=, restarts, logs to journald, runs unprivileged, and leaves V8 its JIT', () => {
    const s = serviceSettings(readFileSync(UNIT, 'utf8'));
    expect(s.get('StateDirectory')).toEqual(['driftwatch']);
    expect(s.get('Environment')).toContain('DRIFTWATCH_STATE__PATH=/var/lib/driftwatch/agent.db');
    expect(s.get('Restart')).toEqual(['always']);
    expect(s.get('StandardOutput')).toEqual(['journal']);
    expect(s.get('DynamicUser')).toEqual(['yes']);
    expect(s.get('NoNewPrivileges')).toEqual(['yes']);
    expect(s.get('CapabilityBoundingSet')).toEqual(['']);
    expect(s.get('ProtectSystem')).toEqual(['strict']);
    // V8 needs writable+executable memory; MemoryDenyWriteExecute=yes would kill node at start.
    expect(s.has('MemoryDenyWriteExecute')).toBe(false);
    // The shutdown deadline (20 s by default) fits in the stop timeout.
    expect(Number(s.get('TimeoutStopSec')![0])).toBeGreaterThan(20);
  });
});

describe('install.sh', () => {
  it('lays out /opt/driftwatch, /etc/driftwatch and the unit in a staging root; the installed copy runs', async () => {
    const dest = mkdtempSync(join(tmpdir(), 'dw-install-'));
    // A node that is not /usr/bin/node: the script points the unit at it with a drop-in.
    const node = join(dest, 'node');
    symlinkSync(process.execPath, node);
    execFileSync(join(ROOT, 'deploy', 'systemd', 'install.sh'), { env: { ...process.env, DESTDIR: dest, NODE: node }, stdio: 'pipe' });
    const opt = join(dest, 'opt', 'driftwatch');
    for (const f of ['dist/cli/main.js', 'node_modules/better-sqlite3', 'node_modules/@aws-sdk/client-cloudwatch', 'package.json', 'docs/deploy.md']) {
      expect(existsSync(join(opt, f)), f).toBe(true);
    }
    // Production dependencies only.
    for (const dev of ['vitest', 'typescript', 'eslint', 'fast-check']) expect(existsSync(join(opt, 'node_modules', dev)), dev).toBe(false);
    expect(existsSync(join(dest, 'etc', 'driftwatch', 'driftwatch.yaml'))).toBe(true);
    expect(existsSync(join(dest, 'etc', 'systemd', 'system', 'driftwatch-agent.service'))).toBe(true);
    const dropIn = readFileSync(join(dest, 'etc', 'systemd', 'system', 'driftwatch-agent.service.d', 'node.conf'), 'utf8');
    expect(dropIn).toContain(`ExecStart=${node} /opt/driftwatch/dist/cli/main.js agent --config /etc/driftwatch/driftwatch.yaml`);

    // The installed program validates the shipped example config once a baseline is in place.
    const etc = join(dest, 'etc', 'driftwatch');
    writeFileSync(join(etc, 'baselines', 'loans.json'), JSON.stringify(await exampleBaseline()));
    const check = spawnSync(process.execPath, [join(opt, 'dist', 'cli', 'main.js'), 'agent', '--config', join(etc, 'driftwatch.yaml'), '--check'],
      { encoding: 'utf8', env: { ...process.env, AWS_REGION: 'eu-west-1', DRIFTWATCH_STATE__PATH: join(dest, 'state.db') } });
    expect(check.status, check.stderr + check.stdout).toBe(0);

    // A second run keeps the operator's config.
    writeFileSync(join(etc, 'driftwatch.yaml'), '# edited\n');
    execFileSync(join(ROOT, 'deploy', 'systemd', 'install.sh'), { env: { ...process.env, DESTDIR: dest, NODE: node }, stdio: 'pipe' });
    expect(readFileSync(join(etc, 'driftwatch.yaml'), 'utf8')).toBe('# edited\n');
  }, 120_000);
});

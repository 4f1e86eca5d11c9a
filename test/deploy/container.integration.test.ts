import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { exampleBaseline, exampleRows, toEvent } from '../helpers/example-events.js';
import { ROOT } from '../helpers/run-cli.js';

/**
 * The container image (Dockerfile), without a Docker engine: the file is read and its rules
 * checked (multi-stage, Node LTS slim, non-root, health check, state on a volume, production
 * dependencies only), and its entrypoint is run the way the image runs it — as the image's user,
 * with the root filesystem read-only (a private mount namespace) and only the state volume
 * writable.
 */
interface Instruction { op: string; args: string }

function dockerfile(): Instruction[] {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => ({ op: l.split(/\s+/)[0]!.toUpperCase(), args: l.slice(l.indexOf(' ') + 1).trim() }));
}

/** The instructions of each stage. */
function stages(all: Instruction[]): Instruction[][] {
  const out: Instruction[][] = [];
  for (const i of all) {
    if (i.op === 'FROM') out.push([]);
    out[out.length - 1]!.push(i);
  }
  return out;
}

const execForm = (args: string): string[] => JSON.parse(args) as string[];

describe('Dockerfile', () => {
  const all = dockerfile();
  const [build, final] = [stages(all)[0]!, stages(all).at(-1)!];
  const env = new Map(final.filter((i) => i.op === 'ENV').flatMap((i) => [...i.args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!] as const)));

  it('builds in one stage and runs a slim Node LTS image as a non-root user', () => {
    expect(stages(all).length).toBeGreaterThanOrEqual(2);
    const image = /^node:(\d+)-[\w-]*slim$/.exec(final[0]!.args);
    expect(image, final[0]!.args).not.toBeNull();
    expect(Number(image![1]) % 2).toBe(0); // even majors are the LTS lines
    expect(Number(image![1])).toBeGreaterThanOrEqual(22);
    const user = final.filter((i) => i.op === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
  });

  it('ships only the compiled program and production dependencies', () => {
    expect(build.some((i) => i.op === 'RUN' && /npm prune --omit=dev/.test(i.args))).toBe(true);
    const copies = final.filter((i) => i.op === 'COPY' || i.op === 'ADD');
    expect(copies.every((i) => i.op === 'COPY' && i.args.startsWith('--from=build '))).toBe(true);
    expect(copies.map((i) => i.args.split(/\s+/)[1])).toEqual(expect.arrayContaining(['/src/dist', '/src/node_modules', '/src/package.json']));
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['node_modules', '.git', '.cache', 'test']) expect(ignored).toContain(p);
  });

  it('keeps state on a volume, checks its health, and runs the CLI in exec form', () => {
    const state = env.get('DRIFTWATCH_STATE__PATH')!;
    const volumes = final.filter((i) => i.op === 'VOLUME').flatMap((i) => execForm(i.args));
    expect(volumes.some((v) => state.startsWith(`${v}/`))).toBe(true);
    const health = final.find((i) => i.op === 'HEALTHCHECK')!;
    expect(health.args).toMatch(/CMD \[/);
    expect(execForm(health.args.slice(health.args.indexOf('CMD ') + 4))).toContain('health');
    expect(execForm(final.find((i) => i.op === 'ENTRYPOINT')!.args)).toEqual(['node', '/opt/driftwatch/dist/cli/main.js']);
    expect(execForm(final.find((i) => i.op === 'CMD')!.args)[0]).toBe('agent');
  });

  it('runs its entrypoint as its user on a read-only root with only the state volume writable', async () => {
    const uid = final.filter((i) => i.op === 'USER').at(-1)!.args.split(':')[0]!;
    const dir = mkdtempSync(join(tmpdir(), 'dw-image-'));
    chmodSync(dir, 0o755);
    const config = join(dir, 'etc');
    const volume = join(dir, 'state');
    mkdirSync(config);
    mkdirSync(volume);
    chownSync(volume, Number(uid), Number(uid));
    writeFileSync(join(config, 'loans.json'), JSON.stringify(await exampleBaseline()));
    writeFileSync(join(config, 'driftwatch.yaml'), JSON.stringify({ models: [{ name: 'loans', baseline: 'loans.json' }], api: { port: 0 } }));
    // The image's paths, mapped onto this checkout and the temp folders.
    const map = (s: string): string => s.replace('/opt/driftwatch', ROOT).replace('/etc/driftwatch', config).replace('/var/lib/driftwatch', volume);
    const command = [...execForm(final.find((i) => i.op === 'ENTRYPOINT')!.args), ...execForm(final.find((i) => i.op === 'CMD')!.args)].map(map);
    const childEnv = { ...process.env, ...Object.fromEntries([...env].map(([k, v]) => [k, map(v)])) };
    const script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro / && exec setpriv --reuid="$1" --regid="$1" --clear-groups "${@:2}"';
    const child = spawn('unshare', ['-m', '--propagation', 'private', 'bash', '-c', script, volume, uid, process.execPath, ...command.slice(1)],
      { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const address = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const entry = JSON.parse(line) as { msg?: string; address?: string };
        if (entry.msg === 'Agent listening.') resolve(entry.address!);
      });
      void exited.then((code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    const events = exampleRows('loans-stable.csv').slice(0, 20).map((r) => toEvent(r, 'loans'));
    const res = await fetch(`${address}/v1/events`, { method: 'POST', body: JSON.stringify(events), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    // The image's HEALTHCHECK command, against this agent.
    const health = final.find((i) => i.op === 'HEALTHCHECK')!;
    const check = execForm(health.args.slice(health.args.indexOf('CMD ') + 4)).map(map).map((a) => (a === 'http://127.0.0.1:4390' ? address : a));
    expect(spawnSync(process.execPath, check.slice(1), { encoding: 'utf8' }).status).toBe(0);
    // Unhealthy is 1; a URL off this host is a usage error (the health check is not a way out).
    const cli = check.slice(1, 2);
    expect(spawnSync(process.execPath, [...cli, 'health', '--url', 'http://127.0.0.1:1', '--timeout-ms', '500']).status).toBe(1);
    expect(spawnSync(process.execPath, [...cli, 'health', '--url', 'http://10.0.0.1:4390']).status).toBe(2);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
    // It wrote its state into the volume, and nothing anywhere else (the rest was read-only).
    expect(readdirSync(volume)).toContain('agent.db');
    expect(existsSync(join(config, '.driftwatch'))).toBe(false);
  }, 120_000);
});

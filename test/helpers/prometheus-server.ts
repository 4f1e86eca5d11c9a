import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CACHE_DIR, withInstallLock } from '../../scripts/lib/user-cache.js';
import { freePort } from './free-port.js';
import { startServerProcess, type ServerProcess } from './python-server.js';

/** Debian's `prometheus` package version this machine's apt offers (the cache key). */
function candidateVersion(): string {
  const policy = spawnSync('apt-cache', ['policy', 'prometheus'], { encoding: 'utf8' });
  const version = /Candidate: (\S+)/.exec(policy.stdout)?.[1];
  if (version === undefined || version === '(none)') throw new Error(`apt offers no prometheus package: ${policy.stdout}${policy.stderr}`);
  return version;
}

/**
 * The Prometheus server binary of Debian's `prometheus` package, unpacked (not installed: no
 * service, no user) into the user cache under its version, downloaded with `apt-get download`
 * the first time (about 30 MB).
 */
export async function prometheusBinary(): Promise<string> {
  const version = candidateVersion().replace(/[^\w.+-]/g, '_');
  const dir = join(CACHE_DIR, `prometheus-${version}`);
  const binary = join(dir, 'usr', 'bin', 'prometheus');
  if (existsSync(binary)) return binary;
  await withInstallLock(join(CACHE_DIR, 'prometheus.lock'), 'prometheus', () => {
    if (existsSync(binary)) return;
    const work = mkdtempSync(join(tmpdir(), 'dw-prometheus-deb-'));
    try {
      let download = spawnSync('apt-get', ['download', 'prometheus'], { cwd: work, encoding: 'utf8', timeout: 600_000 });
      if (download.status !== 0 && process.getuid?.() === 0) {
        spawnSync('apt-get', ['update'], { encoding: 'utf8', timeout: 600_000 });
        download = spawnSync('apt-get', ['download', 'prometheus'], { cwd: work, encoding: 'utf8', timeout: 600_000 });
      }
      if (download.status !== 0) throw new Error(`apt-get download prometheus failed: ${download.stderr.slice(-2000)}`);
      const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
      if (deb === undefined) throw new Error('apt-get download prometheus wrote no .deb');
      const staging = join(work, 'root');
      const unpack = spawnSync('dpkg-deb', ['-x', join(work, deb), staging], { encoding: 'utf8' });
      if (unpack.status !== 0) throw new Error(`dpkg-deb -x failed: ${unpack.stderr}`);
      mkdirSync(CACHE_DIR, { recursive: true });
      renameSync(staging, dir);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
  return binary;
}

/** A target for Prometheus to scrape. */
export interface ScrapeTarget {
  job: string;
  /** `http://127.0.0.1:PORT` */
  address: string;
  token?: string;
}

/** A running Prometheus server and its HTTP API. */
export interface PrometheusServer extends ServerProcess {
  /** An instant PromQL query: the result vector, or throws with Prometheus's error. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
}

/**
 * Starts Debian's Prometheus on a free loopback port, scraping `targets` every second (bearer
 * token where given), with its data in a fresh folder; resolves once `/-/ready` answers.
 */
export async function startPrometheus(targets: ScrapeTarget[]): Promise<PrometheusServer> {
  const binary = await prometheusBinary();
  const dir = mkdtempSync(join(tmpdir(), 'dw-prometheus-'));
  const jobs = targets.map((t) => [
    `  - job_name: ${JSON.stringify(t.job)}`,
    '    scrape_interval: 1s',
    '    scrape_timeout: 1s',
    '    metrics_path: /metrics',
    ...(t.token === undefined ? [] : ['    authorization:', `      credentials: ${JSON.stringify(t.token)}`]),
    '    static_configs:',
    `      - targets: [${JSON.stringify(new URL(t.address).host)}]`,
  ].join('\n'));
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  evaluation_interval: 1s\nscrape_configs:\n${jobs.join('\n')}\n`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await startServerProcess('prometheus', binary, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], url, '/-/ready');
  return {
    ...server,
    query: async (promql) => {
      const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql }).toString()}`);
      const body = await res.json() as { status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      if (body.status !== 'success') throw new Error(`PromQL ${promql}: ${body.error ?? res.status}`);
      return body.data!.result;
    },
  };
}

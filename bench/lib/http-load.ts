import { Agent as HttpAgent, request } from 'node:http';

/** What a closed-loop load run saw. */
export interface LoadResult {
  /** Responses by status code (0: the connection failed). */
  statuses: Record<number, number>;
  /** Latency of each 200 answer, ms. */
  acceptedLatencyMs: number[];
  /** 503 answers that carried a Retry-After header. */
  retryAfter: number;
  seconds: number;
}

/**
 * Closed-loop HTTP load: `connections` keep-alive clients each POST `body` (with `headers`, e.g. a
 * gzip content encoding) back to back for `seconds`, ignoring Retry-After (a load generator, not a
 * polite client).
 */
export async function postLoad(url: string, body: Buffer, connections: number, seconds: number, headers: Record<string, string> = {}): Promise<LoadResult> {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: connections });
  const target = new URL('/v1/events', url);
  const result: LoadResult = { statuses: {}, acceptedLatencyMs: [], retryAfter: 0, seconds };
  const stopAt = performance.now() + seconds * 1000;
  const one = (): Promise<void> => new Promise((resolve) => {
    const started = performance.now();
    const req = request(target, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length, ...headers } }, (res) => {
      res.resume();
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        result.statuses[status] = (result.statuses[status] ?? 0) + 1;
        if (status === 200) result.acceptedLatencyMs.push(performance.now() - started);
        if (status === 503 && res.headers['retry-after'] !== undefined) result.retryAfter++;
        resolve();
      });
    });
    req.on('error', () => {
      result.statuses[0] = (result.statuses[0] ?? 0) + 1;
      resolve();
    });
    req.end(body);
  });
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < stopAt) await one();
  }));
  agent.destroy();
  return result;
}

/** The q-quantile (0..1) of some numbers. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Resident memory of a process, MiB (Linux /proc). */
export async function rssMiB(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

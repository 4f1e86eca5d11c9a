import { spawn } from 'node:child_process';

/** A test server process (a Python inference server), stopped with SIGTERM, then SIGKILL. */
export interface ServerProcess {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts `command args` and waits until `readyPath` on `url` answers 200 (a generous limit: a busy
 * machine loads Python slowly). A server that exits first, or is not ready in time, throws with
 * the end of its stderr: nothing is skipped.
 */
export async function startServerProcess(label: string, command: string, args: readonly string[], url: string, readyPath: string,
  env: NodeJS.ProcessEnv = process.env): Promise<ServerProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const deadline = Date.now() + 240_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${label} exited ${child.exitCode} before it was ready: ${stderr}`);
    try {
      const res = await fetch(`${url}${readyPath}`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${label} was not ready in 240 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve(); // stopped already
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }),
  };
}

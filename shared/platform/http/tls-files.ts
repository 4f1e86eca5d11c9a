import { statSync } from 'node:fs';
import type { Server as HttpsServer, ServerOptions } from 'node:https';

/** How often a server looks for renewed certificate files. */
const RELOAD_CHECK_MS = 60_000;

/**
 * A fingerprint of PEM files (size and modification time of each), to notice a renewal:
 * cert-manager rewrites a Secret's files in place, its csi-driver every day.
 */
export function filesFingerprint(files: readonly (string | undefined)[]): string {
  return files.map((f) => {
    if (f === undefined) return '-';
    try {
      const s = statSync(f);
      return `${s.size}:${s.mtimeMs}`;
    } catch {
      return '?'; // a file mid-rename; the next check sees the new one
    }
  }).join('|');
}

/**
 * Serves renewed certificates without a restart: every minute, when the files behind `options`
 * changed, the server's secure context is rebuilt from them. A renewal that cannot be read (a
 * half-written file) keeps the old context and is tried again next time. The timer never keeps
 * the process alive.
 */
export function reloadOnRenewal(server: HttpsServer, files: readonly (string | undefined)[], options: () => ServerOptions,
  onError: (err: unknown) => void): void {
  let seen = filesFingerprint(files);
  const timer = setInterval(() => {
    const now = filesFingerprint(files);
    if (now === seen) return;
    try {
      server.setSecureContext(options());
      seen = now;
    } catch (err) {
      onError(err);
    }
  }, RELOAD_CHECK_MS);
  timer.unref();
  server.once('close', () => clearInterval(timer));
}

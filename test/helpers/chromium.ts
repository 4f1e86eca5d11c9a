import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { CACHE_DIR, withInstallLock } from '../../scripts/lib/user-cache.js';

/** Debian's Chromium, where the package puts it. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Debian's Chromium (package `chromium`), installed with apt-get when it is missing (about 15 s;
 * the test setup installs it the way it installs moto), then started headless for Playwright. On
 * a machine where the tests do not run as root, install it first: `sudo apt-get install chromium`.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    await withInstallLock(join(CACHE_DIR, 'chromium.lock'), 'chromium', () => {
      if (existsSync(CHROMIUM)) return;
      if (process.getuid?.() !== 0) throw new Error(`${CHROMIUM} is missing and the tests do not run as root: install Debian's chromium package (sudo apt-get install chromium)`);
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      let installed = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { encoding: 'utf8', env, timeout: 600_000 });
      if (installed.status !== 0) {
        spawnSync('apt-get', ['update'], { encoding: 'utf8', env, timeout: 600_000 });
        installed = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { encoding: 'utf8', env, timeout: 600_000 });
      }
      if (installed.status !== 0) throw new Error(`apt-get install chromium failed: ${installed.stderr.slice(-2000)}`);
    });
  }
  // Flags from the machine notes: without the background-networking ones Chromium tries Google's hosts, which this closed network refuses.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'] });
}

import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../../helpers/run-cli.js';

const dist = (file: string): string => pathToFileURL(join(ROOT, 'dist', 'shared', 'pipeline', 'state', file)).href;
const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

describe('state file permissions (issue 16, finding 5)', () => {
  it('creates the state directory 0700 and the state, WAL and lock files 0600 under a umask of 000', () => {
    const root = mkdtempSync(join(tmpdir(), 'dw-perm-'));
    const path = join(root, 'var', 'lib', 'driftwatch', 'agent.db');
    // A separate process: umask cannot be set in a test worker. The WAL file exists while the handle is open.
    const script = `const { StateDatabase } = await import('${dist('state-database.js')}');
      const { StateLock } = await import('${dist('state-lock.js')}');
      const lock = StateLock.acquire(${JSON.stringify(path)});
      const db = StateDatabase.open(${JSON.stringify(path)}, { synchronous: 'NORMAL' });
      db.audit.entries();
      const { statSync } = await import('node:fs');
      console.log((statSync(${JSON.stringify(`${path}-wal`)}).mode & 0o777).toString(8));
      db.close(); lock.release();`;
    const run = spawnSync('sh', ['-c', `umask 000; exec "${process.execPath}" --input-type=module -e "$0"`, script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('600');
    expect(mode(path)).toBe('600');
    expect(mode(`${path}.lock`)).toBe('600');
    for (const dir of ['var', 'var/lib', 'var/lib/driftwatch']) expect(mode(join(root, dir)), dir).toBe('700');
    // Under umask 000 without the fix, each would be 0777 or 0666: the same run with plain mkdir and SQLite shows it.
    const plain = spawnSync('sh', ['-c', `umask 000; mkdir -p "${root}/plain/x"; touch "${root}/plain/x/f"`]);
    expect(plain.status).toBe(0);
    expect(mode(join(root, 'plain', 'x'))).toBe('777');
  });
});

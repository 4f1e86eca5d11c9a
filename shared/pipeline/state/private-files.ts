import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The state file holds open-window counts and the audit log of everything that left: it is the
 * product's record, and not for other users on the host. Directories driftwatch creates for it are
 * 0700 and files 0600, whatever the umask (which `mkdir`'s and `open`'s modes are subject to).
 * SQLite creates a database's -wal and -shm files with the database file's own permissions.
 */
export function createPrivateFile(path: string): void {
  const created = mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // mkdir returns the first directory it made; each one below it is new too.
  if (created !== undefined) {
    for (let dir = dirname(path); dir.length >= created.length; dir = dirname(dir)) {
      chmodSync(dir, 0o700);
      if (dir === created) break;
    }
  }
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return; // an existing file keeps the mode its owner gave it
    throw err;
  }
  closeSync(fd);
  chmodSync(path, 0o600);
}

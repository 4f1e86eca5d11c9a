import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { DwError } from '../../platform/errors.js';
import { createPrivateFile } from './private-files.js';

/** Bytes of the install key. */
const KEY_BYTES = 32;

/** Where the install key of a state file lives: beside it, never in it. */
export function installKeyPath(statePath: string): string {
  return `${statePath}.label-key`;
}

/**
 * The per-install key that hashes inference ids for the label join: 32 random bytes in a 0600
 * file beside the state file, created on first use. Kept out of the state file, so that the state
 * file alone does not let anyone test a guessed id against its hashes. An in-memory state file
 * gets a key for the process only.
 */
export function loadInstallKey(statePath: string): Buffer {
  if (statePath === ':memory:') return randomBytes(KEY_BYTES);
  const path = installKeyPath(statePath);
  createPrivateFile(path);
  let key = readFileSync(path);
  if (key.length === 0) {
    // First use: the file was just created empty (0600); the key is written once, whole.
    const fd = openSync(path, 'r+');
    try {
      writeSync(fd, randomBytes(KEY_BYTES), 0, KEY_BYTES, 0);
    } finally {
      closeSync(fd);
    }
    key = readFileSync(path);
  }
  if (key.length !== KEY_BYTES) {
    throw new DwError('DW_ERR_CONFIG', `the label install key ${path} holds ${key.length} bytes, not ${KEY_BYTES}: it is damaged; labels of inferences remembered under it cannot be joined (remove it to start a new key)`, { file: path, field: 'labels' });
  }
  return key;
}

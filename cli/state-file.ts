import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { DwError } from '../shared/platform/errors.js';

/** The state file a command reads when it is not given one: the agent's default `state.path`. */
export const DEFAULT_STATE = '.driftwatch/agent.db';

/** An agent's or collector's state file, opened read-only (the component may be running). */
export function openStateReadOnly(state: string): { db: Database.Database; close: () => void } {
  if (!existsSync(state)) throw new DwError('DW_ERR_FILE_READ', 'no state file here; pass --state with the agent or collector state.path', { file: state });
  let db: Database.Database;
  try {
    db = new Database(state, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new DwError('DW_ERR_FILE_READ', `not a driftwatch state file (${(err as Error).message})`, { file: state });
  }
  return { db, close: () => db.close() };
}

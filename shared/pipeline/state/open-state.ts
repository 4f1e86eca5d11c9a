import type { Logger } from 'pino';
import { AgentStore } from './agent-store.js';

/**
 * Opens a component's state file; a damaged one is moved aside with an error log line naming both
 * paths, and the component starts on a fresh file instead of crashing in a restart loop.
 */
export function openState(state: { path: string; synchronous: 'NORMAL' | 'FULL' }, log: Logger, nowMs: number): AgentStore {
  return AgentStore.openOrMoveAside(state.path, { synchronous: state.synchronous }, (movedTo, reason) => {
    log.error({ state: state.path, movedTo, reason },
      'The state file is damaged and was moved aside; starting with a fresh one (its open windows, unsent outbox and audit log stay in the moved file for inspection).');
  }, nowMs);
}

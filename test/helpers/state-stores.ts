import { componentState, type ComponentState } from '../../shared/pipeline/state/open-state.js';
import { StateDatabase, type StoreOptions } from '../../shared/pipeline/state/state-database.js';

/** A component's stores on the state file at `path` (created if needed), as `openState` opens them. */
export function openStores(path: string, options: StoreOptions = {}): ComponentState {
  return componentState(StateDatabase.open(path, options));
}

/** The same through `StateDatabase.openOrMoveAside`: a damaged file is moved aside first. */
export function openOrMoveAside(path: string, options: StoreOptions, onMovedAside: (movedTo: string, reason: string) => void, nowMs?: number): ComponentState {
  return componentState(StateDatabase.openOrMoveAside(path, options, onMovedAside, nowMs));
}

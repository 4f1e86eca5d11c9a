import { componentState, type ComponentState } from '../../shared/pipeline/state/open-state.js';
import { stateConfigSchema } from '../../shared/platform/config/config-file.js';
import { StateDatabase, type StoreOptions } from '../../shared/pipeline/state/state-database.js';

/** The config's `state` section with its defaults, over `options`. */
const withDefaults = (options: Partial<StoreOptions>): StoreOptions => ({ synchronous: stateConfigSchema('unused').parse({}).synchronous, ...options });

/** A component's stores on the state file at `path` (created if needed), as `openState` opens them. */
export function openStores(path: string, options: Partial<StoreOptions> = {}): ComponentState {
  return componentState(StateDatabase.open(path, withDefaults(options)));
}

/** The same through `StateDatabase.openOrMoveAside`: a damaged file is moved aside first. */
export function openOrMoveAside(path: string, options: Partial<StoreOptions>, onMovedAside: (movedTo: string, reason: string) => void, nowMs?: number): ComponentState {
  return componentState(StateDatabase.openOrMoveAside(path, withDefaults(options), onMovedAside, nowMs));
}

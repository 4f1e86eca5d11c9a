import type { Logger } from 'pino';
import type { ComponentState } from '../state/open-state.js';
import type { ModelWindows } from './model-windows.js';

/**
 * Puts back what a restart left in the state file: checkpointed open windows whose baseline layout
 * still matches (others are discarded with a warning) and each model version's recent verdicts.
 * Returns how many windows were resumed.
 */
export function restoreWindows(store: ComponentState, models: ReadonlyMap<string, ModelWindows>, log: Logger): number {
  const { windows, discarded } = store.checkpoints.loadOpenWindows((model) => {
    const m = models.get(model);
    return m === undefined ? undefined : { layout: m.layout, bins: m.binCounts };
  });
  for (const d of discarded) {
    log.warn({ model: d.model, version: d.version, windowStart: new Date(d.startMs).toISOString(), events: d.rows },
      'A checkpointed window does not match the current baseline (or its model is gone); its counts were discarded.');
  }
  for (const w of windows) models.get(w.model)!.restore(w);
  for (const [key, recent] of store.outbox.loadHistory()) {
    const [model, version] = key.split('\u0000') as [string, string];
    models.get(model)?.restoreHistory(version, recent);
  }
  if (windows.length > 0) log.info({ windows: windows.length }, 'Resumed checkpointed open windows.');
  return windows.length;
}

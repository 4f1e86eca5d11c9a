import type { ModelWindows } from './model-windows.js';

/** The last closed window of a model as `/v1/status` shows it. */
export function lastWindowStatus(windows: ModelWindows): object | null {
  const last = windows.lastReport;
  return last === undefined ? null : {
    version: last.version, start: new Date(last.startMs).toISOString(), end: new Date(last.endMs).toISOString(),
    events: last.events, drift: last.score.drift, retrainingRecommended: last.retraining.recommended,
    features: last.score.features.map((f) => ({ name: f.name, psi: f.psi, threshold: f.threshold, status: f.status })),
  };
}

/**
 * A model's differential-privacy state for `/v1/status`: ε per window, the sensitivity it is
 * calibrated to, and the budget spent so far (basic composition: the sum over released windows).
 */
export function privacyStatus(windows: ModelWindows, epsilon: number | undefined, spent: { windows: number; epsilon: number } | undefined): object | null {
  if (epsilon === undefined) return null;
  return { epsilonPerWindow: epsilon, sensitivity: windows.profile.features.length + 1, windowsReleased: spent?.windows ?? 0, epsilonSpent: spent?.epsilon ?? 0 };
}

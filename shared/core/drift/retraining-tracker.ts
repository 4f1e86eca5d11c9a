/** The "M of the last N windows" rule, as CloudWatch's "M out of N datapoints" alarms use it. */
export interface RetrainingRule {
  /** Flagged windows needed. */
  m: number;
  /** Windows looked at. */
  n: number;
}

/** The state after one more window: the last N verdicts, oldest first, and the outcome. */
export interface RetrainingState {
  recent: boolean[];
  flaggedInWindow: number;
  recommended: boolean;
}

/**
 * Adds one closed window's verdict. Windows with insufficient data are passed as `undefined` and
 * leave the history alone: they say nothing either way. Pure.
 */
export function nextRetrainingState(rule: RetrainingRule, recent: readonly boolean[], drift: boolean | undefined): RetrainingState {
  const next = drift === undefined ? [...recent] : [...recent, drift].slice(-rule.n);
  const flagged = next.filter(Boolean).length;
  return { recent: next, flaggedInWindow: flagged, recommended: flagged >= rule.m };
}

/** The self-telemetry metrics driftwatch exports (docs/agent.md); the egress allowlist is this set. */
export const SELF_METRIC_NAMES = [
  'driftwatch.events.accepted',
  'driftwatch.events.rejected',
  'driftwatch.windows.closed',
  'driftwatch.sink.sends',
  'driftwatch.component.errors',
  'driftwatch.outbox.backlog',
  'driftwatch.outbox.oldest_unsent_age',
  'driftwatch.collector.points',
  'driftwatch.collector.requests.refused',
  'driftwatch.egress.refused',
  'driftwatch.api.requests.refused',
  'driftwatch.outbox.dropped',
] as const;

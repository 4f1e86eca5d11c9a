import { REJECT_REASONS } from '../../shared/core/aggregation/reject-reasons.js';
import { DwError } from '../../shared/platform/errors.js';
import { OTLP_ATTRIBUTES as A, OTLP_METRICS as M } from '../../shared/pipeline/egress/otlp-names.js';
import { histogramBounds } from '../../shared/pipeline/otlp/window-metrics.js';
import type { WindowReport } from '../../shared/core/drift/window-report.js';
import { expectedBinCount, type BaselineProfile, type FeatureProfile } from '../../shared/core/profile/baseline-profile.js';
import type { DataPoint, ResourcePoints } from './otlp-request.js';

/** Why the collector refused data points. Also the `reason` of its refusal counter. */
export const POINT_REJECT_REASONS = [
  'unknown_metric', 'missing_identity', 'unknown_model', 'unknown_version', 'bad_temporality', 'bad_timestamp', 'window_mismatch',
  'layout_mismatch', 'unknown_feature', 'bad_count', 'unknown_reason', 'incomplete_window', 'late_window',
] as const;
export type PointRejectReason = (typeof POINT_REJECT_REASONS)[number];

/** What the collector knows of a model. */
export interface CollectorModel {
  profile: BaselineProfile;
  layout: string;
  /** Feature index by name. */
  index: Map<string, number>;
  /** Versions agents may send ('' always). */
  versions: ReadonlySet<string>;
}

/** One agent's closed window, checked and turned into counts in the collector's layout. */
export interface Contribution extends Pick<WindowReport, 'model' | 'version' | 'startMs' | 'endMs' | 'events' | 'rejected'> {
  /** instance, model, version, start, end: the same window sent twice has the same key. */
  key: string;
  instance: string;
  counts: Float64Array[];
  /** Per feature, the sum of a reconstruction error's values (NaN when its histogram had none); 0 for other features. */
  sums: Float64Array;
  points: number;
}

/** Refused points of one window (or loose points), with the reason and a message naming the field. */
export interface Refusal {
  reason: PointRejectReason;
  points: number;
  message: string;
  instance?: string;
  model?: string;
}

/** Limits on what a window can claim. */
export interface ContributionLimits {
  windowMs: number;
  nowMs: number;
  /** Refuse windows ending further ahead than this. */
  maxFutureMs: number;
  /** Refuse windows older than this (CloudWatch takes nothing older than 14 days). */
  maxAgeMs: number;
  /** Largest believable count in one bin or one window. */
  maxCount: number;
}

const NS_PER_MS = 1_000_000n;
/** Each numeric feature's histogram bounds, computed once per baseline feature. */
const BOUNDS = new WeakMap<object, number[]>();
function boundsOf(feature: FeatureProfile & { type: 'numeric' }): number[] {
  let bounds = BOUNDS.get(feature);
  if (bounds === undefined) BOUNDS.set(feature, (bounds = histogramBounds(feature.edges)));
  return bounds;
}
const KNOWN_METRICS = new Set<string>(Object.values(M));
const REFUSAL_REASONS = new Set<string>(REJECT_REASONS);

/** One window's points refused, with the reason they are counted under (answered as partial success). */
class Refused extends DwError {
  override readonly name = 'Refused';

  constructor(readonly reason: PointRejectReason, message: string) {
    super('DW_ERR_OTLP_POINTS', message);
  }
}

function count(value: number | undefined, what: string, limits: ContributionLimits): number {
  if (value === undefined || !Number.isInteger(value) || value < 0 || value > limits.maxCount) {
    throw new Refused('bad_count', `${what} = ${String(value)} is not a count between 0 and ${limits.maxCount}`);
  }
  return value;
}

/** Builds one window's counts from its points, or throws `Refused` naming the first problem. */
// eslint-disable-next-line max-lines-per-function -- one pass over a window's points; each check is a line naming its refusal reason, in collector.md's order.
function assemble(model: CollectorModel, points: DataPoint[], limits: ContributionLimits): { events: number; rejected: Record<string, number>; counts: Float64Array[]; sums: Float64Array } {
  const { profile } = model;
  const counts = profile.features.map((f) => new Float64Array(expectedBinCount(f)));
  // A reconstruction error without a sum (an agent releasing noisy counts) makes the merged mean unknown.
  const sums = Float64Array.from(profile.features, (f) => (f.role === 'multivariate' ? NaN : 0));
  const seen = new Set<string>();
  let events: number | undefined;
  const rejected = new Map<string, number>();
  for (const p of points) {
    if ((p.kind === 'sum' || p.kind === 'histogram') && p.temporality !== 1) {
      throw new Refused('bad_temporality', `${p.metric} must have delta temporality (1), not ${p.temporality}`);
    }
    if (p.metric === M.events) {
      if (p.attributes[A.layout] !== model.layout) {
        throw new Refused('layout_mismatch', `the agent's baseline layout '${String(p.attributes[A.layout])}' is not the collector's '${model.layout}': the baselines differ`);
      }
      events = count(p.value, M.events, limits);
      continue;
    }
    if (p.metric === M.rejected) {
      // Only the closed list: an attribute like 'constructor' must not reach an object's prototype.
      const reason = p.attributes[A.reason];
      if (typeof reason !== 'string' || !REFUSAL_REASONS.has(reason)) {
        throw new Refused('unknown_reason', `${M.rejected}: reason '${String(reason).slice(0, 100)}' is not one of driftwatch's refusal reasons`);
      }
      rejected.set(reason, (rejected.get(reason) ?? 0) + count(p.value, `${M.rejected}{${reason}}`, limits));
      continue;
    }
    const name = String(p.attributes[A.feature] ?? '');
    const i = model.index.get(name);
    if (i === undefined) throw new Refused('unknown_feature', `${p.metric}: the baseline has no feature '${name.slice(0, 100)}'`);
    const feature = profile.features[i]!;
    const bins = counts[i]!;
    if (p.metric === M.missing) {
      bins[bins.length - 1] = count(p.value, `${M.missing}{${name}}`, limits);
    } else if (p.metric === M.histogram) {
      if (feature.type !== 'numeric' || p.kind !== 'histogram') throw new Refused('layout_mismatch', `${name}: a histogram for a feature that is not numeric`);
      const bounds = boundsOf(feature);
      if (p.bounds!.length !== bounds.length || p.bounds!.some((b, j) => b !== bounds[j])) {
        throw new Refused('layout_mismatch', `${name}: histogram bounds differ from the baseline edges`);
      }
      if (p.bucketCounts!.length !== bounds.length + 1) throw new Refused('layout_mismatch', `${name}: ${p.bucketCounts!.length} buckets for ${bounds.length} bounds`);
      if (seen.has(`h:${name}`)) throw new Refused('bad_count', `${name}: two histograms in one window`);
      seen.add(`h:${name}`);
      let total = 0;
      p.bucketCounts!.forEach((c, j) => {
        bins[j] = count(c, `${name} bucket ${j}`, limits);
        total += c;
      });
      if (p.count !== undefined && p.count !== total) throw new Refused('bad_count', `${name}: count ${p.count} is not the sum of its buckets (${total})`);
      if (feature.role === 'multivariate' && p.sum !== undefined) {
        if (!Number.isFinite(p.sum) || p.sum < 0) throw new Refused('bad_count', `${name}: sum ${p.sum} is not a finite reconstruction error total`);
        sums[i] = p.sum;
      }
    } else if (p.metric === M.category) {
      if (feature.type !== 'categorical') throw new Refused('layout_mismatch', `${name}: category counts for a feature that is not categorical`);
      const c = p.attributes[A.categoryIndex];
      if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c > feature.categories.length) {
        throw new Refused('layout_mismatch', `${name}: category index ${String(c)} is outside 0..${feature.categories.length}`);
      }
      bins[c] = bins[c]! + count(p.value, `${name} category ${c}`, limits);
    }
  }
  if (events === undefined) throw new Refused('incomplete_window', `no ${M.events} point: the window is incomplete`);
  profile.features.forEach((f, i) => {
    const total = counts[i]!.reduce((a, b) => a + b, 0);
    if (total !== events) throw new Refused('incomplete_window', `${f.name}: bins add up to ${total}, the window counted ${events}`);
  });
  return { events, rejected: Object.fromEntries(rejected), counts, sums };
}

/**
 * Turns decoded OTLP points into checked window contributions. A window whose points are not all
 * right is refused whole, so half a window never merges; other windows in the same request are
 * unaffected.
 */
// eslint-disable-next-line max-lines-per-function -- the per-window checks in the order collector.md lists them; splitting them would scatter the refusal reasons.
export function windowContributions(batches: readonly ResourcePoints[], models: ReadonlyMap<string, CollectorModel>, limits: ContributionLimits): {
  contributions: Contribution[];
  refusals: Refusal[];
} {
  const contributions: Contribution[] = [];
  const refusals: Refusal[] = [];
  for (const { resource, points } of batches) {
    const instance = resource[A.instance];
    const groups = new Map<string, DataPoint[]>();
    // A window's points come together: its key is built once per run of points, not per point.
    let last: { model: unknown; version: unknown; startNs: bigint; endNs: bigint; group: DataPoint[] } | undefined;
    for (const p of points) {
      if (!KNOWN_METRICS.has(p.metric)) {
        refusals.push({ reason: 'unknown_metric', points: 1, message: `metric '${p.metric.slice(0, 100)}' is not part of a driftwatch window` });
        continue;
      }
      const model = p.attributes[A.model];
      const version = p.attributes[A.version];
      if (last === undefined || last.model !== model || last.version !== version || last.startNs !== p.startNs || last.endNs !== p.endNs) {
        const key = JSON.stringify([instance, String(model ?? ''), String(version ?? ''), String(p.startNs), String(p.endNs)]);
        let g = groups.get(key);
        if (g === undefined) groups.set(key, (g = []));
        last = { model, version, startNs: p.startNs, endNs: p.endNs, group: g };
      }
      last.group.push(p);
    }
    for (const [key, group] of groups) {
      const first = group[0]!;
      const model = String(first.attributes[A.model] ?? '');
      const refuse = (reason: PointRejectReason, message: string): void => {
        refusals.push({ reason, points: group.length, message, instance: typeof instance === 'string' ? instance : undefined, model });
      };
      if (typeof instance !== 'string' || instance === '') {
        refuse('missing_identity', `resource attribute '${A.instance}' is required: it tells a retried window from a new one`);
        continue;
      }
      const m = models.get(model);
      if (m === undefined) {
        refuse('unknown_model', `no model '${model.slice(0, 100)}' is configured on this collector`);
        continue;
      }
      const version = String(first.attributes[A.version] ?? '');
      if (version !== '' && !m.versions.has(version)) {
        refuse('unknown_version', `version '${version.slice(0, 100)}' of '${model}' is not in the collector's models[].versions`);
        continue;
      }
      const startMs = Number(first.startNs / NS_PER_MS);
      const endMs = Number(first.endNs / NS_PER_MS);
      if (first.startNs % NS_PER_MS !== 0n || first.endNs % NS_PER_MS !== 0n || !(endMs > startMs)) {
        refuse('bad_timestamp', `window ${String(first.startNs)}..${String(first.endNs)} ns is not a span of whole milliseconds`);
        continue;
      }
      if (endMs > limits.nowMs + limits.maxFutureMs || startMs < limits.nowMs - limits.maxAgeMs) {
        refuse('bad_timestamp', `window ${new Date(startMs).toISOString()}..${new Date(endMs).toISOString()} is too far in the future or the past`);
        continue;
      }
      if (startMs % limits.windowMs !== 0 || endMs - startMs > limits.windowMs) {
        refuse('window_mismatch', `window ${new Date(startMs).toISOString()}..${new Date(endMs).toISOString()} does not fit the collector's ${limits.windowMs / 1000} s windows`);
        continue;
      }
      try {
        const { events, rejected, counts, sums } = assemble(m, group, limits);
        contributions.push({ key, instance, model, version, startMs, endMs, events, rejected, counts, sums, points: group.length });
      } catch (err) {
        if (!(err instanceof Refused)) throw err;
        refuse(err.reason, err.message);
      }
    }
  }
  return { contributions, refusals };
}

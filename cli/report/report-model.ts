import type { WindowScore } from '../../shared/core/drift/feature-score.js';
import type { WindowReport } from '../../shared/core/drift/window-report.js';
import { binLabels } from '../../shared/core/binning/bin-labels.js';
import type { BaselineProfile, FeatureProfile } from '../../shared/core/profile/baseline-profile.js';
import type { Moments } from '../../shared/offline/scoring/numeric-moments.js';
import { bySeverity, direction, flaggedBecause, severity } from '../format/feature-story.js';
import { num } from '../format/table.js';

/** One judged window the report shows: a `score` run's file, or a window from the history. */
export interface ReportWindow {
  startMs: number;
  endMs: number;
  events: number;
  score: WindowScore;
  /** Per feature (profile order), the window's counts per bin. */
  counts: readonly ArrayLike<number>[];
  retraining?: { recommended: boolean; flagged: number; of: number };
  /** The window's estimated accuracy (a baseline built with labels), its realised performance (delayed labels), its segments. */
  performance?: WindowReport['performance'];
  realised?: WindowReport['realised'];
  segments?: WindowReport['segments'];
}

/** What the page draws for one feature. */
export interface ReportFeature {
  name: string;
  type: 'numeric' | 'categorical';
  role: string;
  status: string;
  psi: number | null;
  threshold: number | null;
  severity: number;
  direction: string | null;
  flaggedBecause: string | null;
  /** Baseline and latest-window shares per bin, with the bins' names (tails and missing included). */
  bins: { label: string; baseline: number; current: number }[];
  /** PSI and threshold per window, oldest first (history only). */
  timeline: { end: string; psi: number | null; threshold: number | null; drift: boolean }[];
}

/** Everything the report page shows (embedded in it as JSON). */
export interface ReportModel {
  model: string;
  source: string;
  generatedAt: string;
  from: string;
  to: string;
  windows: number;
  events: number;
  summary: string;
  drift: boolean;
  retraining: { recommended: boolean; flagged: number; of: number } | null;
  verdicts: { end: string; drift: boolean; flagged: number; recommended: boolean }[];
  /**
   * Per window with an estimate: the estimated accuracy and its 95 % interval, the realised accuracy
   * of its labels so far (null without), and the baseline's; null when no window has an estimate.
   */
  accuracy: { end: string; estimated: number; lower: number; upper: number; dropped: boolean; realised: number | null; labelled: number; reference: number }[] | null;
  /** The latest window per segment, by the category's name (the report stays on the host); null without segments. */
  segments: { feature: string; rows: { segment: string; events: number; drift: boolean | null; maxPsi: number | null; drifted: string[] }[] } | null;
  features: ReportFeature[];
}

/** The latest window's segments, named by the baseline's categories. */
function segmentRows(profile: BaselineProfile, last: ReportWindow): ReportModel['segments'] {
  if (last.segments === undefined) return null;
  const feature = profile.features.find((f) => f.name === last.segments!.feature);
  const names = feature?.type === 'categorical' ? feature.categories : [];
  const scores = last.segments.scores;
  return { feature: last.segments.feature, rows: scores.map((s) => ({ segment: s.segment === scores.length - 1 ? 'other' : names[s.segment] ?? String(s.segment),
    events: s.events, drift: s.drift, maxPsi: s.maxPsi, drifted: s.drifted })) };
}

const iso = (ms: number): string => new Date(ms).toISOString();
const when = (ms: number): string => iso(ms).slice(0, 16).replace('T', ' ') + ' UTC';

/** A numeric feature's mean from bin shares: each bin at its middle, a tail bin at its edge (what the history's counts allow). */
function binnedMean(feature: FeatureProfile & { type: 'numeric' }, shares: ArrayLike<number>): number | undefined {
  const e = feature.edges;
  const points = [e[0]!, ...e.slice(1).map((x, i) => (e[i]! + x) / 2), e[e.length - 1]!];
  let sum = 0;
  let weight = 0;
  for (let i = 0; i < points.length; i++) {
    sum += points[i]! * shares[i]!;
    weight += shares[i]!;
  }
  return weight > 0 ? sum / weight : undefined;
}

function shares(counts: ArrayLike<number>): number[] {
  const total = Array.from(counts).reduce((a, b) => a + b, 0);
  return Array.from(counts, (c) => (total > 0 ? c / total : 0));
}

/**
 * The direction of a feature in a window. A `score` run knows the file's exact mean; a window from
 * the history knows its bins only, so both means are then taken from the bins ("mean ≈").
 */
function directionWords(feature: FeatureProfile, window: ReportWindow, i: number, moments: Moments | undefined): string | null {
  const score = window.score.features[i]!;
  if (moments !== undefined || feature.type === 'categorical') return direction(feature, score, moments, window.counts[i])?.words ?? null;
  const current = binnedMean(feature, window.counts[i]!);
  const baseline = binnedMean(feature, feature.proportions);
  const rest = direction(feature, score, undefined, window.counts[i])?.words;
  if (current === undefined || baseline === undefined) return rest ?? null;
  const sd = feature.std > 0 ? ` (${current >= baseline ? '+' : '−'}${Math.abs((current - baseline) / feature.std).toPrecision(2)} sd)` : '';
  return [`mean ≈ ${num(baseline)} → ${num(current)}${sd}`, rest].filter((x) => x !== undefined).join('; ');
}

/** Since when the model has drifted: the first window of the run of drifted windows that ends with the latest. */
function driftSince(windows: readonly ReportWindow[]): number | undefined {
  let since: number | undefined;
  for (let k = windows.length - 1; k >= 0 && windows[k]!.score.drift; k--) since = windows[k]!.startMs;
  return since;
}

function summary(model: string, windows: readonly ReportWindow[], features: readonly ReportFeature[]): string {
  const last = windows[windows.length - 1]!;
  const drifted = features.filter((f) => f.status === 'drift');
  const broken = features.filter((f) => f.status === 'missing');
  const span = windows.length > 1 ? ` over ${windows.length} windows (${when(windows[0]!.startMs)} to ${when(last.endMs)})` : ` over ${last.events} rows`;
  if (!last.score.features.some((f) => f.status !== 'insufficient_data')) return `${model}: not judged${span}: the latest window has too few events.`;
  const feed = broken.length > 0 ? ` ${broken.map((f) => f.name).join(', ')} all missing (a broken feed).` : '';
  if (drifted.length === 0) return `${model}: no drift in the latest window${span}.${feed}`;
  const since = driftSince(windows);
  const worst = drifted.slice(0, 3).map((f) => `${f.name} (PSI ${num(f.psi)} against ${num(f.threshold)}${f.direction === null ? '' : `, ${f.direction.split('; ')[0]!}`})`).join(', ');
  const sinceText = windows.length > 1 && since !== undefined ? `, drifting since ${when(since)}` : '';
  return `${model}: drift in ${drifted.length} of ${features.length} features${span}${sinceText}; worst: ${worst}.${feed}`;
}

/**
 * The report's model from the baseline and the windows (oldest first; the latest is described in
 * full, the others give the timelines). `moments`: the exact per-feature moments of a `score` run.
 */
export function reportModel(profile: BaselineProfile, model: string, source: string, windows: readonly ReportWindow[], moments?: readonly (Moments | undefined)[],
  nowMs = Date.now()): ReportModel {
  if (windows.length === 0) throw new RangeError('a report needs at least one window');
  const last = windows[windows.length - 1]!;
  const features = bySeverity(profile.features.map((feature, i) => {
    const score = last.score.features[i]!;
    const labels = binLabels(feature);
    const current = shares(last.counts[i]!);
    return {
      score,
      name: feature.name, type: feature.type, role: feature.role, status: score.status, psi: score.psi, threshold: score.threshold, severity: severity(score),
      direction: directionWords(feature, last, i, moments?.[i]), flaggedBecause: flaggedBecause(score) ?? null,
      bins: labels.map((label, b) => ({ label, baseline: feature.proportions[b] ?? 0, current: current[b] ?? 0 })),
      timeline: windows.map((w) => ({ end: iso(w.endMs), psi: w.score.features[i]!.psi, threshold: w.score.features[i]!.threshold, drift: w.score.features[i]!.status === 'drift' })),
    };
  })).map(({ score: _score, ...f }) => f);
  return {
    model, source, generatedAt: iso(nowMs), from: iso(windows[0]!.startMs), to: iso(last.endMs), windows: windows.length,
    events: windows.reduce((n, w) => n + w.events, 0), summary: summary(model, windows, features), drift: last.score.drift,
    retraining: last.retraining ?? null,
    verdicts: windows.map((w) => ({ end: iso(w.endMs), drift: w.score.drift, flagged: w.score.features.filter((f) => f.status === 'drift').length, recommended: w.retraining?.recommended === true })),
    accuracy: windows.some((w) => w.performance !== undefined)
      ? windows.filter((w) => w.performance !== undefined).map((w) => ({ end: iso(w.endMs), estimated: w.performance!.estimatedAccuracy, lower: w.performance!.lower, upper: w.performance!.upper,
        dropped: w.performance!.dropped === true, realised: w.realised?.accuracy ?? null, labelled: w.realised?.labelled ?? 0, reference: w.performance!.referenceAccuracy }))
      : null,
    segments: segmentRows(profile, last),
    features,
  };
}

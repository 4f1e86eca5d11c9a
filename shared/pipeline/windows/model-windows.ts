import { largestRemainder } from '../../core/stats/largest-remainder.js';
import { constraintViolations } from '../../core/drift/constraint-violations.js';
import { createHash } from 'node:crypto';
import { ProfileCounter } from '../../core/aggregation/profile-counter.js';
import { REJECT_REASONS } from '../../core/aggregation/reject-reasons.js';
import type { InputRecord } from '../../core/aggregation/read-source.js';
import { releasedCounts, releasedPoints, type ReleasedPoints } from '../../core/privacy/released-points.js';
import type { DriftRule } from '../../core/drift/drift-rule.js';
import { nextRetrainingState, type RetrainingRule } from '../../core/drift/retraining-tracker.js';
import { scoreWindow, thresholdRequests } from '../../core/drift/score-window.js';
import type { WindowReport } from '../../core/drift/window-report.js';
import { projectorsFor, type Projector } from '../../core/multivariate/projector.js';
import { expectedBinCount, type BaselineProfile } from '../../core/profile/baseline-profile.js';
import { estimateAccuracy } from '../../core/performance/confidence-estimate.js';
import { accuracyDropped, type PerformanceRule } from '../../core/performance/accuracy-drop.js';
import type { OpenWindowRecord } from '../state/checkpoint-store.js';
import { laplaceScale } from '../../core/privacy/discrete-laplace.js';
import { noiseWindow, type WindowPrivacy } from '../../core/privacy/window-noise.js';
import { PsiThresholdCache, type ThresholdRequest } from '../../core/threshold/psi-threshold-cache.js';
import { windowStart } from './window-bounds.js';
import { SegmentWindows, type SegmentSettings } from './segment-windows.js';

/** One open window of one model version. */
export interface OpenWindow {
  version: string;
  startMs: number;
  counter: ProfileCounter;
  rejected: Record<string, number>;
  /** Per segment (`models[].segments`), the window's counts of that segment's records. */
  segments?: ProfileCounter[];
  /** Changed since the last checkpoint. */
  dirty: boolean;
}

/**
 * Fingerprint of a profile's bin layout: restored counts must match it exactly. It hashes the JSON
 * text of [features' layouts..., projections] piece by piece (the same bytes as one
 * JSON.stringify), so a projection of 1 000 dimensions and hundreds of components is never one
 * multi-megabyte string on the heap.
 */
export function layoutFingerprint(profile: BaselineProfile): string {
  const hash = createHash('sha256');
  const parts: (() => void)[] = profile.features.map((f) => () => hash.update(JSON.stringify([f.name, f.type, f.type === 'numeric' ? f.edges : f.categories])));
  // Projections change what a derived feature's bins mean; profiles without any keep their old fingerprint.
  if (profile.projections.length > 0) {
    parts.push(() => {
      hash.update('[');
      profile.projections.forEach((p, i) => {
        hash.update(`${i > 0 ? ',' : ''}[${JSON.stringify(p.name)},${JSON.stringify(p.center)},${JSON.stringify(p.scale ?? null)},[`);
        p.components.forEach((row, j) => hash.update(`${j > 0 ? ',' : ''}${JSON.stringify(row)}`));
        hash.update(']]');
      });
      hash.update(']');
    });
  }
  hash.update('[');
  parts.forEach((part, i) => {
    if (i > 0) hash.update(',');
    part();
  });
  hash.update(']');
  return hash.digest('hex').slice(0, 16);
}

const REFUSAL_REASONS = new Set<string>(REJECT_REASONS);

/**
 * Adds to a window's refused count of one reason from the closed list; anything else (a merged
 * agent's 'constructor', say) would reach the object's prototype, so it is a broken invariant.
 */
function addRejected(rejected: Record<string, number>, reason: string, n: number): void {
  if (!REFUSAL_REASONS.has(reason)) throw new RangeError(`'${reason.slice(0, 100)}' is not a refusal reason`);
  rejected[reason] = (Object.hasOwn(rejected, reason) ? rejected[reason]! : 0) + n;
}

/** What a model's windows may do besides counting and scoring. */
export interface ModelWindowOptions {
  /** ε per window for differential privacy; undefined releases exact counts. */
  epsilon?: number;
  /** The accuracy-drop verdict on a labelled baseline's estimate; undefined judges none. */
  performance?: PerformanceRule;
  /** Drift judged per segment as well (agent only; not with privacy noise). */
  segments?: SegmentSettings;
}

/**
 * The open windows of one model, per version, and their closing into reports. Pure aggregation
 * plus scoring: the caller owns the clock, the store and the sinks.
 */
export class ModelWindows {
  readonly layout: string;
  /** SHA-256 of the baseline profile: which baseline judged a window (the history keeps it). */
  readonly baselineHash: string;
  readonly binCounts: number[];
  private readonly open = new Map<string, OpenWindow>();
  private readonly history = new Map<string, boolean[]>();
  private readonly thresholds: PsiThresholdCache;
  private readonly confidenceIndex: number;
  private readonly confidencePoints: ReleasedPoints | undefined;
  /** The confidence feature the baseline's labelled calibration is of; -1 without one. */
  private readonly calibratedIndex: number;
  private readonly projectors: Projector[];
  /** The last closed window's report, for status. */
  lastReport: WindowReport | undefined;
  private warming: Promise<void> | undefined;
  private readonly expected = new Set<number>();
  private readonly epsilon: number | undefined;
  private readonly performanceRule: PerformanceRule | undefined;
  /** The model's segments, when configured. */
  readonly segments: SegmentWindows | undefined;

  constructor(
    readonly name: string,
    readonly profile: BaselineProfile,
    private readonly windowMs: number,
    private readonly rule: DriftRule,
    private readonly retraining: RetrainingRule,
    options: ModelWindowOptions = {},
  ) {
    this.epsilon = options.epsilon;
    this.performanceRule = options.performance;
    this.layout = layoutFingerprint(profile);
    this.baselineHash = createHash('sha256').update(JSON.stringify(profile)).digest('hex');
    this.projectors = projectorsFor(profile);
    this.segments = options.segments === undefined ? undefined : new SegmentWindows(name, options.segments, profile, rule, this.projectors);
    this.binCounts = profile.features.map((f) => expectedBinCount(f));
    // With privacy noise the thresholds must include it, or noise alone reads as drift.
    this.thresholds = new PsiThresholdCache(options.epsilon === undefined ? rule : { ...rule, noise: laplaceScale(profile.features.length + 1, options.epsilon) });
    this.confidenceIndex = profile.features.findIndex((f) => f.role === 'confidence' && f.type === 'numeric');
    const confidence = profile.features[this.confidenceIndex];
    this.confidencePoints = confidence?.type === 'numeric' ? releasedPoints(confidence.edges) : undefined;
    this.calibratedIndex = profile.performance === undefined ? -1 : profile.features.findIndex((f) => f.name === profile.performance!.confidenceFeature);
  }

  /**
   * The window's estimated accuracy, when the baseline was built with labels, and (for a window of
   * at least the minimum count, under a performance rule) whether it dropped.
   */
  private estimate(counts: readonly ArrayLike<number>[], events: number): WindowReport['performance'] {
    const performance = this.profile.performance;
    if (performance === undefined || this.calibratedIndex < 0) return undefined;
    // Predictions without a confidence (the missing bin) say nothing about their chance: left out.
    const bins = Array.from(counts[this.calibratedIndex]!);
    bins[bins.length - 1] = 0;
    const e = estimateAccuracy(performance.calibration, bins);
    if (e === undefined) return undefined;
    const referenceAccuracy = performance.correct / performance.labelled;
    const rule = events >= this.rule.minCount ? this.performanceRule : undefined;
    return { estimatedAccuracy: e.accuracy, lower: e.lower, upper: e.upper, referenceAccuracy,
      ...(rule === undefined ? {} : { dropped: accuracyDropped(e, referenceAccuracy, rule.maxDrop) }) };
  }

  /**
   * The window's verdict for the M-of-N retraining rule: flagged when its inputs drifted or (when
   * the performance rule says so) its estimated accuracy dropped; undefined when neither was judged.
   */
  private verdict(score: WindowReport['score'], performance: WindowReport['performance']): boolean | undefined {
    const drift = score.featuresTested > 0 ? score.drift : undefined;
    const dropped = this.performanceRule?.retrain === true ? performance?.dropped : undefined;
    if (drift === undefined) return dropped;
    return drift || dropped === true;
  }

  private key(version: string, startMs: number): string {
    return `${version}\u0000${startMs}`;
  }

  /** The threshold cache's state, for `/v1/status`: thresholds cached, and whether a warm-up runs. */
  thresholdStatus(): { cached: number; warming: boolean } {
    return { cached: this.thresholds.size, warming: this.warming !== undefined };
  }

  /**
   * Window sizes this model sees (from its history at start, and each closed window's): their
   * thresholds are simulated at the next warm-up, so that later windows of similar size close
   * without simulating.
   */
  expectSizes(sizes: readonly number[]): void {
    for (const n of sizes) if (n >= this.rule.minCount) this.expected.add(n);
  }

  /**
   * Simulates, off the close path, the Monte-Carlo thresholds this model's windows will need: the
   * sizes it has seen (`expectSizes`), the sizes its open windows have reached, and those closes
   * had to approximate. Runs once at a time; the runtime calls it every second.
   */
  warmThresholds(): Promise<void> {
    this.warming ??= this.warm().finally(() => {
      this.warming = undefined;
    });
    return this.warming;
  }

  private async warm(): Promise<void> {
    const requests = this.thresholds.takePending();
    // Mean tests count in the alpha family only with exact sums, as at close.
    const sums = (): Float64Array | undefined => (this.epsilon === undefined && this.projectors.length > 0 ? new Float64Array(this.profile.features.length) : undefined);
    for (const n of spacedSizes(this.expected)) requests.push(...thresholdRequests(this.profile, this.profile.features.map((f) => Float64Array.from(largestRemainder(f.proportions, n))), this.rule, sums()));
    this.expected.clear();
    // An open window's size only when no size within 0.8 of it is cached: as a window grows, a
    // simulation per quarter of growth, not one per tick.
    for (const w of this.open.values()) {
      if (w.counter.n < this.rule.minCount) continue;
      requests.push(...thresholdRequests(this.profile, w.counter.counts, this.rule, sums()).filter((r) => this.thresholds.wouldSimulate([r])));
    }
    await this.thresholds.prepare(requests);
  }

  /** The open window for an event time, created if needed. */
  windowFor(version: string, timestampMs: number): OpenWindow {
    const startMs = windowStart(timestampMs, this.windowMs);
    const key = this.key(version, startMs);
    let w = this.open.get(key);
    if (w === undefined) {
      w = { version, startMs, counter: new ProfileCounter(this.profile.features, { strictTypes: true, projectors: this.projectors }), rejected: {}, dirty: false,
        ...(this.segments === undefined ? {} : { segments: this.segments.counters() }) };
      this.open.set(key, w);
    }
    return w;
  }

  /** Counts a record into its window; returns the problem if a value is invalid (nothing counted). */
  add(record: InputRecord, version: string, timestampMs: number): { field: string; message: string } | undefined {
    const w = this.windowFor(version, timestampMs);
    const problem = w.counter.add(record);
    if (problem !== undefined) return problem;
    w.dirty = true;
    if (w.segments !== undefined) w.segments[this.segments!.segmentOf(w.counter.lastBin(this.segments!.featureIndex))]!.addLastOf(w.counter);
    return undefined;
  }

  /** The bins of these features the last record counted into the window of `timestampMs` fell in (after an `add` that succeeded). */
  lastBins(version: string, timestampMs: number, features: readonly number[]): number[] {
    const w = this.windowFor(version, timestampMs);
    return features.map((i) => w.counter.lastBin(i));
  }

  /** Adds another counter's window (fleet mode): counts in this profile's layout, and its refusals. */
  merge(version: string, startMs: number, counts: readonly ArrayLike<number>[], rows: number, rejected: Record<string, number>, sums?: ArrayLike<number>): OpenWindow {
    const w = this.windowFor(version, startMs);
    w.counter.merge(counts, rows, sums);
    for (const [reason, n] of Object.entries(rejected)) addRejected(w.rejected, reason, n);
    w.dirty = true;
    return w;
  }

  /** Counts a refused event against the window of `timestampMs`. */
  reject(reason: string, version: string, timestampMs: number): void {
    const w = this.windowFor(version, timestampMs);
    addRejected(w.rejected, reason, 1);
    w.dirty = true;
  }

  /** End of a window (exclusive), ms. */
  endOf(startMs: number): number {
    return startMs + this.windowMs;
  }

  /** Open windows, oldest first. */
  windows(): OpenWindow[] {
    return [...this.open.values()].sort((a, b) => a.startMs - b.startMs);
  }

  /** Whether an event for this window would still be accepted at `nowMs` with `graceMs`. */
  isOpenFor(timestampMs: number, nowMs: number, graceMs: number): boolean {
    return this.endOf(windowStart(timestampMs, this.windowMs)) + graceMs > nowMs;
  }

  /** Checkpoint records of the windows changed since the last call, marking them clean. */
  takeDirty(): OpenWindowRecord[] {
    const out: OpenWindowRecord[] = [];
    for (const w of this.open.values()) {
      if (!w.dirty) continue;
      w.dirty = false;
      out.push({ model: this.name, version: w.version, startMs: w.startMs, layout: this.layout, rows: w.counter.n,
        rejected: { ...w.rejected }, counts: w.counter.counts.map((c) => c.slice()), ...this.sumsOf(w),
        ...(w.segments === undefined ? {} : { segments: w.segments.map((c) => ({ rows: c.n, counts: c.counts.map((x) => x.slice()), ...(this.projectors.length > 0 ? { sums: c.sums.slice() } : {}) })) }) });
    }
    return out;
  }

  /** A window's sums, when its profile has projections (only their derived features have sums). */
  private sumsOf(w: OpenWindow): { sums?: Float64Array } {
    return this.projectors.length > 0 ? { sums: w.counter.sums.slice() } : {};
  }

  /** Marks every open window changed (the state file was replaced: all must be written again). */
  markAllDirty(): void {
    for (const w of this.open.values()) w.dirty = true;
  }

  /** Marks these windows changed again (their checkpoint failed), if they are still open. */
  markDirty(records: readonly OpenWindowRecord[]): void {
    for (const r of records) {
      const w = this.open.get(this.key(r.version, r.startMs));
      if (w !== undefined) w.dirty = true;
    }
  }

  /**
   * Puts an open window back to its last committed checkpoint, or removes it if it has none:
   * strict durability undoes counts whose commit failed, so a refused request counts nothing.
   */
  revert(version: string, startMs: number, committed: OpenWindowRecord | undefined): void {
    const key = this.key(version, startMs);
    const w = this.open.get(key);
    if (w === undefined) return;
    if (committed === undefined) {
      this.open.delete(key);
      return;
    }
    w.counter.restore(committed.counts, committed.rows, committed.sums);
    w.rejected = { ...committed.rejected };
    this.restoreSegments(w, committed);
    w.dirty = false;
  }

  /** Puts back a checkpointed window after a restart. */
  restore(record: OpenWindowRecord): void {
    const w = this.windowFor(record.version, record.startMs);
    w.counter.restore(record.counts, record.rows, record.sums);
    w.rejected = { ...record.rejected };
    this.restoreSegments(w, record);
  }

  /** A window's segment counts from a checkpoint; a checkpoint of other segments (the setting changed) leaves them empty. */
  private restoreSegments(w: OpenWindow, record: OpenWindowRecord): void {
    if (w.segments === undefined) return;
    w.segments = this.segments!.counters();
    if (record.segments?.length !== w.segments.length) return;
    record.segments.forEach((s, i) => w.segments![i]!.restore(s.counts, s.rows, s.sums));
  }

  /** Seeds the recent verdicts of a version after a restart. */
  restoreHistory(version: string, recent: boolean[]): void {
    this.history.set(version, recent.slice(-this.retraining.n));
  }

  /** Takes a window out of the open set: later events for its period start a new window. */
  detach(w: OpenWindow): void {
    if (this.open.get(this.key(w.version, w.startMs)) === w) this.open.delete(this.key(w.version, w.startMs));
  }

  /**
   * Closes a detached window: computes any Monte-Carlo thresholds it needs without blocking the
   * event loop, scores it, advances the M-of-N rule, and returns the report with the new recent
   * verdicts (for the store's transaction). Calls must not overlap for one model: verdicts are
   * history. `endMs` is the nominal end, or earlier for a flush.
   */
  async close(w: OpenWindow, endMs: number): Promise<{ report: WindowReport; recent: boolean[] }> {
    this.detach(w);
    let counts: Float64Array[] = w.counter.counts;
    let events = w.counter.n;
    let rejected: Record<string, number> = { ...w.rejected };
    let privacy: WindowPrivacy | undefined;
    if (this.epsilon !== undefined) ({ counts, events, rejected, privacy } = noiseWindow(counts, events, rejected, this.epsilon));
    // Exact sums would bypass the noise: with privacy, reconstruction errors are judged by PSI alone.
    const sums = privacy === undefined && this.projectors.length > 0 ? Array.from(w.counter.sums) : undefined;
    // No full simulation on the close path: thresholds not warmed yet are a smaller size's, or for a size
    // with no near one cached (a fresh agent's first windows) a quick upper bound from a few thousand
    // draws; both are conservative, and the exact ones are simulated in the background. Only what the
    // quick budget cannot cover is simulated here, in slices, after any warm-up under way.
    const cold = (): ThresholdRequest[] => thresholdRequests(this.profile, counts, this.rule, sums).filter((r) => this.thresholds.wouldSimulate([r]));
    await this.thresholds.prepareQuick(cold());
    if (cold().length > 0 && this.warming !== undefined) await this.warming;
    await this.thresholds.prepare(cold());
    const score = scoreWindow(this.profile, counts, this.rule, this.thresholds.forClosing(), sums);
    const performance = this.estimate(counts, events);
    const state = nextRetrainingState(this.retraining, this.history.get(w.version) ?? [], this.verdict(score, performance));
    this.history.set(w.version, state.recent);
    const report: WindowReport = {
      model: this.name,
      version: w.version,
      startMs: w.startMs,
      endMs,
      events,
      rejected,
      score,
      counts: counts.map((c) => Array.from(c)),
      ...(sums === undefined ? {} : { sums }),
      retraining: { recommended: state.recommended, flagged: state.flaggedInWindow, of: this.retraining.n },
    };
    if (this.confidencePoints !== undefined) {
      report.confidence = { values: this.confidencePoints.values, counts: releasedCounts(this.confidencePoints, counts[this.confidenceIndex]!) };
    }
    if (performance !== undefined) report.performance = performance;
    if (privacy !== undefined) report.privacy = privacy;
    if (this.segments !== undefined && w.segments !== undefined && privacy === undefined) {
      report.segments = { feature: this.segments.settings.feature, scores: await this.segments.score(w.segments) };
    }
    this.expectSizes([events]);
    const modelMonitor = constraintViolations(this.profile, counts);
    if (modelMonitor !== undefined) report.modelMonitor = modelMonitor;
    this.lastReport = report;
    return { report, recent: state.recent };
  }
}

/**
 * Sizes enough to cover `sizes` for a close's fallback: ascending, each kept one more than 1.25
 * times the last, so every size has a kept one between 0.8 of it and itself.
 */
function spacedSizes(sizes: Iterable<number>): number[] {
  const kept: number[] = [];
  for (const n of [...sizes].sort((a, b) => a - b)) if (kept.length === 0 || n > 1.25 * kept.at(-1)!) kept.push(n);
  return kept;
}

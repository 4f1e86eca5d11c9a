import type { Dimension, MetricDatum } from '@aws-sdk/client-cloudwatch';
import type { FeatureScore } from '../../../core/drift/feature-score.js';
import type { SegmentScore, WindowReport } from '../../../core/drift/window-report.js';
import type { MetricName } from '../../egress/cloudwatch-names.js';

/** What shapes the datums of a window. */
export interface DatumOptions {
  /** `Site` dimension value, when configured. */
  site?: string;
  /** Ship per-feature PSI for only the N most drifted features (0 = all) to cap cost. */
  topFeatures: number;
  /**
   * Privacy floor k: a window with fewer events ships its counts only, no score, rate or
   * histogram of any feature (a small window's distribution could single out the people in it).
   */
  minCount: number;
}

function datum(name: MetricName, value: number, dimensions: Dimension[], timestamp: Date, unit: MetricDatum['Unit'] = 'None'): MetricDatum {
  return { MetricName: name, Value: value, Dimensions: dimensions, Timestamp: timestamp, Unit: unit };
}

function maxPsi(features: FeatureScore[]): number | undefined {
  const values = features.map((f) => f.psi).filter((v): v is number => v !== null);
  return values.length > 0 ? Math.max(...values) : undefined;
}

function mean(values: (number | null)[]): number | undefined {
  const present = values.filter((v): v is number => v !== null);
  return present.length > 0 ? present.reduce((a, b) => a + b, 0) / present.length : undefined;
}

/**
 * A window's segment datums: `SegmentDrift` (did any segment drift, the alarm's verdict) and per
 * segment judged, its events, largest PSI and drifted features, its `Segment` dimension the
 * category's index (or `other`). Segments under the privacy floor ship nothing.
 */
function segmentDatums(scores: readonly SegmentScore[], dims: Dimension[], at: Date, minCount: number): MetricDatum[] {
  const out: MetricDatum[] = [];
  const judged = scores.filter((s) => s.events >= minCount && s.drift !== null);
  if (judged.length > 0) out.push(datum('SegmentDrift', judged.some((s) => s.drift === true) ? 1 : 0, dims, at));
  for (const s of scores) {
    if (s.events < minCount) continue;
    const segmentDims = [...dims, { Name: 'Segment', Value: s.segment === scores.length - 1 ? 'other' : String(s.segment) }];
    out.push(datum('SegmentEventCount', s.events, segmentDims, at, 'Count'));
    if (s.maxPsi !== null) out.push(datum('SegmentMaxFeaturePSI', s.maxPsi, segmentDims, at));
    if (s.drift !== null) out.push(datum('SegmentDriftedFeatureCount', s.drifted.length, segmentDims, at, 'Count'));
  }
  return out;
}

/** Dimensions shared by every datum of a model's window. */
export function modelDimensions(report: Pick<WindowReport, 'model' | 'version'>, site: string | undefined): Dimension[] {
  const dims: Dimension[] = [{ Name: 'Model', Value: report.model }];
  if (report.version !== '') dims.push({ Name: 'ModelVersion', Value: report.version });
  if (site !== undefined) dims.push({ Name: 'Site', Value: site });
  return dims;
}

/**
 * The timestamp of a window's datums: its last millisecond. The exclusive end would fall into the
 * next CloudWatch period, so an alarm would see each window one period late (docs/decisions).
 */
export function windowTimestamp(report: Pick<WindowReport, 'endMs'>): Date {
  return new Date(report.endMs - 1);
}

/** CloudWatch's standard resolution: one datapoint per metric and minute. */
const STANDARD_RESOLUTION_MS = 60_000;

/**
 * The CloudWatch datums of one closed window, timestamped with the window end. Pure. Windows with
 * too few events to judge carry no PSI; windows under the privacy floor carry counts only.
 * Windows shorter than a minute are high-resolution datums (StorageResolution 1): at the standard
 * resolution CloudWatch would merge the windows of one minute into one datapoint.
 */
export function windowDatums(report: WindowReport, options: DatumOptions): MetricDatum[] {
  const resolution = windowResolution(report);
  const datums = windowDatumsAtStandardResolution(report, options);
  return resolution.StorageResolution === undefined ? datums : datums.map((d) => ({ ...d, ...resolution }));
}

/** The storage resolution of a window's datums: high (1 s) for a window shorter than a minute, else the standard one (left unset). */
export function windowResolution(report: Pick<WindowReport, 'startMs' | 'endMs'>): { StorageResolution?: 1 } {
  return report.endMs - report.startMs < STANDARD_RESOLUTION_MS ? { StorageResolution: 1 } : {};
}

function windowDatumsAtStandardResolution(report: WindowReport, options: DatumOptions): MetricDatum[] {
  const at = windowTimestamp(report);
  const dims = modelDimensions(report, options.site);
  const rejected = Object.values(report.rejected).reduce((a, b) => a + b, 0);
  const out: MetricDatum[] = [
    datum('EventCount', report.events, dims, at, 'Count'),
    datum('EventsRejected', rejected, dims, at, 'Count'),
    datum('EventsDropped', 0, dims, at, 'Count'),
    datum('RetrainingRecommended', report.retraining.recommended ? 1 : 0, dims, at),
  ];
  if (report.events < options.minCount) return out;
  const features = report.score.features;
  const inputs = features.filter((f) => f.role === 'input');
  const tested = inputs.filter((f) => f.psi !== null);
  // A feed that broke: every value of the feature missing in the window (its own status, not drift).
  out.push(datum('MissingFeatureCount', inputs.filter((f) => f.status === 'missing').length, dims, at, 'Count'));
  if (tested.length > 0) {
    out.push(datum('MaxFeaturePSI', maxPsi(tested)!, dims, at));
    out.push(datum('DriftedFeatureCount', tested.filter((f) => f.status === 'drift').length, dims, at, 'Count'));
    const ranked = [...tested].sort((a, b) => b.psi! - a.psi!);
    const shipped = options.topFeatures > 0 ? ranked.slice(0, options.topFeatures) : ranked;
    for (const f of shipped) out.push(datum('FeaturePSI', f.psi!, [...dims, { Name: 'Feature', Value: f.name }], at));
  }
  const missing = mean(inputs.map((f) => f.missingRate));
  if (missing !== undefined) out.push(datum('MissingRate', missing, dims, at));
  const outOfRange = mean(inputs.map((f) => f.outOfRangeRate));
  if (outOfRange !== undefined) out.push(datum('OutOfRangeRate', outOfRange, dims, at));
  const prediction = maxPsi(features.filter((f) => f.role === 'prediction' && f.psi !== null));
  if (prediction !== undefined) out.push(datum('PredictionPSI', prediction, dims, at));
  const confidence = maxPsi(features.filter((f) => f.role === 'confidence' && f.psi !== null));
  if (confidence !== undefined) out.push(datum('ConfidencePSI', confidence, dims, at));
  const multivariate = features.filter((f) => f.role === 'multivariate' && f.psi !== null);
  const multivariatePsi = maxPsi(multivariate);
  if (multivariatePsi !== undefined) {
    out.push(datum('MultivariatePSI', multivariatePsi, dims, at));
    // The calibrated verdict of the multivariate check (PSI and window-mean tests), what its alarm follows.
    out.push(datum('MultivariateDrift', multivariate.some((f) => f.status === 'drift') ? 1 : 0, dims, at));
  }
  for (const f of multivariate) {
    if (f.meanShift !== undefined) out.push(datum('ReconstructionError', f.meanShift.mean, [...dims, { Name: 'Feature', Value: f.name }], at));
  }
  if (report.segments !== undefined) out.push(...segmentDatums(report.segments.scores, dims, at, options.minCount));
  if (report.performance !== undefined) {
    out.push(datum('EstimatedAccuracy', report.performance.estimatedAccuracy, dims, at));
    out.push(datum('EstimatedAccuracyLower', report.performance.lower, dims, at));
    out.push(datum('EstimatedAccuracyUpper', report.performance.upper, dims, at));
    // The verdict the accuracy alarm follows, the same threshold for every model.
    if (report.performance.dropped !== undefined) out.push(datum('AccuracyDrop', report.performance.dropped ? 1 : 0, dims, at));
  }
  if (report.confidence !== undefined) {
    const keep = report.confidence.counts.map((c, i) => [report.confidence!.values[i]!, c] as const).filter(([, c]) => c > 0);
    if (keep.length > 0) {
      out.push({ MetricName: 'Confidence', Dimensions: dims, Timestamp: at, Unit: 'None',
        Values: keep.map(([v]) => v), Counts: keep.map(([, c]) => c) });
    }
  }
  return out;
}

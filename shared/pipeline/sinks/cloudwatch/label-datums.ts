import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import type { LabelUpdate, RealisedSummary } from '../../../core/performance/label-update.js';
import type { MetricName } from '../../egress/cloudwatch-names.js';
import { modelDimensions, windowResolution, windowTimestamp } from './window-datums.js';

/** The realised-performance metrics, each from its field of the window's summary. */
const REALISED: readonly [MetricName, keyof RealisedSummary, MetricDatum['Unit']][] = [
  ['LabelledPredictions', 'labelled', 'Count'],
  ['CorrectPredictions', 'correct', 'Count'],
  ['LabelCoverage', 'coverage', 'None'],
  ['RealisedAccuracy', 'accuracy', 'None'],
  ['RealisedPrecision', 'precision', 'None'],
  ['RealisedRecall', 'recall', 'None'],
  ['RealisedRocAuc', 'rocAuc', 'None'],
  ['CalibrationError', 'calibrationError', 'None'],
];

/**
 * The datums of new labels of a window, at the window's own timestamp: each metric's change since
 * the window's previous update (its whole value the first time), so that CloudWatch's Sum over
 * the window's period is the current value however many updates arrive. Pure.
 */
export function labelDatums(update: LabelUpdate, site: string | undefined): MetricDatum[] {
  const dims = modelDimensions(update, site);
  const at = windowTimestamp(update);
  const resolution = windowResolution(update);
  const out: MetricDatum[] = [];
  for (const [name, field, unit] of REALISED) {
    const now = update.current[field];
    if (typeof now !== 'number') continue;
    const before = update.previous?.[field];
    const delta = now - (typeof before === 'number' ? before : 0);
    if (update.previous !== undefined && delta === 0) continue;
    out.push({ MetricName: name, Value: delta, Unit: unit, Timestamp: at, Dimensions: dims, ...resolution });
  }
  return out;
}

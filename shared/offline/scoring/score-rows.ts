import { ProfileCounter } from '../../core/aggregation/profile-counter.js';
import { projectorsFor } from '../../core/multivariate/projector.js';
import { DwError } from '../../platform/errors.js';
import type { OnError } from '../input/input-format.js';
import type { RowSource } from '../input/row-source.js';
import type { BaselineProfile } from '../../core/profile/baseline-profile.js';
import { profileColumns } from '../../core/profile/baseline-profile.js';
import { PsiThresholdCache } from '../../core/threshold/psi-threshold-cache.js';
import type { DriftRule } from '../../core/drift/drift-rule.js';
import type { WindowScore } from '../../core/drift/feature-score.js';
import { scoreWindow } from '../../core/drift/score-window.js';
import { matchesInferredType } from '../../core/drift/constraint-violations.js';
import { NumericMoments, type Moments } from './numeric-moments.js';

/** An offline score of a whole file, with what was noticed on the way. */
export interface RowsScore {
  score: WindowScore;
  /** Baseline columns the input never had (scored as all missing). */
  missingColumns: string[];
  /** Input columns the baseline does not know (ignored). */
  extraColumns: string[];
  skippedRows: number;
  /** Per feature (profile order), the file's mean and spread of a numeric feature's values. */
  moments: (Moments | undefined)[];
  /** Per feature (profile order), the file's counts per bin. */
  counts: Float64Array[];
  /** With Model Monitor constraints: per feature, present values and those of the constraint's inferred type (its data type check). */
  types?: ({ present: number; matching: number } | undefined)[];
}

/** The data type tallies a baseline with Model Monitor constraints asks for, one per feature read from a column. */
function typeTallies(profile: BaselineProfile): ({ column: string; type: 'Integral' | 'Fractional' | 'String' | 'Unknown'; present: number; matching: number } | undefined)[] | undefined {
  const mm = profile.modelMonitor;
  if (mm === undefined) return undefined;
  const byName = new Map(mm.features.map((c) => [c.name, c.inferredType]));
  return profile.features.map((f) => {
    const type = byName.get(f.name);
    return type === undefined || !('column' in f.source) ? undefined : { column: f.source.column, type, present: 0, matching: 0 };
  });
}

/**
 * Counts every row of a source into the baseline's bins and scores the result as one window.
 * Invalid values stop the run (`fail`) or skip the row (`skip`, reported through `onProblem`).
 */
export async function scoreRows(
  profile: BaselineProfile,
  source: RowSource,
  rule: DriftRule,
  onError: OnError = 'fail',
  onProblem?: (problem: DwError) => void,
): Promise<RowsScore> {
  const counter = new ProfileCounter(profile.features, { projectors: projectorsFor(profile) });
  const moments = new NumericMoments(profile);
  const seen = new Set<string>();
  const tallies = typeTallies(profile);
  let skippedRows = 0;
  for await (const { line, record } of source.rows()) {
    for (const key in record) seen.add(key);
    for (const t of tallies ?? []) {
      const v = t === undefined ? undefined : record[t.column];
      if (t === undefined || v === undefined || v === null || v === '') continue;
      t.present++;
      if (matchesInferredType(v, t.type)) t.matching++;
    }
    const problem = counter.add(record);
    if (problem === undefined) {
      moments.add(record);
      continue;
    }
    const error = new DwError('DW_ERR_INPUT_VALUE', problem.message, { file: source.file, line, field: problem.field });
    if (onError === 'fail') throw error;
    skippedRows++;
    onProblem?.(error);
  }
  if (counter.n === 0) {
    const why = skippedRows === 0 ? 'the input holds no rows' : `no row could be counted (${skippedRows} skipped)`;
    throw new DwError('DW_ERR_INPUT_EMPTY', why, { file: source.file });
  }
  const known = profileColumns(profile);
  if (![...known].some((c) => seen.has(c))) {
    throw new DwError('DW_ERR_INPUT_COLUMNS', `the input has none of the baseline's columns (it has ${[...seen].slice(0, 8).join(', ')}${seen.size > 8 ? ', ...' : ''}; `
      + `the baseline reads ${[...known].slice(0, 8).join(', ')}${known.size > 8 ? ', ...' : ''}): a different file or a different model, not drift`, { file: source.file });
  }
  const excluded = new Set(profile.options.excluded);
  const score = scoreWindow(profile, counter.counts, rule, new PsiThresholdCache(rule), counter.sums);
  return {
    score,
    missingColumns: [...known].filter((c) => !seen.has(c)),
    extraColumns: [...seen].filter((c) => !known.has(c) && !excluded.has(c)),
    skippedRows,
    moments: moments.result(profile.features.length),
    counts: counter.counts,
    ...(tallies === undefined ? {} : { types: tallies.map((t) => (t === undefined ? undefined : { present: t.present, matching: t.matching })) }),
  };
}

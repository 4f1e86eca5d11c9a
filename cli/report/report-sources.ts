import { basename } from 'node:path';
import { loadBaseline } from '../../shared/core/profile/load-baseline.js';
import { parseDriftRule } from '../../shared/core/drift/drift-rule.js';
import { layoutFingerprint } from '../../shared/pipeline/windows/model-windows.js';
import { WindowHistoryStore } from '../../shared/pipeline/state/window-history-store.js';
import { fileRowSource } from '../../shared/offline/input/file-row-source.js';
import { scoreRows } from '../../shared/offline/scoring/score-rows.js';
import { DwError } from '../../shared/platform/errors.js';
import { parseTimeSpec } from '../../shared/platform/time-spec.js';
import { reportModel, type ReportModel } from './report-model.js';
import { openStateReadOnly } from '../state-file.js';
import { problemPrinter, warn } from '../terminal.js';

/** Where a report's windows come from. */
export interface ReportFlags {
  baseline: string;
  current?: string;
  state?: string;
  model?: string;
  since: string;
  until?: string;
  out: string;
  json?: string;
}

/** The report of a `score` run: the file as one window against the baseline. */
export async function fromScore(flags: ReportFlags & { current: string }): Promise<ReportModel> {
  const profile = loadBaseline(flags.baseline);
  const problems = problemPrinter();
  const result = await scoreRows(profile, fileRowSource(flags.current, { onProblem: problems.print }), parseDriftRule({}), 'skip', problems.print);
  problems.finish();
  return reportModel(profile, flags.model ?? basename(flags.current).replace(/\.[a-z.]+$/, ''), `score of ${flags.current}`, [{ startMs: Date.now(), endMs: Date.now(), events: result.score.n, score: result.score, counts: result.counts }], result.moments);
}

/** The report of a model's windows kept in a state file. */
export function fromHistory(flags: ReportFlags & { state: string; model: string }): ReportModel {
  const profile = loadBaseline(flags.baseline);
  const now = Date.now();
  const at = (text: string, field: string): number => {
    const ms = parseTimeSpec(text, now);
    if (typeof ms === 'string') throw new DwError('DW_ERR_USAGE', `${field}: ${ms}`);
    return ms;
  };
  const { db, close } = openStateReadOnly(flags.state);
  let windows;
  try {
    windows = new WindowHistoryStore({ db }).windows({ model: flags.model, sinceMs: at(flags.since, '--since'), untilMs: flags.until === undefined ? undefined : at(flags.until, '--until') });
  } catch (err) {
    throw err instanceof DwError ? err : new DwError('DW_ERR_FILE_READ', `cannot read the window history (${(err as Error).message})`, { file: flags.state });
  } finally {
    close();
  }
  const layout = layoutFingerprint(profile);
  const fitting = windows.filter((w) => w.layout === layout);
  if (fitting.length < windows.length) warn(`${windows.length - fitting.length} window(s) of '${flags.model}' were judged against another baseline (its bins differ from ${flags.baseline}); left out`);
  if (fitting.length === 0) {
    throw new DwError('DW_ERR_USAGE', `no window of model '${flags.model}' ${windows.length > 0 ? `was judged against ${flags.baseline}` : `ended since ${flags.since} in the history`}`, { file: flags.state });
  }
  return reportModel(profile, flags.model, `history of ${flags.state}`, fitting.map((w) => ({ startMs: w.startMs, endMs: w.endMs, events: w.report.events,
    score: w.report.score, counts: w.report.counts, retraining: w.report.retraining, performance: w.report.performance, realised: w.report.realised, segments: w.report.segments })));
}


import { WindowHistoryStore } from '../../shared/pipeline/state/window-history-store.js';
import { DwError } from '../../shared/platform/errors.js';
import { parseTimeSpec } from '../../shared/platform/time-spec.js';
import { openStateReadOnly } from '../state-file.js';

/**
 * `score --format sagemaker --state S --model M [--until T]`: the `constraint_violations.json` of
 * the model's last window in an agent's or collector's history (ending by `until`), as Model
 * Monitor wrote one per execution; returns the exit code (1 with a violation, 0 without).
 */
export function printHistoryViolations(flags: { state?: string; model?: string; until?: string; format?: string; current?: string }): number {
  if (flags.format !== 'sagemaker' || flags.state === undefined || flags.model === undefined || flags.current !== undefined) {
    throw new DwError('DW_ERR_USAGE', '--state reads a window\'s Model Monitor checks: give it with --model and --format sagemaker, and without --current');
  }
  const { state, model } = flags;
  const untilMs = flags.until === undefined ? Date.now() : parseTimeSpec(flags.until, Date.now());
  if (typeof untilMs === 'string') throw new DwError('DW_ERR_USAGE', `--until: ${untilMs}`);
  const { db, close } = openStateReadOnly(state);
  let windows;
  try {
    windows = new WindowHistoryStore({ db }).windows({ model, untilMs });
  } catch (err) {
    throw err instanceof DwError ? err : new DwError('DW_ERR_FILE_READ', `cannot read the window history (${(err as Error).message})`, { file: state });
  } finally {
    close();
  }
  const last = windows.at(-1);
  if (last === undefined) throw new DwError('DW_ERR_USAGE', `no window of model '${model}' in the history of ${state}${flags.until === undefined ? '' : ` ending by ${flags.until}`}`);
  const result = last.report.modelMonitor;
  const span = `${new Date(last.startMs).toISOString()} to ${new Date(last.endMs).toISOString()}`;
  if (result === undefined) throw new DwError('DW_ERR_USAGE', `the window ${span} of '${model}' was judged against a baseline without Model Monitor constraints (driftwatch baseline import --constraints)`);
  process.stderr.write(`driftwatch: window ${span} of '${model}', ${last.report.events} events; not evaluated in a window: ${result.notEvaluated.map((n) => n.split(':')[0]).join(', ')}\n`);
  process.stdout.write(`${JSON.stringify({ violations: result.violations }, null, 2)}\n`);
  return result.violations.length > 0 ? 1 : 0;
}

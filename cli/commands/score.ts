import type { Command } from 'commander';
import { parseDriftRule, type DriftRule } from '../../shared/core/drift/drift-rule.js';
import { scoreRows, type RowsScore } from '../../shared/offline/scoring/score-rows.js';
import type { OnError } from '../../shared/offline/input/input-format.js';
import { fileRowSource } from '../../shared/offline/input/file-row-source.js';
import { loadBaseline } from '../../shared/core/profile/load-baseline.js';
import { profileColumns, type BaselineProfile } from '../../shared/core/profile/baseline-profile.js';
import { constraintViolations } from '../../shared/core/drift/constraint-violations.js';
import { DwError } from '../../shared/platform/errors.js';
import { scoreJson, scoreTable } from '../format/score-report.js';
import { intOption, numberOption, onErrorOption } from '../options.js';
import { problemPrinter, warn } from '../terminal.js';
import { printHistoryViolations } from './score-history.js';

interface ScoreFlags {
  baseline?: string;
  current?: string;
  state?: string;
  model?: string;
  until?: string;
  format?: string;
  inputFormat?: string;
  json?: boolean;
  onError: OnError;
  alpha?: number;
  minEffect?: number;
  effect?: string;
  minEffectW1?: number;
  minCount?: number;
  epsilon?: number;
  minMeanShift?: number;
  correction?: string;
  monteCarloMinExpected?: number;
  monteCarloMaxN?: number;
  monteCarloDraws?: number;
  qualityShare?: number;
  minEffectRate?: number;
}

/** Exit codes of `driftwatch score` (docs/cli.md). */
export const SCORE_EXIT = { noDrift: 0, drift: 1, error: 2, notJudged: 3 } as const;

/** Scores a file against a baseline and reports; returns the exit code (0 no drift, 1 drift, 3 too few rows to judge anything). */
export async function runScore(baselineFile: string, currentFile: string, options: {
  format?: string; json?: boolean; onError?: OnError; rule?: DriftRule; output?: 'sagemaker';
}): Promise<{ exitCode: number; result: RowsScore }> {
  const profile = loadBaseline(baselineFile);
  const rule = options.rule ?? parseDriftRule({});
  const problems = problemPrinter();
  const source = fileRowSource(currentFile, { format: options.format, onError: options.onError, onProblem: problems.print });
  const result = await scoreRows(profile, source, rule, options.onError, problems.print);
  problems.finish();
  for (const column of result.missingColumns) warn(`${currentFile}: lacks baseline column '${column}'; scored as missing (missing rate 1)`);
  if (result.extraColumns.length > 0) warn(`${currentFile}: ignored column(s) the baseline does not know: ${result.extraColumns.join(', ')}`);
  if (result.skippedRows > 0) warn(`${currentFile}: ${result.skippedRows} row(s) skipped for invalid values`);
  if (options.output === 'sagemaker') return { exitCode: printViolations(profile, result, baselineFile), result };
  const context = { profile, moments: result.moments, counts: result.counts };
  process.stdout.write(options.json === true
    ? `${JSON.stringify(scoreJson(result.score, context))}\n`
    : `${scoreTable(result.score, rule, context)}\n`);
  const judged = result.score.features.some((f) => f.status !== 'insufficient_data');
  return { exitCode: result.score.drift ? SCORE_EXIT.drift : judged ? SCORE_EXIT.noDrift : SCORE_EXIT.notJudged, result };
}

/**
 * `--format sagemaker`: the file judged by the baseline's Model Monitor constraints, printed as
 * Model Monitor's `constraint_violations.json`; exit 1 with a violation, 0 without.
 */
function printViolations(profile: BaselineProfile, result: RowsScore, baselineFile: string): number {
  const missing = new Set(result.missingColumns);
  const columns = new Set([...profileColumns(profile)].filter((c) => !missing.has(c)));
  const judged = constraintViolations(profile, result.counts, { columns, extraColumns: result.extraColumns, types: result.types });
  if (judged === undefined) {
    throw new DwError('DW_ERR_BASELINE_OPTIONS', 'the baseline carries no Model Monitor constraints to check (build it with driftwatch baseline import --constraints), '
      + 'or its monitoring_config has evaluate_constraints Disabled', { file: baselineFile });
  }
  process.stdout.write(`${JSON.stringify({ violations: judged.violations }, null, 2)}\n`);
  return judged.violations.length > 0 ? SCORE_EXIT.drift : SCORE_EXIT.noDrift;
}

/** `driftwatch score`. */
export function registerScore(program: Command): void {
  program
    .command('score')
    .description('score a batch of production data against a baseline (exit 0: no drift, 1: drift, 2: error, 3: too few rows to judge)')
    .option('--baseline <file>', 'baseline profile (JSON)')
    .option('--current <file>', 'production data (CSV or JSONL, optionally .gz)')
    .option('--state <file>', 'with --format sagemaker and --model: the last window of an agent\'s or collector\'s history instead of a file')
    .option('--model <name>', 'the model whose window --state reads')
    .option('--until <time>', 'with --state: the last window ending by this time (ISO, or a duration back: 6h)')
    .option('--format <format>', 'sagemaker: print Model Monitor\'s constraint_violations.json (baseline from baseline import --constraints); csv or jsonl: the input\'s format, as --input-format')
    .option('--input-format <format>', 'csv or jsonl (default: from the extension)')
    .option('--json', 'print the scores as JSON')
    .option('--on-error <mode>', 'rows with invalid values: fail or skip', onErrorOption, 'fail')
    .option('--alpha <p>', 'false-alarm rate per window, before the multiple-testing correction', numberOption('--alpha'))
    .option('--min-effect <psi>', 'smallest PSI that counts as drift', numberOption('--min-effect'))
    .option('--effect <criterion>', 'effect criterion of numeric features: psi (PSI >= --min-effect) or wasserstein (W1/sd >= --min-effect-w1)')
    .option('--min-effect-w1 <sd>', 'with --effect wasserstein: smallest binned W1 distance, in baseline standard deviations', numberOption('--min-effect-w1'))
    .option('--min-mean-shift <sd>', 'smallest shift of the mean reconstruction error, in baseline standard deviations, that counts as drift',
      numberOption('--min-mean-shift'))
    .option('--min-count <n>', 'fewest rows to judge drift', intOption('--min-count'))
    .option('--quality-share <s>', 'share of alpha spent on the data-quality tests (missing and out-of-range rates rising); 0 turns them off', numberOption('--quality-share'))
    .option('--min-effect-rate <r>', 'smallest rise of a missing or out-of-range rate that counts (0.05 = five points)', numberOption('--min-effect-rate'))
    .option('--epsilon <e>', 'floor for empty bins in PSI and KL', numberOption('--epsilon'))
    .option('--correction <c>', 'multiple-testing correction: bonferroni or none')
    .option('--monte-carlo-min-expected <k>', 'simulate thresholds while the smallest bin expects fewer rows than this',
      numberOption('--monte-carlo-min-expected'))
    .option('--monte-carlo-max-n <n>', 'never simulate above this many rows', intOption('--monte-carlo-max-n'))
    .option('--monte-carlo-draws <d>', 'simulated windows per threshold (0 = automatic)', intOption('--monte-carlo-draws'))
    .action(async (flags: ScoreFlags, command: Command) => {
      if (flags.state !== undefined || flags.model !== undefined) {
        process.exitCode = printHistoryViolations(flags);
        return;
      }
      if (flags.baseline === undefined || flags.current === undefined) throw new DwError('DW_ERR_USAGE', 'score needs --baseline and --current (or --state, --model and --format sagemaker)');
      const files = { baseline: flags.baseline, current: flags.current };
      const rule = parseDriftRule({
        alpha: flags.alpha,
        minEffectPsi: flags.minEffect,
        effect: flags.effect,
        minEffectWasserstein: flags.minEffectW1,
        minEffectMeanShift: flags.minMeanShift,
        minCount: flags.minCount,
        epsilon: flags.epsilon,
        correction: flags.correction,
        monteCarloMinExpected: flags.monteCarloMinExpected,
        monteCarloMaxN: flags.monteCarloMaxN,
        monteCarloDraws: flags.monteCarloDraws,
        qualityShare: flags.qualityShare,
        minEffectRate: flags.minEffectRate,
      });
      const sagemaker = flags.format === 'sagemaker';
      // Model Monitor's data type check counts values of the wrong type: by default they are counted, not fatal.
      const onError = sagemaker && command.getOptionValueSource('onError') === 'default' ? 'skip' : flags.onError;
      const { exitCode } = await runScore(files.baseline, files.current, {
        ...flags, onError, rule, format: flags.inputFormat ?? (sagemaker ? undefined : flags.format), ...(sagemaker ? { output: 'sagemaker' as const } : {}),
      });
      process.exitCode = exitCode;
    });
}

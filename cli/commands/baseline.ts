import type { Command } from 'commander';
import { buildBaseline } from '../../shared/offline/baseline/build-baseline.js';
import { buildOptionsSchema } from '../../shared/offline/baseline/build-options.js';
import type { OnError } from '../../shared/offline/input/input-format.js';
import { fileRowSource } from '../../shared/offline/input/file-row-source.js';
import { loadBaseline } from '../../shared/core/profile/load-baseline.js';
import { baselineSummary } from '../format/baseline-summary.js';
import { intOption, listOption, numberOption, onErrorOption } from '../options.js';
import { writeJson } from '../write-json.js';
import { readJson } from '../read-json.js';
import { problemPrinter, progressBar, warn } from '../terminal.js';
import { DwError } from '../../shared/platform/errors.js';
import { registerBaselineSql } from './baseline-sql.js';

interface BuildFlags {
  input?: string;
  fromAggregates?: string;
  out: string;
  format?: string;
  columnNames?: string[];
  headerRow: boolean;
  bins: number;
  topK: number;
  categorical: string[];
  numeric: string[];
  exclude: string[];
  confidenceColumn?: string;
  predictionColumn?: string;
  probabilityColumn?: string;
  labelColumn?: string;
  multivariate?: boolean;
  pcaVariance: number;
  fitRows: number;
  embedding: string[];
  embeddingScores: number;
  onError: OnError;
  memoryLimit?: number;
  threads?: number;
}

const PASS_NAMES = { 1: 'sketch', 2: 'count', 3: 'covariance', 4: 'projections, sketch', 5: 'projections, count' } as const;

/** `driftwatch baseline build|inspect`. */
// eslint-disable-next-line max-lines-per-function -- declarative: the flag list of `baseline build` and `baseline inspect`, one line per flag.
export function registerBaseline(program: Command): void {
  const defaults = buildOptionsSchema.parse({});
  const baseline = program.command('baseline').description('build and inspect baseline profiles');

  baseline
    .command('build')
    .description('build a baseline profile from training data (CSV or JSONL, optionally .gz; Parquet; a glob or a hive-partitioned folder)')
    .option('--input <file>', 'training data: a file, a quoted glob (\'data/*.parquet\'), or a folder of Parquet files')
    .option('--from-aggregates <file>', 'instead of --input: the result (CSV or JSON lines) of the statement `driftwatch baseline sql` printed')
    .requiredOption('--out <file>', 'where to write the profile (JSON)')
    .option('--format <format>', 'csv, jsonl or parquet (default: from the extension; parquet for a folder)')
    .option('--column-names <names>', 'comma-separated names of the CSV\'s columns, in order; they replace its header row', listOption)
    .option('--no-header-row', 'the CSV has no header row: its first row is data (needs --column-names)')
    .option('--bins <n>', 'quantile bins per numeric feature', intOption('--bins'), defaults.bins)
    .option('--top-k <n>', 'categories kept per categorical feature', intOption('--top-k'), defaults.topK)
    .option('--categorical <columns>', 'comma-separated columns to treat as categorical', listOption, [])
    .option('--numeric <columns>', 'comma-separated columns to treat as numeric', listOption, [])
    .option('--exclude <columns>', 'comma-separated columns to leave out', listOption, [])
    .option('--confidence-column <column>', 'column with the model confidence (max class probability)')
    .option('--prediction-column <column>', 'column with the predicted class')
    .option('--probability-column <column>', 'column with the class-probability vector')
    .option('--label-column <column>', 'column with the ground truth: the baseline keeps the accuracy per confidence bin, which calibrates the agent\'s label-free accuracy estimate')
    .option('--multivariate', 'fit the multivariate check (PCA reconstruction error); default: on with 3 or more numeric inputs')
    .option('--no-multivariate', 'leave the multivariate check out')
    .option('--pca-variance <share>', 'share of the variance the kept principal components explain', numberOption('--pca-variance'), defaults.pcaVariance)
    .option('--fit-rows <n>', 'rows each half of a projection fit uses at most (beyond, a systematic sample)', intOption('--fit-rows'), defaults.fitRows)
    .option('--embedding <columns>', 'comma-separated columns holding embedding vectors (JSON arrays of numbers)', listOption, [])
    .option('--embedding-scores <n>', 'principal-component scores of each embedding kept as features', intOption('--embedding-scores'), defaults.embeddingScores)
    .option('--on-error <mode>', 'malformed rows: fail or skip', onErrorOption, defaults.onError)
    .option('--memory-limit <MiB>', 'memory the columnar engine may use before it spills to a temporary folder (default: half the machine\'s, 256 MiB to 4 GiB)', intOption('--memory-limit'))
    .option('--threads <n>', 'threads of the columnar engine (default: every core); with 1 the build is repeatable bit for bit', intOption('--threads'))
    .action(async (flags: BuildFlags) => {
      if (flags.fromAggregates !== undefined) {
        if (flags.input !== undefined) throw new DwError('DW_ERR_USAGE', 'give --input or --from-aggregates, not both', { field: 'from-aggregates' });
        if (flags.labelColumn !== undefined) throw new DwError('DW_ERR_USAGE', '--label-column needs the rows (--input): aggregates carry no labels', { field: 'label-column' });
        // Loaded only for this path (as the Model Monitor import below): every build starts sooner.
        const [{ profileFromAggregates }, { readAggregateRows }] = await Promise.all([
          import('../../shared/offline/aggregates/assemble-profile.js'), import('../../shared/offline/aggregates/read-aggregates.js')]);
        const result = profileFromAggregates(readAggregateRows(flags.fromAggregates), flags.fromAggregates, { bins: flags.bins, topK: flags.topK, exclude: flags.exclude });
        result.warnings.forEach(warn);
        writeJson(flags.out, result.profile);
        process.stderr.write(`driftwatch: wrote ${flags.out}: ${result.profile.rowCount} rows, ${result.profile.features.length} features from ${flags.fromAggregates}\n`);
        return;
      }
      if (flags.input === undefined) throw new DwError('DW_ERR_USAGE', 'give the training data: --input <file>, or --from-aggregates <result of baseline sql>', { field: 'input' });
      const input = flags.input;
      const problems = problemPrinter();
      let pass: keyof typeof PASS_NAMES = 1;
      let bar = progressBar(`pass 1 (${PASS_NAMES[1]})`);
      const source = fileRowSource(input, {
        format: flags.format,
        columnNames: flags.columnNames,
        headerRow: flags.headerRow,
        onError: flags.onError,
        onProblem: (p) => {
          if (pass === 1) problems.print(p); // the same rows fail again in pass 2: report once
        },
        onProgress: (done, total) => bar.update(done, total),
      });
      const onPass = (next: keyof typeof PASS_NAMES): void => {
        if (next === pass) return;
        bar.stop();
        pass = next;
        bar = progressBar(`pass ${next} (${PASS_NAMES[next]})`);
      };
      const result = await buildBaseline(source, {
        bins: flags.bins,
        topK: flags.topK,
        categorical: flags.categorical,
        numeric: flags.numeric,
        exclude: flags.exclude,
        confidenceColumn: flags.confidenceColumn,
        predictionColumn: flags.predictionColumn,
        probabilityColumn: flags.probabilityColumn,
        labelColumn: flags.labelColumn,
        multivariate: flags.multivariate,
        pcaVariance: flags.pcaVariance,
        fitRows: flags.fitRows,
        embedding: flags.embedding,
        embeddingScores: flags.embeddingScores,
        onError: flags.onError,
        memoryLimitMiB: flags.memoryLimit,
        threads: flags.threads,
      }, { onPass, onProblem: problems.print }).finally(() => bar.stop());
      problems.finish();
      result.warnings.forEach(warn);
      writeJson(flags.out, result.profile);
      const { profile } = result;
      const projected = profile.projections.map((p) => `${p.name} (${p.components.length} of ${p.dimension} components)`);
      const pca = projected.length > 0 ? `; PCA: ${projected.join(', ')}` : '';
      process.stderr.write(`driftwatch: wrote ${flags.out}: ${profile.rowCount} rows, ${profile.features.length} features${pca}\n`);
    });

  registerBaselineSql(baseline);

  baseline
    .command('import')
    .description('build a baseline from SageMaker Model Monitor\'s baselining output (statistics.json, constraints.json)')
    .requiredOption('--statistics <file>', 'Model Monitor\'s statistics.json')
    .option('--constraints <file>', 'Model Monitor\'s constraints.json: windows are then judged by its checks as well')
    .requiredOption('--out <file>', 'baseline profile to write (JSON)')
    .option('--top-k <n>', 'categories kept per string feature, besides the constraint\'s domain values', intOption('--top-k'), defaults.topK)
    .option('--prediction-column <column>', 'the feature that is the model\'s predicted class')
    .option('--confidence-column <column>', 'the feature that is the model\'s confidence')
    .action(async (flags: { statistics: string; constraints?: string; out: string; topK: number; predictionColumn?: string; confidenceColumn?: string }) => {
      const { importModelMonitor } = await import('../../shared/offline/sagemaker/import-model-monitor.js');
      const { profile, notes } = importModelMonitor(readJson(flags.statistics, 'statistics.json'),
        flags.constraints === undefined ? undefined : readJson(flags.constraints, 'constraints.json'),
        { statistics: flags.statistics, constraints: flags.constraints },
        { topK: flags.topK, predictionColumn: flags.predictionColumn, confidenceColumn: flags.confidenceColumn });
      writeJson(flags.out, profile);
      for (const note of notes) process.stderr.write(`note: ${note}\n`);
      const checks = profile.modelMonitor === undefined ? '' : `; Model Monitor constraints of ${profile.modelMonitor.features.length} features`;
      process.stderr.write(`driftwatch: wrote ${flags.out}: ${profile.rowCount} rows, ${profile.features.length} features from ${flags.statistics}${checks}\n`);
    });

  baseline
    .command('inspect')
    .description('print a readable summary of a baseline profile')
    .argument('<file>', 'baseline profile (JSON)')
    .option('--bins', 'also list every bin with its count')
    .action((file: string, flags: { bins?: boolean }) => {
      process.stdout.write(`${baselineSummary(loadBaseline(file), flags.bins === true)}\n`);
    });
}

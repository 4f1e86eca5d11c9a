import type { Command } from 'commander';
import { buildOptionsSchema } from '../../shared/offline/baseline/build-options.js';
import { profileSql } from '../../shared/offline/aggregates/profile-sql.js';
import { DIALECTS, dialect, type DialectName } from '../../shared/offline/aggregates/sql-dialect.js';
import { DwError } from '../../shared/platform/errors.js';
import { intOption, listOption } from '../options.js';

interface SqlFlags {
  dialect: string;
  table: string;
  numeric: string[];
  categorical: string[];
  confidenceColumn?: string;
  predictionColumn?: string;
  bins: number;
  topK: number;
}

/** `driftwatch baseline sql`: prints the statement that profiles a table where it lives (Spark, Athena, DuckDB). */
export function registerBaselineSql(baseline: Command): void {
  const defaults = buildOptionsSchema.parse({});
  baseline
    .command('sql')
    .description('print the SQL that computes a baseline profile\'s aggregates on a table where it lives (for training sets too large for one host)')
    .requiredOption('--dialect <name>', `the engine that runs it: ${DIALECTS.join(', ')}`)
    .requiredOption('--table <name>', 'the training table (name or database.name)')
    .option('--numeric <columns>', 'comma-separated numeric feature columns', listOption, [])
    .option('--categorical <columns>', 'comma-separated categorical feature columns', listOption, [])
    .option('--confidence-column <column>', 'column with the model confidence (max class probability)')
    .option('--prediction-column <column>', 'column with the predicted class')
    .option('--bins <n>', 'quantile bins per numeric feature', intOption('--bins'), defaults.bins)
    .option('--top-k <n>', 'categories kept per categorical feature', intOption('--top-k'), defaults.topK)
    .action((flags: SqlFlags) => {
      if (!(DIALECTS as readonly string[]).includes(flags.dialect)) {
        throw new DwError('DW_ERR_USAGE', `--dialect must be one of ${DIALECTS.join(', ')}, not '${flags.dialect}'`, { field: 'dialect' });
      }
      const { bins, topK } = buildOptionsSchema.parse({ bins: flags.bins, topK: flags.topK });
      const sql = profileSql({ table: flags.table, numeric: flags.numeric, categorical: flags.categorical, confidenceColumn: flags.confidenceColumn,
        predictionColumn: flags.predictionColumn, bins, topK }, dialect(flags.dialect as DialectName));
      process.stdout.write(`${sql};\n`);
    });
}

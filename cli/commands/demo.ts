import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { buildBaseline } from '../../shared/baseline/build-baseline.js';
import { fileRowSource } from '../../shared/input/file-row-source.js';
import { packageRoot } from '../package-root.js';
import { writeJson } from '../write-json.js';
import { runScore } from './score.js';

/** `driftwatch demo`: build a baseline from the bundled example data and score two batches. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('build a baseline from the bundled loan-approval data and score a stable and a drifted batch')
    .option('--out <dir>', 'where to write the demo baseline', '.driftwatch/demo')
    .action(async (flags: { out: string }) => {
      const examples = join(packageRoot(), 'examples');
      const show = (path: string): string => relative(process.cwd(), path) || path;
      const say = (text: string): void => {
        process.stdout.write(`${text}\n`);
      };

      say(`== 1. Build a baseline from the training data (${show(join(examples, 'loans-train.csv'))})`);
      const { profile } = await buildBaseline(fileRowSource(join(examples, 'loans-train.csv')), {
        exclude: ['application_id'],
        confidenceColumn: 'confidence',
        predictionColumn: 'prediction',
      });
      const baselineFile = join(flags.out, 'loans-baseline.json');
      writeJson(baselineFile, profile);
      say(`   ${profile.rowCount} rows, ${profile.features.length} features -> ${baselineFile}`);
      say(`   (same as: driftwatch baseline build --input examples/loans-train.csv --out ${baselineFile} \\`);
      say('              --exclude application_id --confidence-column confidence --prediction-column prediction)');

      say('\n== 2. Score a production batch that looks like training (examples/loans-stable.csv)\n');
      const stable = await runScore(baselineFile, join(examples, 'loans-stable.csv'), {});
      say(`   exit code ${stable.exitCode}`);

      say('\n== 3. Score a production batch where drift begins part-way (examples/loans-drifted.jsonl)\n');
      const drifted = await runScore(baselineFile, join(examples, 'loans-drifted.jsonl'), {});
      say(`   exit code ${drifted.exitCode}`);
      say(`\nTry: driftwatch baseline inspect ${baselineFile}   or   driftwatch score --baseline ${baselineFile} --current FILE --json`);
    });
}

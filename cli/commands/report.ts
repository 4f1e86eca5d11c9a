import type { Command } from 'commander';
import { DwError } from '../../shared/platform/errors.js';
import { reportHtml } from '../report/report-html.js';
import type { ReportModel } from '../report/report-model.js';
import { fromHistory, fromScore } from '../report/report-sources.js';
import { DEFAULT_STATE } from '../state-file.js';
import { writeJson, writeText } from '../write-json.js';

/**
 * `driftwatch report`: one self-contained HTML page that shows why something drifted, from a
 * `score` run (`--baseline --current`) or from the windows an agent or collector kept (`--state
 * --model --baseline [--since 24h]`).
 */
export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write an HTML drift report (self-contained, works offline) from a file or from the window history')
    .requiredOption('--baseline <file>', 'the baseline profile the windows are judged against')
    .option('--current <file>', 'production data to score (CSV or JSONL): a report of one window')
    .option('--state <file>', `an agent's or collector's state file: a report of its kept windows (default ${DEFAULT_STATE})`)
    .option('--model <name>', 'the model whose windows to show (with --state)')
    .option('--since <time>', 'windows that ended after this: an ISO time or a duration back from now (90m, 6h, 14d)', '24h')
    .option('--until <time>', 'and up to this (same forms)')
    .option('--out <file>', 'the HTML file to write', 'driftwatch-report.html')
    .option('--json <file>', 'also write the report model as JSON (what the page shows, as data)')
    .action(async (flags: { baseline: string; current?: string; state?: string; model?: string; since: string; until?: string; out: string; json?: string }) => {
      if (flags.current !== undefined && flags.state !== undefined) throw new DwError('DW_ERR_USAGE', 'give --current (a file) or --state (the history), not both');
      let model: ReportModel;
      if (flags.current !== undefined) model = await fromScore({ ...flags, current: flags.current });
      else {
        if (flags.model === undefined) throw new DwError('DW_ERR_USAGE', '--model is required with --state (the history holds every model the component judged)');
        model = fromHistory({ ...flags, state: flags.state ?? DEFAULT_STATE, model: flags.model });
      }
      writeText(flags.out, reportHtml(model));
      if (flags.json !== undefined) writeJson(flags.json, model);
      process.stdout.write(`${model.summary}\nwrote ${flags.out}\n`);
    });
}

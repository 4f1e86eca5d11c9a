#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { isDwError } from '../shared/platform/errors.js';
import { registerAgent } from './commands/agent.js';
import { registerAlarms } from './commands/alarms.js';
import { registerAudit } from './commands/audit.js';
import { registerBaseline } from './commands/baseline.js';
import { registerCollector } from './commands/collector.js';
import { registerCost } from './commands/cost.js';
import { registerDemo } from './commands/demo.js';
import { registerHealth } from './commands/health.js';
import { registerEvidence } from './commands/evidence.js';
import { registerReport } from './commands/report.js';
import { registerScore } from './commands/score.js';
import { registerStatus } from './commands/status.js';
import { packageVersion } from '../shared/platform/package-info.js';

/** Exit code for any error, as `diff` does: 0 and 1 are answers, 2 is trouble. */
const EXIT_ERROR = 2;

/** Builds the `driftwatch` command tree. */
export function createProgram(): Command {
  const program = new Command('driftwatch')
    .description('Drift monitoring for on-prem ML inference; ships only aggregates.')
    .version(packageVersion())
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  registerBaseline(program);
  registerScore(program);
  registerReport(program);
  registerEvidence(program);
  registerAgent(program);
  registerCollector(program);
  registerCost(program);
  registerAlarms(program);
  registerAudit(program);
  registerDemo(program);
  registerHealth(program);
  registerStatus(program);
  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await createProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed the message; help and version are not errors.
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_ERROR;
    } else if (isDwError(err)) {
      process.stderr.write(`driftwatch: error: ${err.toLine()}\n`);
      process.exitCode = EXIT_ERROR;
    } else {
      const detail = process.env.DRIFTWATCH_DEBUG ? (err as Error).stack : (err as Error).message;
      process.stderr.write(`driftwatch: internal error: ${detail} (set DRIFTWATCH_DEBUG=1 for a stack trace)\n`);
      process.exitCode = EXIT_ERROR;
    }
  }
}

await main(process.argv);

#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { isDwError } from '../shared/platform/errors.js';
import { packageVersion } from '../shared/platform/package-info.js';

/** Exit code for any error, as `diff` does: 0 and 1 are answers, 2 is trouble. */
const EXIT_ERROR = 2;

type Register = (program: Command) => void;

/**
 * Each command's module, loaded on demand: a run loads only the command it runs (the agent does
 * not load the baseline engine, nor the build the AWS SDK), which keeps start-up time and resident
 * memory to what the command needs. Help and unknown commands load them all.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  baseline: async () => (await import('./commands/baseline.js')).registerBaseline,
  score: async () => (await import('./commands/score.js')).registerScore,
  report: async () => (await import('./commands/report.js')).registerReport,
  evidence: async () => (await import('./commands/evidence.js')).registerEvidence,
  agent: async () => (await import('./commands/agent.js')).registerAgent,
  collector: async () => (await import('./commands/collector.js')).registerCollector,
  cost: async () => (await import('./commands/cost.js')).registerCost,
  alarms: async () => (await import('./commands/alarms.js')).registerAlarms,
  audit: async () => (await import('./commands/audit.js')).registerAudit,
  demo: async () => (await import('./commands/demo.js')).registerDemo,
  health: async () => (await import('./commands/health.js')).registerHealth,
  status: async () => (await import('./commands/status.js')).registerStatus,
};

/** Builds the `driftwatch` command tree: only `command` when it names one, else every command. */
export async function createProgram(command?: string): Promise<Command> {
  const program = new Command('driftwatch')
    .description('Drift monitoring for on-prem ML inference; ships only aggregates.')
    .version(packageVersion())
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  const names = command !== undefined && command in COMMANDS ? [command] : Object.keys(COMMANDS);
  for (const register of await Promise.all(names.map((name) => COMMANDS[name]!()))) register(program);
  for (const c of program.commands) {
    c.exitOverride();
    for (const sub of c.commands) sub.exitOverride();
  }
  return program;
}

async function main(argv: string[]): Promise<void> {
  // The built CLI is a bundle (scripts/bundle-cli.ts): a debugging stack trace names the sources.
  if (process.env.DRIFTWATCH_DEBUG) process.setSourceMapsEnabled(true);
  try {
    await (await createProgram(argv[2])).parseAsync(argv);
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

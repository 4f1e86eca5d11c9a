import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import { LOG_REDACT_PATHS } from './config/redact.js';

const require = createRequire(import.meta.url);

/** A structured logger: JSON lines, or readable lines on a terminal (or when asked). */
export function createLogger(options: { level: string; pretty?: boolean }, stream: NodeJS.WritableStream = process.stdout, component = 'driftwatch-agent'): Logger {
  const readable = options.pretty ?? (stream as { isTTY?: boolean }).isTTY === true;
  const base = { level: options.level, base: { component }, redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' } };
  // Loaded only for terminals: it costs about 10 MiB resident.
  const pretty = readable ? (require('pino-pretty') as typeof PinoPretty) : undefined;
  if (pretty !== undefined) return pino(base, pretty({ colorize: true, destination: stream, ignore: 'pid,hostname,component', translateTime: 'SYS:HH:MM:ss.l' }));
  return pino(base, stream);
}

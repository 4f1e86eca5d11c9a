import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

/** The agent's structured logger: JSON lines, or readable lines on a terminal (or when asked). */
export function createLogger(options: { level: string; pretty?: boolean }, stream: NodeJS.WritableStream = process.stdout): Logger {
  const readable = options.pretty ?? (stream as { isTTY?: boolean }).isTTY === true;
  const base = { level: options.level, base: { component: 'driftwatch-agent' } };
  if (readable) return pino(base, pretty({ colorize: true, destination: stream, ignore: 'pid,hostname,component', translateTime: 'SYS:HH:MM:ss.l' }));
  return pino(base, stream);
}

import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { FailureEvents } from '../../../shared/platform/failure-events.js';
import { SelfMetrics } from '../../../shared/pipeline/telemetry/self-metrics.js';

/** A real pino logger writing JSON lines into an array, and the self-metrics that count. */
function setup(): { failures: FailureEvents; lines: Record<string, unknown>[]; metrics: SelfMetrics } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { for (const l of chunk.toString('utf8').split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>); done(); } });
  const log = pino({ level: 'info' }, sink);
  const metrics = new SelfMetrics({ exportIntervalMs: 60_000, resource: {} }, { backlog: () => [] });
  return { failures: new FailureEvents(log, metrics), lines, metrics };
}

describe('FailureEvents', () => {
  it('logs one structured line with error_type and stage and counts once per event', () => {
    const { failures, lines, metrics } = setup();
    failures.internal('close', new TypeError('boom'), 'Could not close a window.', { model: 'fraud' });
    failures.storeWrite('checkpoint', Object.assign(new Error('disk full'), { code: 'SQLITE_FULL' }), 'Cannot write the state file.');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 50, msg: 'Could not close a window.', error_type: 'internal', stage: 'close', model: 'fraud', err: { message: 'boom', type: 'TypeError' } });
    expect(lines[1]).toMatchObject({ level: 50, error_type: 'store_write', stage: 'checkpoint', err: { code: 'SQLITE_FULL' } });
    expect(metrics.totals.errors).toEqual({ 'close:internal': 1, 'checkpoint:store_write': 1 });
  });

  it('counts a repeated store fault without logging it again', () => {
    const { failures, lines, metrics } = setup();
    failures.storeWrite('close', new Error('disk full'), 'Cannot write the state file.');
    failures.storeWriteRepeated('close');
    failures.storeWriteRepeated('close');
    expect(lines).toHaveLength(1);
    expect(metrics.totals.errors).toEqual({ 'close:store_write': 3 });
  });

  it('logs a retried send failure as a warning and a dead letter as an error', () => {
    const { failures, lines, metrics } = setup();
    failures.sendFailed('throttled', new Error('slow down'), 'The sink is throttling; backing off.', { sink: 'cloudwatch', attempt: 1 });
    failures.sendFailed('rejected', new Error('bad request'), 'The sink refused a window as invalid.', { sink: 'cloudwatch' });
    expect(lines.map((l) => [l.level, l.error_type, l.stage])).toEqual([[40, 'throttled', 'send'], [50, 'rejected', 'send']]);
    expect(metrics.totals.errors).toEqual({ 'send:throttled': 1, 'send:rejected': 1 });
  });

  it('logs a replaced state file without an err key, with where it went', () => {
    const { failures, lines } = setup();
    failures.storeCorrupt('state', 'The state file is damaged; it was moved aside.', { movedTo: '/var/lib/driftwatch/agent.db.corrupt-x' });
    expect(lines[0]).toMatchObject({ error_type: 'store_corrupt', stage: 'state', movedTo: '/var/lib/driftwatch/agent.db.corrupt-x' });
    expect(lines[0]).not.toHaveProperty('err');
  });
});

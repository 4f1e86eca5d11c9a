import { describe, expect, it } from 'vitest';
import { parseEventBody } from '../../../agent/sources/event-body.js';
import { EventIngestor, ingestModel } from '../../../agent/sources/event-ingestor.js';
import { ModelWindows } from '../../../shared/pipeline/windows/model-windows.js';
import { buildBaseline } from '../../../shared/offline/baseline/build-baseline.js';
import { DEFAULT_DRIFT_RULE } from '../../../shared/core/drift/drift-rule.js';
import { arrayRowSource } from '../../../shared/offline/input/row-source.js';

const { profile } = await buildBaseline(arrayRowSource(Array.from({ length: 500 }, (_, i) => ({
  x: i / 10, c: ['a', 'b'][i % 2], score: (i % 100) / 100, label: i % 3 ? 'yes' : 'no',
}))), { confidenceColumn: 'score', predictionColumn: 'label' });
const MINUTE = 60_000;

function setup(clock: 'wall' | 'event', now = 10 * MINUTE) {
  const windows = new ModelWindows('m', profile, MINUTE, DEFAULT_DRIFT_RULE, { m: 3, n: 5 });
  const ingestor = new EventIngestor(new Map([['m', ingestModel(windows, 'reject', ['7', 'canary'])]]), { clock, graceMs: 5000, maxFutureMs: 30_000 }, () => now);
  const send = (...events: unknown[]) => ingestor.ingest(events.map((value, index) => ({ index, value })));
  return { windows, ingestor, send };
}

describe('parseEventBody', () => {
  it('reads a JSON array or one object, and NDJSON line by line', () => {
    expect(parseEventBody('[{"a":1},{"a":2}]', 'json')).toEqual([{ index: 0, value: { a: 1 } }, { index: 1, value: { a: 2 } }]);
    expect(parseEventBody('{"a":1}', 'json')).toEqual([{ index: 0, value: { a: 1 } }]);
    expect(() => parseEventBody('[{"a":', 'json')).toThrow(/malformed JSON body/);
    expect(() => parseEventBody('42', 'json')).toThrow(/array of events/);
    expect(parseEventBody('{"a":1}\n\n{oops\n{"a":3}\n', 'ndjson')).toEqual([
      { index: 0, line: 1, value: { a: 1 } },
      { index: 1, line: 3, error: { reason: 'malformed_json', message: expect.any(String) as string } },
      { index: 2, line: 4, value: { a: 3 } },
    ]);
  });
});

describe('EventIngestor', () => {
  it('maps the prediction onto the baseline’s confidence and label columns', () => {
    const { windows, send } = setup('wall');
    expect(send({ model: 'm', features: { x: 1, c: 'a' }, prediction: { confidence: 0.9, label: 'yes' } }).accepted).toBe(1);
    const [w] = windows.windows();
    const scoreIndex = profile.features.findIndex((f) => f.name === 'score');
    const labelIndex = profile.features.findIndex((f) => f.name === 'label');
    const missing = (i: number): number => w!.counter.counts[i]![w!.counter.counts[i]!.length - 1]!;
    expect(missing(scoreIndex)).toBe(0);
    expect(missing(labelIndex)).toBe(0);
  });

  it('accepts events up to the grace period after their window, and refuses later ones', () => {
    const now = 10 * MINUTE + 3000; // 3 s into the window after [9 min, 10 min)
    const { send } = setup('wall', now);
    expect(send({ model: 'm', timestamp: 9 * MINUTE + 100, features: {} }).accepted).toBe(1);
    const late = send({ model: 'm', timestamp: 8 * MINUTE + 100, features: {} });
    expect(late.rejections[0]!.reason).toBe('late_event');
  });

  it('takes only the versions the config lists: they become a dimension that leaves the host', () => {
    const { windows, send } = setup('wall');
    expect(send({ model: 'm', version: 7, features: {} }, { model: 'm', version: 'canary', features: {} }).accepted).toBe(2);
    const refused = send({ model: 'm', version: 'user-4711@example.com', features: {} });
    expect(refused.rejections[0]).toMatchObject({ reason: 'unknown_version', field: 'version' });
    expect(windows.windows().map((w) => w.version).sort()).toEqual(['', '7', 'canary']);
  });

  it('refuses events too far in the future of the wall clock', () => {
    const { send } = setup('wall');
    expect(send({ model: 'm', timestamp: 10 * MINUTE + 20_000, features: {} }).accepted).toBe(1);
    expect(send({ model: 'm', timestamp: 10 * MINUTE + 40_000, features: {} }).rejections[0]!.reason).toBe('future_timestamp');
  });

  it('in event-clock mode, judges lateness by the newest event seen', () => {
    const { ingestor, send } = setup('event', 0);
    expect(send({ model: 'm', timestamp: 100 * MINUTE, features: {} }).accepted).toBe(1);
    expect(ingestor.clockMs()).toBe(100 * MINUTE);
    expect(send({ model: 'm', timestamp: 99 * MINUTE + 59_000, features: {} }).accepted).toBe(1); // within grace
    expect(send({ model: 'm', timestamp: 98 * MINUTE, features: {} }).rejections[0]!.reason).toBe('late_event');
  });

  it('counts refusals against the model’s window, and unknown models apart', () => {
    const { windows, ingestor, send } = setup('wall');
    send({ model: 'm', features: { x: 'text' } }, { model: 'nope' }, 7);
    expect(windows.windows()[0]!.rejected).toEqual({ bad_value: 1 });
    expect(ingestor.unattributed).toEqual({ unknown_model: 1, not_an_object: 1 });
  });

  it('ignores unknown features when the model says so', () => {
    const windows = new ModelWindows('m', profile, MINUTE, DEFAULT_DRIFT_RULE, { m: 3, n: 5 });
    const ingestor = new EventIngestor(new Map([['m', ingestModel(windows, 'ignore')]]), { clock: 'wall', graceMs: 0, maxFutureMs: 0 }, () => 0);
    expect(ingestor.ingest([{ index: 0, value: { model: 'm', features: { x: 1, extra: 'y' } } }]).accepted).toBe(1);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BodyError, parseEventBody } from '../../agent/sources/event-body.js';
import { EventIngestor, ingestModel } from '../../agent/sources/event-ingestor.js';
import { buildBaseline } from '../../shared/offline/baseline/build-baseline.js';
import { DEFAULT_DRIFT_RULE } from '../../shared/core/drift/drift-rule.js';
import { arrayRowSource } from '../../shared/offline/input/row-source.js';
import { REJECT_REASONS } from '../../shared/core/aggregation/reject-reasons.js';
import { ModelWindows } from '../../shared/pipeline/windows/model-windows.js';

/**
 * Hostile input to the event path, property-based: whatever bytes arrive, parsing fails only with
 * a BodyError (a 400), and every event is either counted once or refused once with a known reason
 * and the refusal is counted; nothing throws. Pure logic (no I/O), so an in-memory model is right.
 * The run counts are the "inputs fuzzed" figures in docs/reliability.md.
 */
const RUNS = { bodies: 3000, events: 2000, ndjson: 1000 };

const MINUTE = 60_000;
const NOW = 100 * MINUTE;
const { profile } = await buildBaseline(arrayRowSource(Array.from({ length: 400 }, (_, i) => ({
  x: i / 10, c: ['a', 'b', 'c'][i % 3], score: (i % 100) / 100, label: i % 3 ? 'yes' : 'no',
}))), { confidenceColumn: 'score', predictionColumn: 'label' });

function model(unknownFeatures: 'reject' | 'ignore') {
  const windows = new ModelWindows('m', profile, MINUTE, DEFAULT_DRIFT_RULE, { m: 3, n: 5 });
  const ingestor = new EventIngestor(new Map([['m', ingestModel(windows, unknownFeatures, ['7', 'canary'])]]), { clock: 'wall', graceMs: 5000, maxFutureMs: 30_000 }, () => NOW);
  return { windows, ingestor };
}

/** Keys that have tripped JavaScript parsers before, beside the real ones. */
const key = fc.oneof(
  fc.constantFrom('x', 'c', 'score', 'label', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '', 'x '),
  fc.string({ maxLength: 8 }),
);
const anyJson = fc.jsonValue({ maxDepth: 3 });
const scalar = fc.oneof(
  fc.double(), fc.integer(), fc.string({ maxLength: 6 }), fc.boolean(), fc.constant(null),
  fc.constantFrom(1e308, -0, Number.MAX_SAFE_INTEGER + 2, '1e999', 'NaN', 'Infinity', '0x10', ' 3 '),
);
/** Events shaped like the real thing, with any field swapped for something odd. */
const eventLike = fc.record({
  model: fc.oneof(fc.constant('m'), fc.constant('m'), fc.constant(''), fc.string({ maxLength: 4 }), anyJson),
  version: fc.oneof(fc.constant(undefined), fc.constantFrom('7', 7, 'canary', '', 'user@example.com', 'x'.repeat(300)), anyJson),
  timestamp: fc.oneof(
    fc.constant(undefined), fc.integer({ min: NOW - 5 * MINUTE, max: NOW + 2 * MINUTE }),
    fc.date({ noInvalidDate: false }).map((d) => (Number.isNaN(d.getTime()) ? 'not a date' : d.toISOString())), anyJson,
  ),
  features: fc.oneof(
    fc.dictionary(key, scalar, { maxKeys: 6 }),
    // Only the baseline's features, with any values: reaches the value checks.
    fc.record({ x: scalar, c: fc.oneof(scalar, anyJson), score: scalar, label: fc.oneof(scalar, anyJson) }, { requiredKeys: [] }),
    anyJson,
  ),
  prediction: fc.oneof(
    fc.constant(undefined),
    fc.record({ confidence: scalar, label: fc.oneof(scalar, anyJson), probabilities: fc.oneof(fc.array(scalar, { maxLength: 3 }), anyJson) }, { requiredKeys: [] }),
    anyJson,
  ),
  id: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 8 }), fc.integer(), fc.constant('i'.repeat(257)), anyJson),
}, { requiredKeys: [] });

/** Counted events, refusals by reason in the windows, and refusals nobody owns. */
function tally(windows: ModelWindows, ingestor: EventIngestor): { counted: number; refused: number } {
  let counted = 0;
  let refused = 0;
  for (const w of windows.windows()) {
    counted += w.counter.n;
    refused += Object.values(w.rejected).reduce((a, b) => a + b, 0);
  }
  refused += Object.values(ingestor.unattributed).reduce((a, b) => a + (b ?? 0), 0);
  return { counted, refused };
}

describe('hostile event bodies', () => {
  it('any body either parses or fails with a BodyError; NDJSON items match their non-blank lines', () => {
    fc.assert(fc.property(
      fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.json({ maxDepth: 3 }), fc.json().map((j) => j.slice(0, Math.floor(j.length / 2)))),
      fc.constantFrom('json', 'ndjson'),
      (body, kind) => {
        let items;
        try {
          items = parseEventBody(body, kind);
        } catch (err) {
          expect(err).toBeInstanceOf(BodyError);
          expect(kind).toBe('json');
          return;
        }
        if (kind === 'ndjson') expect(items.length).toBe(body.split('\n').filter((l) => l.trim() !== '').length);
        items.forEach((item, i) => expect(item.index).toBe(i));
      },
    ), { numRuns: RUNS.bodies });
  });

  it('NDJSON: good lines count whatever the bad lines around them hold', () => {
    fc.assert(fc.property(fc.array(fc.oneof(eventLike.map((e) => JSON.stringify(e)), fc.string({ maxLength: 30 }).map((s) => s.replace(/\n/g, ' '))), { maxLength: 20 }), (lines) => {
      const items = parseEventBody(lines.join('\n'), 'ndjson');
      const expected = lines.filter((l) => l.trim() !== '').map((l) => { try { return { value: JSON.parse(l) as unknown }; } catch { return { bad: true }; } });
      expect(items.map((item) => ('error' in item ? { bad: true } : { value: item.value }))).toEqual(expected);
    }), { numRuns: RUNS.ndjson });
  });

  for (const unknownFeatures of ['reject', 'ignore'] as const) {
    it(`every event is counted once or refused once with a known reason, never a throw (unknownFeatures: ${unknownFeatures})`, () => {
      const reasons = new Set<string>();
      let acceptedTotal = 0;
      fc.assert(fc.property(fc.array(fc.oneof(eventLike, eventLike, anyJson), { maxLength: 30 }), (events) => {
        const { windows, ingestor } = model(unknownFeatures);
        // Through JSON, as the API receives them (drops undefined, turns -0 into 0, NaN into null).
        const items = parseEventBody(JSON.stringify(events), 'json');
        const result = ingestor.ingest(items);
        expect(result.accepted + result.rejections.length).toBe(items.length);
        expect(new Set(result.rejections.map((r) => r.index)).size).toBe(result.rejections.length);
        for (const r of result.rejections) {
          expect(REJECT_REASONS).toContain(r.reason);
          expect(r.message.length).toBeGreaterThan(0);
          expect(r.message.length).toBeLessThan(400);
        }
        expect(tally(windows, ingestor)).toEqual({ counted: result.accepted, refused: result.rejections.length });
        acceptedTotal += result.accepted;
        for (const r of result.rejections) reasons.add(r.reason);
      }), { numRuns: RUNS.events / 2 });
      // The generator reaches both outcomes and nearly every refusal (malformed_json needs NDJSON).
      expect(acceptedTotal).toBeGreaterThan(0);
      // too_deep needs more than 32 levels: the test below.
      expect(REJECT_REASONS.filter((r) => !reasons.has(r))).toEqual(unknownFeatures === 'reject' ? ['malformed_json', 'too_deep'] : ['malformed_json', 'unknown_feature', 'too_deep']);
    });
  }

  it('refuses a value nested 5 000 deep with too_deep and counts the events around it once (issue 16, finding 10)', () => {
    const { windows, ingestor } = model('reject');
    const good = { model: 'm', timestamp: NOW, features: { x: 1, c: 'a' } };
    const deep = `${'['.repeat(5000)}1${']'.repeat(5000)}`;
    for (const [body, kind] of [[`[${JSON.stringify(good)},{"model":"m","features":{"c":${deep}}},${JSON.stringify(good)}]`, 'json'],
      [`${JSON.stringify(good)}\n{"model":"m","prediction":${deep}}\n${JSON.stringify(good)}`, 'ndjson']] as const) {
      const result = ingestor.ingest(parseEventBody(body, kind));
      expect(result.accepted).toBe(2);
      expect(result.rejections).toEqual([expect.objectContaining({ index: 1, reason: 'too_deep', message: 'the event nests deeper than 32 levels' })]);
    }
    expect(tally(windows, ingestor)).toEqual({ counted: 4, refused: 2 });
  });

  it('refuses timestamps outside 1970 … 2100, unknown envelope and prediction keys, and confidences outside 0 … 1 (findings 12, 13)', () => {
    for (const unknownFields of ['reject', 'ignore'] as const) {
      const windows = new ModelWindows('m', profile, MINUTE, DEFAULT_DRIFT_RULE, { m: 3, n: 5 });
      const ingestor = new EventIngestor(new Map([['m', ingestModel(windows, 'reject', [], unknownFields)]]), { clock: 'event', graceMs: 5000, maxFutureMs: 30_000 }, () => NOW);
      const features = { x: 1, c: 'a' };
      const result = ingestor.ingest(parseEventBody(JSON.stringify([
        { model: 'm', timestamp: 1e300, features }, { model: 'm', timestamp: -1, features }, { model: 'm', timestamp: '2100-01-01T00:00:00Z', features },
        { model: 'm', timestamp: NOW, feature: features }, { model: 'm', timestamp: NOW, features, prediction: { lable: 'yes' } },
        { model: 'm', timestamp: NOW, features, prediction: { confidence: 1.7 } }, { model: 'm', timestamp: NOW, features, prediction: { confidence: -0.1 } },
        { model: 'm', timestamp: NOW, features, prediction: { confidence: 1, label: 'yes' } },
      ]), 'json'));
      const strict = unknownFields === 'reject';
      expect(result.rejections.map((r) => [r.index, r.reason, r.field])).toEqual([
        [0, 'bad_timestamp', 'timestamp'], [1, 'bad_timestamp', 'timestamp'], [2, 'bad_timestamp', 'timestamp'],
        ...(strict ? [[3, 'unknown_field', 'feature'], [4, 'unknown_field', 'prediction.lable']] : []),
        [5, 'bad_prediction', 'prediction'], [6, 'bad_prediction', 'prediction'],
      ]);
      expect(result.accepted).toBe(strict ? 1 : 3);
      expect(ingestor.watermarkMs).toBe(NOW);
    }
  });

  it('well-formed events of the baseline are all counted (the property above is not vacuous)', () => {
    const good = fc.record({
      model: fc.constant('m'),
      timestamp: fc.integer({ min: NOW - MINUTE + 1, max: NOW }),
      features: fc.record({ x: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null)), c: fc.string({ maxLength: 3 }) }, { requiredKeys: [] }),
      prediction: fc.record({ confidence: fc.double({ min: 0, max: 1, noNaN: true }), label: fc.constantFrom('yes', 'no') }, { requiredKeys: [] }),
    });
    fc.assert(fc.property(fc.array(good, { maxLength: 20 }), (events) => {
      const { windows, ingestor } = model('reject');
      const result = ingestor.ingest(parseEventBody(JSON.stringify(events), 'json'));
      expect(result.rejections).toEqual([]);
      expect(tally(windows, ingestor).counted).toBe(events.length);
    }), { numRuns: 300 });
  });
});

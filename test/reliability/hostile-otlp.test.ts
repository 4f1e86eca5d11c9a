import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeJson, decodeProtobuf, OtlpDecodeError, type ResourcePoints } from '../../collector/receiver/otlp-request.js';
import { windowContributions, type CollectorModel } from '../../collector/receiver/window-contributions.js';
import { layoutFingerprint } from '../../shared/pipeline/windows/model-windows.js';
import { exampleBaseline } from '../helpers/example-events.js';
import { exampleWindowReport, windowPayload } from '../helpers/window-payloads.js';

/**
 * Hostile OTLP at the collector's decoder, property-based: random bytes, truncated and bit-flipped
 * real requests (encoded by the OpenTelemetry serializers), and real JSON requests with any field
 * swapped for something odd. Decoding fails only with an OtlpDecodeError (a 400); what decodes is
 * checked point by point, and every point ends up merged or refused with a reason, never thrown.
 * Pure logic, no I/O; hostile-http.integration.test.ts sends the same kinds of body to a real
 * collector. The run counts are the "inputs fuzzed" figures in docs/reliability.md.
 */
const RUNS = { random: 3000, flipped: 3000, json: 3000 };
const WINDOW_MS = 60_000;
const NOW = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS;
const profile = await exampleBaseline();
const report = await exampleWindowReport(profile, NOW - 5 * WINDOW_MS, WINDOW_MS);
const protobuf = windowPayload(report, profile, 'pod-1', 'protobuf');
const json = JSON.parse(windowPayload(report, profile, 'pod-1', 'json')) as unknown;
const models = new Map<string, CollectorModel>([['loans', {
  profile, layout: layoutFingerprint(profile), index: new Map(profile.features.map((f, i) => [f.name, i])), versions: new Set(['']),
}]]);
const limits = { windowMs: WINDOW_MS, nowMs: NOW, maxFutureMs: 300_000, maxAgeMs: 336 * 3_600_000, maxCount: 1e12 };

/** Decodes, then checks the points: returns how many were merged, and fails the test on any throw but OtlpDecodeError. */
function receive(decode: () => ResourcePoints[]): { decoded: boolean; merged: number } {
  let batches: ResourcePoints[];
  try {
    batches = decode();
  } catch (err) {
    expect(err).toBeInstanceOf(OtlpDecodeError);
    return { decoded: false, merged: 0 };
  }
  const points = batches.reduce((n, b) => n + b.points.length, 0);
  const { contributions, refusals } = windowContributions(batches, models, limits);
  const merged = contributions.reduce((n, c) => n + c.points, 0);
  expect(merged + refusals.reduce((n, r) => n + r.points, 0)).toBe(points);
  for (const r of refusals) expect(r.message.length).toBeGreaterThan(0);
  return { decoded: true, merged };
}

type Path = (string | number)[];
function paths(value: unknown, prefix: Path = []): Path[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return [prefix, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, Array.isArray(value) ? Number(k) : k]))];
}
const JSON_PATHS = paths(json);

describe('hostile OTLP requests', () => {
  it('the untouched request decodes and merges whole (the properties below are not vacuous)', () => {
    const points = decodeProtobuf(protobuf).reduce((n, b) => n + b.points.length, 0);
    expect(points).toBeGreaterThan(profile.features.length);
    expect(receive(() => decodeProtobuf(protobuf)).merged).toBe(points);
    expect(receive(() => decodeJson(JSON.stringify(json))).merged).toBe(receive(() => decodeProtobuf(protobuf)).merged);
  });

  it('random bytes: decoded or refused with OtlpDecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      receive(() => decodeProtobuf(bytes));
    }), { numRuns: RUNS.random });
  });

  it(`every truncation of a real request (${protobuf.length} prefixes): decoded or refused, never merged in part`, () => {
    for (let n = 0; n < protobuf.length; n++) {
      const { merged } = receive(() => decodeProtobuf(protobuf.subarray(0, n)));
      // A cut request may still decode (protobuf has no length header), but then it lacks points
      // of the window, and a window is merged whole or not at all.
      expect(merged).toBe(0);
    }
  });

  it('bit-flipped and spliced real requests: decoded or refused with OtlpDecodeError', () => {
    const flips = fc.array(fc.tuple(fc.nat({ max: protobuf.length - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 });
    fc.assert(fc.property(flips, fc.uint8Array({ maxLength: 16 }), fc.nat({ max: protobuf.length }), (changes, insert, at) => {
      const bytes = Uint8Array.from(protobuf);
      for (const [i, x] of changes) bytes[i]! ^= x;
      receive(() => decodeProtobuf(bytes));
      receive(() => decodeProtobuf(Buffer.concat([protobuf.subarray(0, at), insert, protobuf.subarray(at)])));
    }), { numRuns: RUNS.flipped });
  });

  it('a real JSON request with any field set to anything: decoded or refused, every point merged or refused', () => {
    const odd = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(-1, 0, 1e308, 2 ** 64, '18446744073709551616', '99999999999999999999', '-5', '1e3', 'NaN', '', [], {}, null),
    );
    let merged = 0;
    fc.assert(fc.property(fc.constantFrom(...JSON_PATHS), odd, (path, value) => {
      const doc = structuredClone(json) as Record<string | number, unknown>;
      let node = doc;
      for (const p of path.slice(0, -1)) node = node[p] as Record<string | number, unknown>;
      if (path.length === 0) return;
      node[path[path.length - 1]!] = value;
      merged += receive(() => decodeJson(JSON.stringify(doc))).merged;
    }), { numRuns: RUNS.json });
    // Some mutations are harmless (an attribute the collector does not read), so some windows merge.
    expect(merged).toBeGreaterThan(0);
  });
});

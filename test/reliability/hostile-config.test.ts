import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAgentConfig, parseAgentConfig } from '../../agent/config/agent-config.js';
import { parseCollectorConfig } from '../../collector/config/collector-config.js';
import { DwError } from '../../shared/platform/errors.js';

/**
 * Hostile configuration, property-based: whatever a config file or the environment holds, loading
 * it either yields a valid config or fails with DW_ERR_CONFIG naming the file and the field (or
 * line), never another exception. Files are real files in a temp folder. The run counts are the
 * "inputs fuzzed" figures in docs/reliability.md.
 */
const RUNS = { mutations: 1500, yaml: 1000, env: 1000 };
const dir = mkdtempSync(join(tmpdir(), 'dw-hostile-config-'));

/** Every section set, so a mutation can land anywhere. */
const FULL_AGENT = {
  site: 'dc1', instanceId: 'pod-1',
  models: [{ name: 'loans', baseline: 'loans.json', versions: ['7'], unknownFeatures: 'ignore' }],
  api: { host: '127.0.0.1', port: 4390, bodyLimitBytes: 65_536, maxConcurrentRequests: 4, maxEventLoopDelayMs: 100, token: 'x'.repeat(16) },
  windows: { seconds: 60, graceSeconds: 5, clock: 'event', maxFutureSeconds: 10, checkpointMs: 500, durability: 'strict' },
  drift: { alpha: 0.01, minEffectPsi: 0.1, minCount: 50 },
  retraining: { m: 2, n: 4 },
  state: { path: 's.db', synchronous: 'FULL', outbox: { maxAgeHours: 24, maxBytes: 2 * 1024 * 1024, sendPerSecond: 5 } },
  sinks: {
    cloudwatch: { namespace: 'Dw', region: 'eu-west-1', endpoint: 'https://monitoring.eu-west-1.amazonaws.com', topFeatures: 3, requestTimeoutMs: 1000 },
    file: { path: 'm.ndjson' }, stdout: false,
    otlp: { endpoint: 'https://c:4318/v1/metrics', protocol: 'http/json', compression: 'none', timeoutMs: 1000, token: 'y'.repeat(16), tls: { ca: 'ca.pem', cert: 'c.pem', key: 'k.pem' } },
  },
  privacy: { minCount: 10, epsilon: 1 },
  audit: { retentionDays: 30, signingKey: 'key.pem' },
  telemetry: { otlpEndpoint: 'http://127.0.0.1:4318/v1/metrics', exportIntervalMs: 5000 },
  log: { level: 'warn', pretty: false },
  shutdown: { deadlineSeconds: 10 },
};
const FULL_COLLECTOR = {
  site: 'dc1',
  models: [{ name: 'loans', baseline: 'loans.json', versions: ['7'] }],
  receiver: { host: '127.0.0.1', port: 4318, token: 'z'.repeat(16), bodyLimitBytes: 65_536, tls: { cert: 'c.pem', key: 'k.pem', clientCa: 'ca.pem' } },
  windows: { seconds: 60, graceSeconds: 30, maxFutureSeconds: 60, maxAgeHours: 48 },
  drift: FULL_AGENT.drift, retraining: FULL_AGENT.retraining, state: FULL_AGENT.state,
  sinks: { cloudwatch: FULL_AGENT.sinks.cloudwatch, file: FULL_AGENT.sinks.file, stdout: true },
  privacy: FULL_AGENT.privacy, audit: FULL_AGENT.audit, telemetry: FULL_AGENT.telemetry, log: FULL_AGENT.log, shutdown: FULL_AGENT.shutdown,
};

type Path = (string | number)[];
/** Every path in a document (objects and arrays alike). */
function paths(value: unknown, prefix: Path = []): Path[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return [prefix, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, Array.isArray(value) ? Number(k) : k]))];
}

type Mutation = { kind: 'set'; value: unknown } | { kind: 'delete' } | { kind: 'extra'; key: string; value: unknown };
/** The document with one mutation applied at `path`. */
function mutate(doc: unknown, path: Path, m: Mutation): unknown {
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  if (path.length === 0) return m.kind === 'set' ? m.value : m.kind === 'delete' ? undefined : { ...copy, [m.key]: m.value };
  let node = copy;
  for (const p of path.slice(0, -1)) node = node[p] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (m.kind === 'set') node[last] = m.value;
  else if (m.kind === 'delete') delete node[last];
  else {
    const target = node[last];
    if (typeof target === 'object' && target !== null && !Array.isArray(target)) (target as Record<string, unknown>)[m.key] = m.value;
    else node[last] = m.value;
  }
  return copy;
}

const odd = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(-1, 0, 1e308, -0, 0.5, 65_536, 2 ** 53, '', ' ', '0', 'true', 'null', '../../etc/passwd', '0.0.0.0', '::', 'http://', '\u0000', 'x'.repeat(300)),
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  odd.map((value) => ({ kind: 'set' as const, value })),
  fc.constant({ kind: 'delete' as const }),
  fc.tuple(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor')), odd).map(([key, value]) => ({ kind: 'extra' as const, key, value })),
);

/** Runs a config parse; returns the DwError it threw, undefined on success, and fails on any other throw. */
function configError(parse: () => unknown): DwError | undefined {
  try {
    parse();
    return undefined;
  } catch (err) {
    if (!(err instanceof DwError)) throw new Error(`not a DwError: ${String(err)}`, { cause: err });
    return err;
  }
}

describe('hostile configuration', () => {
  it('the full documents are valid (so each mutation is the only fault)', () => {
    expect(configError(() => parseAgentConfig(FULL_AGENT, dir))).toBeUndefined();
    expect(configError(() => parseCollectorConfig(FULL_COLLECTOR, dir))).toBeUndefined();
  });

  for (const [name, doc, parse] of [
    ['agent', FULL_AGENT, parseAgentConfig],
    ['collector', FULL_COLLECTOR, parseCollectorConfig],
  ] as const) {
    it(`${name}: any value set, removed or added anywhere is accepted or refused with DW_ERR_CONFIG naming the field`, () => {
      const all = paths(doc);
      let refused = 0;
      fc.assert(fc.property(fc.constantFrom(...all), mutation, (path, m) => {
        const err = configError(() => parse(mutate(doc, path, m), dir, 'driftwatch.yaml'));
        if (err === undefined) return;
        refused++;
        expect(err.code).toBe('DW_ERR_CONFIG');
        expect(err.location.file).toBe('driftwatch.yaml');
        // The message leads with the field it names; a whole-document fault names none.
        const field = err.location.field;
        if (field !== undefined) expect(err.message.startsWith(`${field}: `)).toBe(true);
        else expect(err.message.length).toBeGreaterThan(0);
      }), { numRuns: RUNS.mutations / 2 });
      expect(refused).toBeGreaterThan(RUNS.mutations / 8);
    });
  }

  it('a field set to a wrong type is refused and named by its own path', () => {
    const leaves = paths(FULL_AGENT).filter((p) => typeof p[p.length - 1] === 'string' && typeof p.reduce<unknown>((n, k) => (n as Record<string | number, unknown>)[k], FULL_AGENT) !== 'object');
    fc.assert(fc.property(fc.constantFrom(...leaves), (path) => {
      const err = configError(() => parseAgentConfig(mutate(FULL_AGENT, path, { kind: 'set', value: { nested: [1] } }), dir, 'driftwatch.yaml'));
      expect(err?.location.field).toBe(path.join('.'));
    }), { numRuns: 200 });
  });

  it('any YAML text in the file loads or fails with DW_ERR_CONFIG naming the file', () => {
    const file = join(dir, 'driftwatch.yaml');
    const line = fc.oneof(
      fc.constantFrom('models:', '  - name: loans', '    baseline: loans.json', 'windows:', '  seconds: 60', 'api: {port: 1}', '\tport: 2',
        'a: &x [*x]', 'b: *nope', '<<: *x', '!!binary aGk=', 'c: !!js/function "f"', '---', '...', '? complex', '- - -', '"unterminated', 'key: |', '  block', '%YAML 1.1'),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
      writeFileSync(file, lines.join('\n'));
      const err = configError(() => loadAgentConfig(file, {}));
      if (err === undefined) return;
      expect(err.code).toBe('DW_ERR_CONFIG');
      expect(err.location.file).toBe(file);
    }), { numRuns: RUNS.yaml });
  });

  it('an alias bomb is refused, not expanded', () => {
    const file = join(dir, 'bomb.yaml');
    const levels = Array.from({ length: 12 }, (_, i) => `l${i + 1}: [${Array(9).fill(`*l${i}`).join(', ')}]`);
    writeFileSync(file, ['l0: &l0 [lol]', ...levels.map((l, i) => l.replace(':', `: &l${i + 1}`))].join('\n'));
    const err = configError(() => loadAgentConfig(file, {}));
    expect(err?.code).toBe('DW_ERR_CONFIG');
  });

  it('a YAML tag the loader does not know is refused with its line, not taken as a string', () => {
    const file = join(dir, 'tag.yaml');
    writeFileSync(file, 'models:\n  - name: !!js/function "f"\n    baseline: loans.json\n');
    const err = configError(() => loadAgentConfig(file, {}));
    expect(err?.code).toBe('DW_ERR_CONFIG');
    expect(err?.message).toMatch(/invalid YAML: .*tag/i);
    expect(err?.location.line).toBe(2);
  });

  it('any DRIFTWATCH_* environment override loads or fails with DW_ERR_CONFIG naming the variable or field', () => {
    const file = join(dir, 'env.yaml');
    writeFileSync(file, JSON.stringify({ models: [{ name: 'loans', baseline: 'loans.json' }] }));
    const segment = fc.oneof(fc.constantFrom('API', 'PORT', 'WINDOWS', 'SECONDS', 'MODELS', 'SINKS', 'FILE', 'PATH', 'STATE', 'OUTBOX', 'MAX_BYTES', '', '__PROTO__', 'CONSTRUCTOR'), fc.stringMatching(/^[A-Z_]{1,6}$/));
    const name = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => `DRIFTWATCH_${s.join('__')}`);
    const value = fc.oneof(fc.constantFrom('60', '-1', 'true', '{a: 1}', '[1, 2]', '', '&a *a', '"'), fc.string({ maxLength: 12 }));
    fc.assert(fc.property(fc.dictionary(name, value, { maxKeys: 3 }), (env) => {
      const err = configError(() => loadAgentConfig(file, env));
      if (err === undefined) return;
      expect(err.code).toBe('DW_ERR_CONFIG');
      expect(err.location.field ?? err.location.file).toBeDefined();
    }), { numRuns: RUNS.env });
  });
});

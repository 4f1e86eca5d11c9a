import { describe, expect, it } from 'vitest';
import { applyEnvOverrides, insecureSettings, isLoopback, parseAgentConfig } from '../../../agent/config/agent-config.js';

describe('parseAgentConfig', () => {
  it('fills sensible defaults around a three-line config and resolves paths against the config folder', () => {
    const config = parseAgentConfig({ models: [{ name: 'loans', baseline: 'loans.json' }] }, '/etc/driftwatch');
    expect(config.models[0]).toEqual({ name: 'loans', baseline: '/etc/driftwatch/loans.json', unknownFeatures: 'reject', unknownFields: 'reject', versions: [] });
    expect(config.api).toMatchObject({ host: '127.0.0.1', port: 4390 });
    expect(config.windows).toMatchObject({ seconds: 300, checkpointMs: 1000, clock: 'wall' });
    expect(config.drift).toMatchObject({ alpha: 0.01, minEffectPsi: 0.1, minCount: 50 });
    expect(config.retraining).toEqual({ m: 3, n: 5 });
    expect(config.state.path).toBe('/etc/driftwatch/.driftwatch/agent.db');
    expect(Object.isFrozen(config.windows)).toBe(true);
  });

  const error = (doc: unknown): string => {
    try {
      parseAgentConfig(doc, '/x');
    } catch (err) {
      return (err as Error).message;
    }
    return 'no error';
  };

  it('reads the fleet sink: protocol and compression defaults, TLS paths resolved, cert and key together', () => {
    const models = [{ name: 'loans', baseline: 'b.json' }];
    const config = parseAgentConfig({ models, sinks: { otlp: { endpoint: 'https://c:4318/v1/metrics', tls: { ca: 'ca.pem' } } } }, '/etc/dw');
    expect(config.sinks.otlp).toMatchObject({ protocol: 'http/protobuf', compression: 'gzip', timeoutMs: 10_000, tls: { ca: '/etc/dw/ca.pem' } });
    expect(error({ models, sinks: { otlp: { endpoint: 'https://c/v1/metrics', tls: { cert: 'a.pem' } } } })).toMatch(/^sinks\.otlp\.tls: cert and key go together/);
    expect(error({ models, sinks: { otlp: { endpoint: 'not a url' } } })).toMatch(/^sinks\.otlp\.endpoint: /);
  });

  it('takes an effect criterion for the drift rule and per model, and names a wrong one', () => {
    const config = parseAgentConfig({ drift: { effect: 'wasserstein' }, models: [{ name: 'loans', baseline: 'b.json', effect: 'psi' }, { name: 'churn', baseline: 'c.json' }] }, '/x');
    expect(config.drift).toMatchObject({ effect: 'wasserstein', minEffectWasserstein: 0.1 });
    expect(config.models.map((m) => m.effect)).toEqual(['psi', undefined]);
    expect(error({ models: [{ name: 'loans', baseline: 'b.json', effect: 'ks' }] })).toMatch(/^models\.0\.effect: /);
    expect(error({ models: [{ name: 'loans', baseline: 'b.json' }], drift: { effect: 'ks' } })).toMatch(/^drift\.effect: /);
  });

  it('takes labels, performance and segments with their defaults, and refuses them where they cannot work', () => {
    const models = [{ name: 'loans', baseline: 'b.json', segments: { feature: 'region' } }];
    const config = parseAgentConfig({ models, labels: {} }, '/x');
    expect(config.labels).toEqual({ maxAgeDays: 30, maxBytes: 256 * 1024 * 1024, minLabels: 50, shipSeconds: 10 });
    expect(config.performance).toEqual({ maxDrop: 0.05, retrain: true });
    expect(config.models[0]!.segments).toEqual({ feature: 'region', topK: 5 });
    expect(parseAgentConfig({ models: [{ name: 'loans', baseline: 'b.json' }] }, '/x').labels).toBeUndefined();
    const otlp = { otlp: { endpoint: 'http://127.0.0.1:4318/v1/metrics' } };
    expect(error({ models: [{ name: 'loans', baseline: 'b.json' }], labels: {}, sinks: otlp })).toMatch(/^labels: .*fleet mode/);
    expect(error({ models, sinks: otlp })).toMatch(/^models\.0\.segments: .*fleet mode/);
    expect(error({ models, privacy: { epsilon: 1 } })).toMatch(/^models\.0\.segments: .*privacy noise/);
    expect(error({ models: [{ name: 'loans', baseline: 'b.json', segments: { feature: 'region', topK: 21 } }] })).toMatch(/^models\.0\.segments\.topK: /);
    expect(error({ models, labels: { maxAgeDays: 0 } })).toMatch(/^labels\.maxAgeDays: /);
    expect(error({ models, performance: { maxDrop: 2 } })).toMatch(/^performance\.maxDrop: /);
  });

  it('names the path of every problem', () => {
    const models = [{ name: 'loans', baseline: 'b.json' }];
    expect(error({})).toMatch(/^models: /);
    expect(error({ models, windows: { seconds: 5 } })).toMatch(/^windows\.seconds: /);
    expect(error({ models, windows: { seconds: 10, checkpointMs: 20_000 } })).toMatch(/^windows\.checkpointMs: must be ≤ windows\.seconds/);
    expect(error({ models, drift: { alpha: 0 } })).toMatch(/^drift\.alpha: /);
    expect(error({ models: [...models, ...models] })).toMatch(/^models\.1\.name: duplicate model 'loans'/);
    expect(error({ models, sinks: { kafka: {} } })).toMatch(/^sinks: .*kafka/);
    expect(error({ models: [{ name: 'bad\nname', baseline: 'b' }] })).toMatch(/^models\.0\.name: /);
  });

  it('listens off loopback only with an explicit flag and a token', () => {
    const models = [{ name: 'loans', baseline: 'b.json' }];
    expect(error({ models, api: { host: '0.0.0.0' } })).toMatch(/api\.host: '0\.0\.0\.0' is not loopback/);
    expect(error({ models, api: { host: '0.0.0.0', allowNonLoopback: true } })).toMatch(/api\.token: is required/);
    expect(error({ models, api: { host: '127.0.0.2' } })).toBe('no error');
  });

  it('keeps a token off the network in clear text: TLS off loopback, https to a collector off loopback, unless insecure is named (issue 16, finding 9)', () => {
    const models = [{ name: 'loans', baseline: 'b.json' }];
    const token = 'x'.repeat(32);
    const open = { host: '0.0.0.0', allowNonLoopback: true, token };
    expect(error({ models, api: open })).toMatch(/^api\.tls: is required off loopback: the token would cross the network in clear text \(set api\.insecure: true/);
    expect(error({ models, api: { ...open, tls: { cert: 'c.pem', key: 'k.pem' } } })).toBe('no error');
    expect(error({ models, api: { ...open, insecure: true } })).toBe('no error');
    const otlp = (endpoint: string, extra: Record<string, unknown> = {}): string => error({ models, sinks: { otlp: { endpoint, token, ...extra } } });
    expect(otlp('http://collector.inference:4318/v1/metrics')).toMatch(/^sinks\.otlp\.endpoint: sends the token in clear text to collector\.inference:4318: use https:\/\//);
    expect(otlp('http://10.0.0.7:4318/v1/metrics')).toMatch(/clear text/);
    expect(otlp('https://collector.inference:4318/v1/metrics')).toBe('no error');
    expect(otlp('http://127.0.0.1:4318/v1/metrics')).toBe('no error');
    expect(otlp('http://[::1]:4318/v1/metrics')).toBe('no error');
    expect(otlp('http://collector.inference:4318/v1/metrics', { insecure: true })).toBe('no error');
    expect(error({ models, sinks: { otlp: { endpoint: 'http://collector.inference:4318/v1/metrics' } } })).toBe('no error'); // no token to leak
    const insecure = parseAgentConfig({ models, api: { ...open, insecure: true }, sinks: { otlp: { endpoint: 'http://c.example:4318/v1/metrics', token, insecure: true } } }, '/');
    expect(insecureSettings(insecure).map((s) => s.field)).toEqual(['api.insecure', 'sinks.otlp.insecure']);
  });
});

describe('applyEnvOverrides', () => {
  it('maps DRIFTWATCH_A__B_C to a.bC with YAML scalars', () => {
    const doc = applyEnvOverrides({ models: [], windows: { seconds: 300 } }, {
      DRIFTWATCH_WINDOWS__SECONDS: '60', DRIFTWATCH_API__ALLOW_NON_LOOPBACK: 'true', DRIFTWATCH_SITE: 'dc-1', OTHER: 'x', DRIFTWATCH_DEBUG: '1',
    });
    expect(doc).toEqual({ models: [], windows: { seconds: 60 }, api: { allowNonLoopback: true }, site: 'dc-1' });
  });
  it('refuses to descend into a value that is not a section', () => {
    expect(() => applyEnvOverrides({ site: 'a' }, { DRIFTWATCH_SITE__X: '1' })).toThrow(/DRIFTWATCH_SITE__X/);
  });
});

describe('isLoopback', () => {
  it('knows loopback from the rest', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '10.0.0.1', '::', '192.168.1.1', 'example.com'].some(isLoopback)).toBe(false);
  });
});

describe('sources.oip', () => {
  const models = [{ name: 'loans', baseline: 'b.json' }];
  const oip = (extra: Record<string, unknown>): Record<string, unknown> => ({ oip: { upstream: 'http://127.0.0.1:8080', models: [{ name: 'loans', inputs: [{ tensor: 'x', feature: 'age' }] }], ...extra } });
  it('forwards only to a server on this host, for configured models', () => {
    expect(() => parseAgentConfig({ models, sources: oip({}) }, '/')).not.toThrow();
    expect(() => parseAgentConfig({ models, sources: oip({ upstream: 'http://[::1]:8080' }) }, '/')).not.toThrow();
    expect(() => parseAgentConfig({ models, sources: oip({ upstream: 'http://inference.example:8080' }) }, '/')).toThrow(/sources\.oip\.upstream: must be on this host \(loopback\)/);
    expect(() => parseAgentConfig({ models, sources: oip({ models: [{ name: 'fraud', inputs: [{ tensor: 'x', feature: 'age' }] }] }) }, '/'))
      .toThrow(/sources\.oip\.models\.0\.name: 'fraud' is not one of models\[\]\.name/);
  });
});

describe('sources.openai', () => {
  const models = [{ name: 'llm', baseline: 'b.json' }];
  const openai = (extra: Record<string, unknown>): Record<string, unknown> => ({ openai: { upstream: 'http://127.0.0.1:8000', model: 'llm', ...extra } });
  it('asks for log-probabilities and embeddings only as configured, of servers on this host', () => {
    expect(parseAgentConfig({ models, sources: openai({}) }, '/').sources.openai).toMatchObject({ port: 8083, timingSignals: true });
    expect(parseAgentConfig({ models, sources: openai({}) }, '/').sources.openai).not.toHaveProperty('requestLogprobs');
    expect(parseAgentConfig({ models, sources: openai({ promptEmbedding: { sampleRate: 0.1 } }) }, '/').sources.openai!.promptEmbedding)
      .toEqual({ sampleRate: 0.1, maxInputChars: 8000, timeoutMs: 10_000, maxInFlight: 2 });
    expect(() => parseAgentConfig({ models, sources: openai({ requestLogprobs: 21 }) }, '/')).toThrow(/sources\.openai\.requestLogprobs/);
    expect(() => parseAgentConfig({ models, sources: openai({ promptEmbedding: { sampleRate: 0 } }) }, '/')).toThrow(/sources\.openai\.promptEmbedding\.sampleRate/);
    expect(() => parseAgentConfig({ models, sources: openai({ promptEmbedding: { sampleRate: 0.5, upstream: 'http://embed.example:8001' } }) }, '/'))
      .toThrow(/sources\.openai\.promptEmbedding\.upstream: must be on this host \(loopback\)/);
    expect(() => parseAgentConfig({ models, sources: openai({ promptEmbedding: { sampleRate: 0.5, rate: 1 } }) }, '/')).toThrow(/rate/);
    expect(() => parseAgentConfig({ models, sources: openai({ model: 'chat' }) }, '/')).toThrow(/sources\.openai\.model: 'chat' is not one of models\[\]\.name/);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { collectorConfigSchema } from '../../collector/config/collector-config.js';
import { OTLP_ATTRIBUTES, OTLP_METRICS } from '../../shared/pipeline/egress/otlp-names.js';
import { SELF_METRIC_NAMES } from '../../shared/pipeline/egress/self-metric-names.js';
import { ROOT } from '../helpers/run-cli.js';

/**
 * The OpenTelemetry Collector configs (deploy/otel-collector/), parsed and checked the way the
 * collector checks them (every pipeline names defined components, every extension in use is
 * enabled) and against the product: the ADOT edge splits windows from self-telemetry by the
 * product's real metric names and never batches windows; the routing tier hashes the model
 * attribute the agents really send; the relay reaches the port the driftwatch collector listens on.
 */
type Obj = Record<string, unknown>;
interface CollectorConfig {
  extensions?: Record<string, Obj | null>;
  receivers: Record<string, Obj>;
  processors?: Record<string, Obj>;
  exporters: Record<string, Obj>;
  service: { extensions?: string[]; pipelines: Record<string, { receivers: string[]; processors?: string[]; exporters: string[] }> };
}
const load = (name: string): CollectorConfig => parse(readFileSync(join(ROOT, 'deploy', 'otel-collector', name), 'utf8')) as CollectorConfig;
const FILES = ['adot-edge.yaml', 'load-balancer.yaml', 'relay.yaml'];

/** Whether a filter processor's OTTL condition `[not ]IsMatch(name, "...")` drops a metric of this name. */
function drops(condition: string, name: string): boolean {
  const literal = /IsMatch\(name, "((?:[^"\\]|\\.)*)"\)/.exec(condition)![1]!;
  const matches = new RegExp(literal.replace(/\\\\/g, '\\')).test(name);
  return condition.trim().startsWith('not ') ? !matches : matches;
}

describe('OpenTelemetry Collector configs', () => {
  for (const file of FILES) {
    it(`${file}: every pipeline names defined components, and every extension in use is enabled`, () => {
      const c = load(file);
      for (const [name, p] of Object.entries(c.service.pipelines)) {
        expect(name.split('/')[0]).toBe('metrics');
        for (const r of p.receivers) expect(c.receivers, `${file} ${name}`).toHaveProperty([r]);
        for (const x of p.processors ?? []) expect(c.processors ?? {}, `${file} ${name}`).toHaveProperty([x]);
        for (const e of p.exporters) expect(c.exporters, `${file} ${name}`).toHaveProperty([e]);
      }
      for (const e of c.service.extensions ?? []) expect(c.extensions ?? {}, file).toHaveProperty([e]);
      const storages = Object.values(c.exporters).map((e) => (e.sending_queue as { storage?: string } | undefined)?.storage).filter((s) => s !== undefined);
      for (const s of storages) expect(c.service.extensions ?? []).toContain(s);
    });
  }

  it('adot-edge: windows and self-telemetry are split by the product metric names; windows are never batched and never given up', () => {
    const c = load('adot-edge.yaml');
    const condition = (filter: string): string => ((c.processors![filter]!.metrics as Obj).metric as string[])[0]!;
    for (const name of Object.values(OTLP_METRICS)) {
      expect(drops(condition('filter/windows'), name), name).toBe(false);
      expect(drops(condition('filter/telemetry'), name), name).toBe(true);
    }
    for (const name of SELF_METRIC_NAMES) {
      expect(drops(condition('filter/windows'), name), name).toBe(true);
      expect(drops(condition('filter/telemetry'), name), name).toBe(false);
    }
    const windows = c.service.pipelines['metrics/windows']!;
    expect(windows.processors!.some((p) => p.startsWith('batch'))).toBe(false);
    expect(windows.exporters).toEqual(['otlphttp/driftwatch']);
    const exporter = c.exporters['otlphttp/driftwatch']!;
    // otlphttp appends /v1/metrics itself: the endpoint is the collector's base URL.
    expect(new URL(exporter.endpoint as string).pathname).toBe('/');
    expect(exporter.retry_on_failure).toMatchObject({ enabled: true, max_elapsed_time: 0 });
    expect(exporter.sending_queue).toMatchObject({ enabled: true, storage: 'file_storage' });
    expect((c.receivers.otlp!.protocols as { http: { tls: Obj } }).http.tls).toHaveProperty('client_ca_file');
  });

  it('load-balancer and relay: route by the model attribute the agents send, over gRPC, to a relay that reaches the collector port', () => {
    const lb = load('load-balancer.yaml');
    const exporter = lb.exporters.loadbalancing!;
    expect(exporter.routing_key).toBe('attributes');
    expect(exporter.routing_attributes).toEqual([OTLP_ATTRIBUTES.model]);
    const ports = ((exporter.resolver as { k8s: { ports: number[] } }).k8s).ports;
    const relay = load('relay.yaml');
    const grpc = (relay.receivers.otlp!.protocols as { grpc: { endpoint: string } }).grpc.endpoint;
    expect(ports).toEqual([Number(grpc.split(':').at(-1))]);
    const target = new URL(relay.exporters['otlphttp/driftwatch']!.endpoint as string);
    expect(target.hostname).toBe('127.0.0.1');
    expect(Number(target.port)).toBe(collectorConfigSchema.parse({ models: [{ name: 'm', baseline: 'b.json' }] }).receiver.port);
    expect(relay.exporters['otlphttp/driftwatch']!.headers).toHaveProperty('Authorization');
  });
});

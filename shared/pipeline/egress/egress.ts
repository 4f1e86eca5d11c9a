import { readFileSync } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CloudWatchClient, MetricAlarm, PutMetricAlarmInput, PutMetricDataCommand, PutMetricDataInput } from '@aws-sdk/client-cloudwatch';
import type * as CloudWatchSdk from '@aws-sdk/client-cloudwatch';
import type { Attributes } from '@opentelemetry/api';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Logger } from 'pino';
import { DwError } from '../../platform/errors.js';
import type { AuditAppender, AuditRecord } from '../records/audit-record.js';
import type { EgressAllowlist } from './egress-allowlist.js';
import { filesFingerprint } from '../../platform/http/tls-files.js';
import { proxyFor, redactProxy } from './proxy.js';
import { emfLines } from './emf-format.js';
import { PrometheusExposition, type SelfSnapshot } from './prometheus-exposition.js';

/** A payload the allowlist refused: it was not sent, and never will be. */
export class EgressRefusedError extends DwError {
  override readonly name = 'EgressRefusedError';

  constructor(message: string) {
    super('DW_ERR_EGRESS_REFUSED', message);
  }
}

/** An OTLP export that failed: the receiver's HTTP status when it answered, the exporter's error as the cause. */
export class OtlpSendError extends DwError {
  override readonly name = 'OtlpSendError';

  constructor(message: string, readonly httpStatus: number | undefined, cause: unknown) {
    super('DW_ERR_OTLP_SEND', message, {}, { cause });
  }

  /** From the exporter's result: its `OTLPExporterError` carries the HTTP status as a numeric `code`. */
  static from(error: Error | undefined): OtlpSendError {
    const status = (error as { code?: unknown } | undefined)?.code;
    return new OtlpSendError(error?.message ?? 'OTLP export failed', typeof status === 'number' ? status : undefined, error);
  }
}

/** Reports refusals (logged and counted by the owner). */
export type RefusalListener = (kind: 'cloudwatch' | 'otlp' | 'telemetry', reason: string) => void;

const record = (destination: string, payload: string): AuditRecord => ({ destination, payload, bytes: Buffer.byteLength(payload) });

/** TLS material for an OTLP link, as file paths. */
export interface TlsFiles { ca?: string; cert?: string; key?: string }

/**
 * The one door out (SPEC §4): the only module that sends bytes off the host. Every payload is
 * checked against the allowlist first and refused, loudly, if anything in it is not allowed; what
 * is sent is returned as an audit record for the caller to log with its "sent" mark. The AWS SDK
 * and the OpenTelemetry exporters are loaded here, lazily, and nowhere else (a test enforces it).
 */
export class Egress {
  constructor(private readonly allowlist: EgressAllowlist, private readonly onRefused: RefusalListener, private readonly log: Logger) {}

  private refuse(kind: 'cloudwatch' | 'otlp' | 'telemetry', reason: string): never {
    this.onRefused(kind, reason);
    this.log.error({ egress: kind, reason }, 'Egress refused a payload that is not on the allowlist; nothing was sent.');
    throw new EgressRefusedError(`egress refused: ${reason}`);
  }

  /**
   * CloudWatch client settings: region, endpoint, and the proxy from HTTPS_PROXY / HTTP_PROXY /
   * NO_PROXY for the endpoint it will reach (the AWS SDK does not read them itself).
   */
  private async cloudWatchClientOptions(options: { region?: string; endpoint?: string }): Promise<Record<string, unknown>> {
    const base = { ...(options.region === undefined ? {} : { region: options.region }), ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }) };
    const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
    const proxy = proxyFor(options.endpoint ?? `https://monitoring.${region}.amazonaws.com`);
    if (proxy === undefined) return base;
    const [{ NodeHttpHandler }, { HttpsProxyAgent }, { HttpProxyAgent }] = await Promise.all([
      import('@smithy/node-http-handler'), import('https-proxy-agent'), import('http-proxy-agent'),
    ]);
    this.log.info({ proxy: redactProxy(proxy), endpoint: options.endpoint ?? `monitoring.${region}.amazonaws.com` }, 'CloudWatch is reached through a proxy.');
    return { ...base, requestHandler: new NodeHttpHandler({ httpAgent: new HttpProxyAgent(proxy), httpsAgent: new HttpsProxyAgent(proxy) }) };
  }

  /** A CloudWatch door: PutMetricData, one attempt per call (the shipper retries). */
  cloudWatch(options: { region?: string; endpoint?: string; namespace: string }): CloudWatchDoor {
    let sdk: Promise<{ client: CloudWatchClient; Put: typeof PutMetricDataCommand }> | undefined;
    const load = (): NonNullable<typeof sdk> => (sdk ??= Promise.all([import('@aws-sdk/client-cloudwatch'), this.cloudWatchClientOptions(options)])
      .then(([{ CloudWatchClient: Client, PutMetricDataCommand: Put }, clientOptions]) => ({ client: new Client({ ...clientOptions, maxAttempts: 1 }), Put })));
    const destination = `cloudwatch:${options.endpoint ?? options.region ?? 'default'}/${options.namespace}`;
    return {
      put: async (input, timeoutMs) => {
        const problem = this.allowlist.checkPutMetricData(input);
        if (problem !== undefined) this.refuse('cloudwatch', problem);
        const { client, Put } = await load();
        await client.send(new Put(input), { abortSignal: AbortSignal.timeout(timeoutMs) });
        return record(destination, JSON.stringify(input));
      },
      close: async () => {
        if (sdk !== undefined) (await sdk).client.destroy();
      },
    };
  }

  /** The CloudWatch SDK and a client, loaded on first use; `close` destroys the client if there is one. */
  private lazyCloudWatch(options: { region?: string; endpoint?: string }): { load: () => Promise<CloudWatchModule & { client: CloudWatchClient }>; close: () => Promise<void> } {
    let sdk: Promise<CloudWatchModule & { client: CloudWatchClient }> | undefined;
    return {
      load: () => (sdk ??= Promise.all([import('@aws-sdk/client-cloudwatch'), this.cloudWatchClientOptions(options)])
        .then(([m, clientOptions]) => ({ ...m, client: new m.CloudWatchClient(clientOptions) }))),
      close: async () => {
        if (sdk !== undefined) (await sdk).client.destroy();
      },
    };
  }

  /**
   * A CloudWatch door for alarm management (`driftwatch alarms`): reads the driftwatch alarms and
   * creates or updates them, each definition checked first. Used by an operator's command with
   * an alarm-manager role, never by the agents.
   */
  cloudWatchAlarms(options: { region?: string; endpoint?: string }): AlarmDoor {
    const { load, close } = this.lazyCloudWatch(options);
    const destination = `cloudwatch-alarms:${options.endpoint ?? options.region ?? 'default'}`;
    const check = (input: PutMetricAlarmInput): void => {
      const problem = this.allowlist.checkAlarm(input);
      if (problem !== undefined) this.refuse('cloudwatch', problem);
    };
    return {
      describe: async (prefix) => {
        const { client, DescribeAlarmsCommand } = await load();
        const found: MetricAlarm[] = [];
        let token: string | undefined;
        do {
          const out = await client.send(new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, AlarmTypes: ['MetricAlarm'], NextToken: token }));
          found.push(...(out.MetricAlarms ?? []));
          token = out.NextToken;
        } while (token !== undefined);
        return found;
      },
      putMetricAlarm: async (input) => {
        check(input);
        const { client, PutMetricAlarmCommand } = await load();
        await client.send(new PutMetricAlarmCommand(input));
        return record(destination, JSON.stringify(input));
      },
      close,
    };
  }

  /**
   * Reads back the audit anchor CloudWatch keeps (`AuditEntries`, `AuditHeadDigest`) for
   * `driftwatch audit verify --cloudwatch`: a query naming driftwatch's own metrics, nothing from
   * the host. Used by an operator's command, never by the agents.
   */
  cloudWatchAnchor(options: { region?: string; endpoint?: string }): AnchorDoor {
    const { load, close } = this.lazyCloudWatch(options);
    return {
      latest: async ({ namespace, site, nowMs }) => {
        const { client, GetMetricDataCommand } = await load();
        const dims = site === undefined ? [] : [{ Name: 'Site', Value: site }];
        const query = (id: string, metric: string, stat: string): CloudWatchSdk.MetricDataQuery =>
          ({ Id: id, MetricStat: { Metric: { Namespace: namespace, MetricName: metric, Dimensions: dims }, Period: 60, Stat: stat }, ReturnData: true });
        const series = new Map<string, Map<number, number>>();
        let token: string | undefined;
        do {
          const out = await client.send(new GetMetricDataCommand({
            MetricDataQueries: [query('emin', 'AuditEntries', 'Minimum'), query('emax', 'AuditEntries', 'Maximum'), query('dmax', 'AuditHeadDigest', 'Maximum')],
            StartTime: new Date(nowMs - 15 * 86_400_000), EndTime: new Date(nowMs + 600_000), ScanBy: 'TimestampDescending', NextToken: token,
          }));
          for (const r of out.MetricDataResults ?? []) {
            const m = series.get(r.Id!) ?? new Map<number, number>();
            series.set(r.Id!, m);
            (r.Timestamps ?? []).forEach((t, i) => m.set(t.getTime(), r.Values![i]!));
          }
          token = out.NextToken;
        } while (token !== undefined);
        const at = [...(series.get('emax') ?? new Map<number, number>()).keys()].filter((t) => series.get('emin')?.has(t) === true && series.get('dmax')?.has(t) === true)
          .sort((a, b) => b - a)[0];
        if (at === undefined) return undefined;
        return { atMs: at, minEntries: series.get('emin')!.get(at)!, maxEntries: series.get('emax')!.get(at)!, digest: series.get('dmax')!.get(at)! };
      },
      close,
    };
  }

  /**
   * An embedded-metric-format door: the datums of each PutMetricData input, checked against the
   * same allowlist, written as EMF log events (one JSON line each) to a file or stdout, for the
   * CloudWatch agent or Fluent Bit that already ships the site's logs to take off the host. What
   * is written is returned for the audit log, as for CloudWatch.
   */
  emf(target: { path?: string; stdout?: boolean }): CloudWatchDoor {
    const destination = target.path === undefined ? 'emf:stdout' : `emf:${target.path}`;
    let ready: Promise<void> | undefined;
    return {
      put: async (input) => {
        const problem = this.allowlist.checkPutMetricData(input);
        if (problem !== undefined) this.refuse('cloudwatch', problem);
        const text = emfLines(input).lines.map((l) => `${l}\n`).join('');
        if (target.path === undefined) {
          process.stdout.write(text);
        } else {
          ready ??= mkdir(dirname(target.path), { recursive: true }).then(() => undefined);
          await ready;
          await appendFile(target.path, text, { mode: 0o640 });
        }
        return record(destination, text);
      },
      close: () => Promise.resolve(),
    };
  }

  /**
   * The Prometheus door (`sinks.prometheus`): the datums of each window, checked against the same
   * allowlist as CloudWatch's, become the series `GET /metrics` serves (nothing else does); what a
   * window put there is returned for the audit log once, however often it is scraped. One per
   * process; prom-client is loaded on first use.
   */
  prometheus(): PrometheusDoor {
    if (this.prometheusDoor !== undefined) return this.prometheusDoor;
    let exposition: Promise<PrometheusExposition> | undefined;
    const load = (): Promise<PrometheusExposition> => (exposition ??= import('prom-client').then((prom) => new PrometheusExposition(prom)));
    this.prometheusDoor = {
      put: async (input) => {
        const problem = this.allowlist.checkPutMetricData(input);
        if (problem !== undefined) this.refuse('cloudwatch', problem);
        (await load()).update(input);
        return record('prometheus:/metrics', JSON.stringify(input));
      },
      render: async (snapshot) => (await load()).render(snapshot),
      close: () => Promise.resolve(),
    };
    return this.prometheusDoor;
  }

  private prometheusDoor: PrometheusDoor | undefined;

  /** An OTLP door for fleet windows, through the official OTLP/HTTP exporter. */
  otlpWindows(options: { endpoint: string; protocol: 'http/protobuf' | 'http/json'; compression: 'gzip' | 'none'; timeoutMs: number; token?: string; tls?: TlsFiles }): OtlpDoor {
    let exporter: Promise<{ exporter: PushMetricExporter; canonical: (rm: ResourceMetrics) => string }> | undefined;
    // A client certificate from cert-manager's csi-driver is renewed daily in place: a changed
    // file means a new exporter with the new certificate, before the next send.
    const tlsFiles = [options.tls?.ca, options.tls?.cert, options.tls?.key];
    let tlsSeen = filesFingerprint(tlsFiles);
    const renewed = async (): Promise<void> => {
      const now = filesFingerprint(tlsFiles);
      if (now === tlsSeen || exporter === undefined) return;
      tlsSeen = now;
      const old = exporter;
      exporter = undefined;
      const { exporter: e } = await old.catch(() => ({ exporter: undefined }));
      await e?.shutdown().catch(() => undefined);
    };
    const load = (): NonNullable<typeof exporter> => (exporter ??= (async () => {
      const [{ CompressionAlgorithm }, { JsonMetricsSerializer }, module] = await Promise.all([
        import('@opentelemetry/otlp-exporter-base'),
        import('@opentelemetry/otlp-transformer'),
        options.protocol === 'http/json' ? import('@opentelemetry/exporter-metrics-otlp-http') : import('@opentelemetry/exporter-metrics-otlp-proto'),
      ]);
      const tls = options.tls;
      return {
        exporter: new module.OTLPMetricExporter({
          url: options.endpoint,
          timeoutMillis: options.timeoutMs,
          compression: options.compression === 'gzip' ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE,
          headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` },
          httpAgentOptions: {
            keepAlive: true,
            ...(tls?.ca === undefined ? {} : { ca: readFileSync(tls.ca) }),
            ...(tls?.cert === undefined ? {} : { cert: readFileSync(tls.cert) }),
            ...(tls?.key === undefined ? {} : { key: readFileSync(tls.key) }),
          },
        }),
        canonical: (rm) => Buffer.from(JsonMetricsSerializer.serializeRequest(rm)!).toString('utf8'),
      };
    })());
    return {
      send: async (metrics) => {
        const problem = this.allowlist.checkOtlpWindow(metrics);
        if (problem !== undefined) this.refuse('otlp', problem);
        if (options.tls !== undefined) await renewed();
        const { exporter: e, canonical } = await load();
        const result = await new Promise<{ code: number; error?: Error }>((resolve) => e.export(metrics, resolve));
        if (result.code !== 0) throw OtlpSendError.from(result.error);
        return record(options.endpoint, canonical(metrics));
      },
      close: async () => {
        if (exporter === undefined) return;
        const { exporter: e } = await exporter.catch(() => ({ exporter: undefined }));
        await e?.shutdown().catch(() => undefined);
      },
    };
  }

  /**
   * Starts the OpenTelemetry SDK for a process's own metrics, exporting over OTLP/HTTP through
   * this door: each export is checked, and appended to the audit log before it is sent. Resource
   * detectors are off (they would send host names and command lines).
   */
  async startTelemetry(options: { endpoint: string; intervalMs: number; resource: Attributes; audit: AuditAppender; now: () => number }): Promise<NodeSDK> {
    const [{ NodeSDK: Sdk, metrics: sdkMetrics, resources }, { OTLPMetricExporter }, { JsonMetricsSerializer }] = await Promise.all([
      import('@opentelemetry/sdk-node'),
      import('@opentelemetry/exporter-metrics-otlp-http'),
      import('@opentelemetry/otlp-transformer'),
    ]);
    const timeout = Math.min(10_000, options.intervalMs);
    const inner = new OTLPMetricExporter({ url: options.endpoint, timeoutMillis: timeout });
    const door: PushMetricExporter = {
      export: (metrics, done) => {
        const problem = this.allowlist.checkTelemetry(metrics);
        if (problem !== undefined) {
          this.onRefused('telemetry', problem);
          this.log.error({ egress: 'telemetry', reason: problem }, 'Egress refused a payload that is not on the allowlist; nothing was sent.');
          done({ code: 1, error: new EgressRefusedError(`egress refused: ${problem}`) });
          return;
        }
        // Recorded before it is sent, not after it succeeds: an export whose answer times out has
        // still left, and the next export carries newer figures, not these again. An export the
        // log cannot record is not sent.
        try {
          options.audit.appendAudit([record(options.endpoint, Buffer.from(JsonMetricsSerializer.serializeRequest(metrics)!).toString('utf8'))], options.now());
        } catch (err) {
          this.log.error({ err }, 'Could not append self-telemetry to the audit log; the export was not sent.');
          done({ code: 1, error: err as Error });
          return;
        }
        inner.export(metrics, done);
      },
      forceFlush: () => inner.forceFlush(),
      shutdown: () => inner.shutdown(),
      selectAggregationTemporality: inner.selectAggregationTemporality?.bind(inner),
    };
    const sdk = new Sdk({
      resource: resources.resourceFromAttributes(options.resource),
      autoDetectResources: false,
      resourceDetectors: [],
      metricReaders: [new sdkMetrics.PeriodicExportingMetricReader({ exporter: door, exportIntervalMillis: options.intervalMs, exportTimeoutMillis: timeout })],
      spanProcessors: [],
      logRecordProcessors: [],
      instrumentations: [],
    });
    sdk.start();
    return sdk;
  }
}

/** PutMetricData through the door. */
export interface CloudWatchDoor {
  /** Checks, sends and returns the audit record; throws `EgressRefusedError` when the allowlist refuses. */
  put(input: PutMetricDataInput, timeoutMs: number): Promise<AuditRecord>;
  close(): Promise<void>;
}

type CloudWatchModule = typeof CloudWatchSdk;

/** Alarm management through the door. */
export interface AlarmDoor {
  /** The metric alarms whose names start with `prefix`. */
  describe(prefix: string): Promise<MetricAlarm[]>;
  /** Checks and sends; throws `EgressRefusedError` when the allowlist refuses. */
  putMetricAlarm(input: PutMetricAlarmInput): Promise<AuditRecord>;
  close(): Promise<void>;
}

/** The audit anchor CloudWatch saw last: within one minute, entries from `minEntries` to `maxEntries`, and the largest head digest sent then. */
export interface CloudWatchAnchor {
  atMs: number;
  minEntries: number;
  maxEntries: number;
  digest: number;
}

/** Reading the audit anchor back from CloudWatch. */
export interface AnchorDoor {
  /** The newest minute that has the anchor, or undefined when CloudWatch holds none (15 days back). */
  latest(query: { namespace: string; site?: string | undefined; nowMs: number }): Promise<CloudWatchAnchor | undefined>;
  close(): Promise<void>;
}

/** Windows shown on `GET /metrics`: put as CloudWatch's, and the exposition text. */
export interface PrometheusDoor extends CloudWatchDoor {
  render(snapshot: SelfSnapshot): Promise<{ contentType: string; text: string }>;
}

/** OTLP window export through the door. */
export interface OtlpDoor {
  send(metrics: ResourceMetrics): Promise<AuditRecord>;
  close(): Promise<void>;
}

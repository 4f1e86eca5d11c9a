import { diag, DiagLogLevel, metrics as otel, type Attributes, type Counter } from '@opentelemetry/api';
import { DwError } from '../../platform/errors.js';
import type { Logger } from 'pino';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import type { Egress } from '../egress/egress.js';
import type { ErrorCounter, ErrorStage, ErrorType, FailureEvents } from '../../platform/failure-events.js';
import type { AuditAppender } from '../records/audit-record.js';

/** How long a stop waits for the last export (docs/agent.md: at most 2 s). */
const FINAL_EXPORT_TIMEOUT_MS = 2000;

/** Where the agent's own metrics go. */
export interface TelemetryOptions {
  /** OTLP/HTTP metrics endpoint; without it the instruments are no-ops (totals still count). */
  otlpEndpoint?: string;
  exportIntervalMs: number;
  /** Resource attributes: service and site identity. */
  resource: Attributes;
  /**
   * Keep the event counters (accepted, refused by reason) out of the export: set when
   * `privacy.epsilon` is, because exact cumulative counts every export interval would undo the
   * noise on the windows' counts. They still count for `/v1/status`, which stays on the host.
   */
  withholdEventCounts?: boolean;
  /** Where failed exports are reported (one warning per failed export). */
  log?: Logger;
  /** The door the export goes through (checked, and recorded in `audit`). Required with an endpoint. */
  egress?: Egress;
  audit?: AuditAppender;
}

/** Live gauges read at export time. */
export interface GaugeSources {
  backlog: () => { sink: string; count: number; oldestAgeSeconds: number }[];
}

/**
 * Self-telemetry of an agent or collector: OpenTelemetry counters and gauges (exported over OTLP/HTTP when an
 * endpoint is configured) plus plain totals for `/v1/status`.
 */
export class SelfMetrics implements ErrorCounter {
  readonly totals = {
    eventsAccepted: 0,
    eventsRejected: {} as Record<string, number>,
    windowsClosed: 0,
    sends: {} as Record<string, { succeeded: number; failed: number }>,
    errors: {} as Record<string, number>,
    /** Collector: OTLP data points by outcome (accepted, duplicate, or a refusal reason). */
    points: {} as Record<string, number>,
    /** Collector: whole requests refused, by reason (unauthorized, forbidden, bad_body, ...). */
    requestsRefused: {} as Record<string, number>,
    /** Agent: event requests refused whole under overload or a state fault, by reason. */
    apiRefused: {} as Record<string, number>,
    /** Windows dropped from the outbox unsent (recorded in the state file), by reason. */
    outboxDropped: {} as Record<string, number>,
  };
  private sdk: NodeSDK | undefined;
  private starting: Promise<void> | undefined;
  /** No-op until the SDK is registered: the metrics API has no proxy provider. */
  private instruments: Instruments | undefined;

  constructor(private readonly options: TelemetryOptions, private readonly gauges: GaugeSources) {}

  /**
   * Starts exporting over OTLP/HTTP when an endpoint is configured; idempotent. The SDK (about
   * 27 MiB resident) is loaded only then. Call it before traffic arrives: the OpenTelemetry
   * metrics API has no proxy provider, so instruments are made here, once the SDK is global.
   */
  startExport(): Promise<void> {
    this.starting ??= this.loadSdk();
    return this.starting;
  }

  /** `startExport`, with a failure counted and logged instead of thrown: the process runs on without it. */
  startExportOrLog(failures: FailureEvents): void {
    this.startExport().catch((err: unknown) => failures.telemetryStart(err, 'Could not start exporting self-telemetry over OTLP.'));
  }

  private async loadSdk(): Promise<void> {
    const { otlpEndpoint, exportIntervalMs, resource, egress, audit } = this.options;
    if (otlpEndpoint === undefined) return;
    if (egress === undefined || audit === undefined) throw new DwError('DW_ERR_INTERNAL', 'self-telemetry needs the egress door and the audit log');
    const log = this.options.log;
    if (log !== undefined) {
      const warn = (message: string, ...args: unknown[]): void => {
        log.warn({ endpoint: otlpEndpoint, detail: args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a))).join(' ').slice(0, 500) },
          `Self-telemetry export failed: ${message}`);
      };
      diag.setLogger({ error: warn, warn, info: () => undefined, debug: () => undefined, verbose: () => undefined }, DiagLogLevel.WARN);
    }
    this.sdk = await egress.startTelemetry({ endpoint: otlpEndpoint, intervalMs: exportIntervalMs, resource, audit, now: Date.now });
    this.instruments = createInstruments(this.gauges);
    if (this.options.withholdEventCounts === true) return;
    // Counters are cumulative: carry over what was counted before the SDK was up.
    const t = this.totals;
    this.instruments.accepted.add(t.eventsAccepted);
    for (const [reason, n] of Object.entries(t.eventsRejected)) this.instruments.rejected.add(n, { reason });
  }

  /** The event counters' instruments, unless they are withheld from the export. */
  private get eventInstruments(): Instruments | undefined {
    return this.options.withholdEventCounts === true ? undefined : this.instruments;
  }

  eventsAccepted(n: number): void {
    if (n === 0) return;
    this.totals.eventsAccepted += n;
    this.eventInstruments?.accepted.add(n);
  }

  eventsRejected(reason: string, n = 1): void {
    this.totals.eventsRejected[reason] = (this.totals.eventsRejected[reason] ?? 0) + n;
    this.eventInstruments?.rejected.add(n, { reason });
  }

  windowClosed(model: string): void {
    this.totals.windowsClosed++;
    this.instruments?.closed.add(1, { model });
  }

  send(sink: string, ok: boolean): void {
    const s = (this.totals.sends[sink] ??= { succeeded: 0, failed: 0 });
    if (ok) s.succeeded++;
    else s.failed++;
    this.instruments?.sends.add(1, { sink, outcome: ok ? 'success' : 'failure' });
  }

  /** Collector: OTLP data points taken in (`accepted`, `duplicate`) or refused (the reason). */
  points(outcome: string, n: number): void {
    if (n === 0) return;
    this.totals.points[outcome] = (this.totals.points[outcome] ?? 0) + n;
    this.instruments?.points.add(n, { outcome });
  }

  /** Collector: a whole request refused. */
  requestRefused(reason: string): void {
    this.totals.requestsRefused[reason] = (this.totals.requestsRefused[reason] ?? 0) + 1;
    this.instruments?.refused.add(1, { reason });
  }

  /** Agent: a request refused whole (`overloaded`, `event_loop_delay`, `state_unavailable`, `shutting_down`, `bad_body`, `body_too_large`, `unauthorized`, ...). */
  apiRefused(reason: string): void {
    this.totals.apiRefused[reason] = (this.totals.apiRefused[reason] ?? 0) + 1;
    this.instruments?.apiRefused.add(1, { reason });
  }

  /** Windows dropped from the outbox unsent (`too_old`, `outbox_full`, `unpersisted_overflow`). */
  outboxDropped(reason: string, n: number): void {
    if (n === 0) return;
    this.totals.outboxDropped[reason] = (this.totals.outboxDropped[reason] ?? 0) + n;
    this.instruments?.outboxDropped.add(n, { reason });
  }

  /** A payload the egress allowlist refused, by destination kind. */
  egressRefused(kind: string): void {
    const key = `egress_refused:${kind}`;
    this.totals.errors[key] = (this.totals.errors[key] ?? 0) + 1;
    this.instruments?.egressRefused.add(1, { reason: kind });
  }

  /** One failure, counted by {@link FailureEvents}: `error_type` says what, `stage` where. */
  error(errorType: ErrorType, stage: ErrorStage): void {
    const key = `${stage}:${errorType}`;
    this.totals.errors[key] = (this.totals.errors[key] ?? 0) + 1;
    this.instruments?.errors.add(1, { error_type: errorType, stage });
  }

  /**
   * Flushes a last export and stops, waiting at most `timeoutMs`: with the endpoint down the
   * exporter retries for its whole timeout, which must not hold up the agent's exit.
   */
  async shutdown(timeoutMs = FINAL_EXPORT_TIMEOUT_MS): Promise<void> {
    await this.starting?.catch(() => undefined);
    if (this.sdk === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.sdk.shutdown().catch(() => undefined),
      new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); timer.unref(); }),
    ]);
    clearTimeout(timer);
  }
}

interface Instruments {
  accepted: Counter;
  rejected: Counter;
  closed: Counter;
  sends: Counter;
  errors: Counter;
  points: Counter;
  refused: Counter;
  egressRefused: Counter;
  apiRefused: Counter;
  outboxDropped: Counter;
}

function createInstruments(gauges: GaugeSources): Instruments {
  const meter = otel.getMeter('driftwatch');
  const backlog = meter.createObservableGauge('driftwatch.outbox.backlog', { description: 'Closed windows not yet sent, by sink.' });
  const age = meter.createObservableGauge('driftwatch.outbox.oldest_unsent_age', { description: 'Age of the oldest unsent window.', unit: 's' });
  meter.addBatchObservableCallback((result) => {
    for (const b of gauges.backlog()) {
      result.observe(backlog, b.count, { sink: b.sink });
      result.observe(age, b.oldestAgeSeconds, { sink: b.sink });
    }
  }, [backlog, age]);
  return {
    accepted: meter.createCounter('driftwatch.events.accepted', { description: 'Events counted into windows.' }),
    rejected: meter.createCounter('driftwatch.events.rejected', { description: 'Events refused, by reason.' }),
    closed: meter.createCounter('driftwatch.windows.closed', { description: 'Windows closed into the outbox.' }),
    sends: meter.createCounter('driftwatch.sink.sends', { description: 'Window sends by sink and outcome.' }),
    errors: meter.createCounter('driftwatch.component.errors', { description: 'Failures by error_type and stage.' }),
    points: meter.createCounter('driftwatch.collector.points', { description: 'OTLP data points received, by outcome (accepted, duplicate, or the refusal reason).' }),
    refused: meter.createCounter('driftwatch.collector.requests.refused', { description: 'OTLP requests refused whole, by reason.' }),
    egressRefused: meter.createCounter('driftwatch.egress.refused', { description: 'Payloads the egress allowlist refused, by destination kind.' }),
    apiRefused: meter.createCounter('driftwatch.api.requests.refused', { description: 'Agent requests refused whole (overload, state fault, shutdown, unreadable or oversize body, auth), by reason.' }),
    outboxDropped: meter.createCounter('driftwatch.outbox.dropped', { description: 'Closed windows dropped unsent (too old for CloudWatch, outbox full), by reason.' }),
  };
}

import type { InputRecord } from '../../shared/core/aggregation/read-source.js';
import { profileColumns, type BaselineProfile } from '../../shared/core/profile/baseline-profile.js';
import type { BodyItem } from './event-body.js';
import type { EventRejection, RejectReason } from '../../shared/core/aggregation/reject-reasons.js';
import { isPlainObject } from './json-value.js';
import { inferenceId, MAX_ID_LENGTH, timestampMs } from './event-fields.js';

/** Where each prediction field of an event goes in the baseline's columns. */
interface SignalColumns {
  confidence: string[];
  label: string[];
  probabilities: string[];
}

/**
 * Where a source's events go: a model's open windows (ModelWindows), as ingestion sees them. The
 * source depends on this, not on the windows, so capture stays upstream of aggregation.
 */
export interface WindowCounter {
  readonly profile: BaselineProfile;
  /** Counts one record; returns the field that could not be read, if any. */
  add(record: InputRecord, version: string, timestampMs: number): { field: string; message: string } | undefined;
  /** Counts one refused event. */
  reject(reason: string, version: string, timestampMs: number): void;
  /** Whether an event at `timestampMs` still has an open window. */
  isOpenFor(timestampMs: number, nowMs: number, graceMs: number): boolean;
}

/** A monitored model as ingestion sees it. */
export interface IngestModel {
  windows: WindowCounter;
  /** Columns an event may name in `features` (inputs and prediction columns). */
  known: Set<string>;
  signals: SignalColumns;
  unknownFeatures: 'reject' | 'ignore';
  /** Events with a key the envelope or `prediction` does not define: refuse them, or ignore the extras. */
  unknownFields: 'reject' | 'ignore';
  /** Versions events may carry (the egress allowlist); '' is always allowed. */
  versions: ReadonlySet<string>;
  /** Remembers a counted event's id for delayed labels (config `labels`); absent, ids are read and not kept. */
  remember?: (id: string, version: string, timestampMs: number) => void;
}

/** Timing rules for accepting an event into a window. */
export interface IngestTiming {
  clock: 'wall' | 'event';
  graceMs: number;
  maxFutureMs: number;
}

/** Result of one batch. */
export interface IngestResult {
  accepted: number;
  rejections: EventRejection[];
}

/** Builds the ingestion view of a model from its windows (and so its baseline). */
export function ingestModel(windows: WindowCounter, unknownFeatures: 'reject' | 'ignore', versions: readonly string[] = [],
  unknownFields: 'reject' | 'ignore' = 'reject'): IngestModel {
  const signals: SignalColumns = { confidence: [], label: [], probabilities: [] };
  for (const f of windows.profile.features) {
    if (!('column' in f.source)) continue;
    const column = f.source.column;
    if (f.source.transform !== 'value') {
      if (!signals.probabilities.includes(column)) signals.probabilities.push(column);
    } else if (f.role === 'confidence') signals.confidence.push(column);
    else if (f.role === 'prediction') signals.label.push(column);
  }
  const known = profileColumns(windows.profile);
  return { windows, known, signals, unknownFeatures, unknownFields, versions: new Set(versions) };
}

/** The keys an event may have, and those of its `prediction`. */
const ENVELOPE_KEYS = new Set(['model', 'version', 'timestamp', 'features', 'prediction', 'id']);
const PREDICTION_KEYS = new Set(['label', 'confidence', 'probabilities']);
/** Event times outside [1970-01-01, 2100-01-01) are refused: a window at 1e300 ms cannot be closed or shown. */
const MIN_TIMESTAMP_MS = 0;
const MAX_TIMESTAMP_MS = Date.UTC(2100, 0, 1);


/** The first key of `value` (an object) outside `allowed`, prefixed, or undefined. */
function unknownKey(value: unknown, allowed: ReadonlySet<string>, prefix: string): string | undefined {
  if (!isPlainObject(value)) return undefined;
  const key = Object.keys(value).find((k) => !allowed.has(k));
  return key === undefined ? undefined : `${prefix}${key.slice(0, 100)}`;
}

/** Why an event was refused; with `model`, it counts against that model's window at `at` (default: now). */
interface Refusal {
  reason: RejectReason;
  message: string;
  field?: string;
  model?: IngestModel;
  version?: string;
  at?: number;
}

/** A parsed envelope: the event, its model and version, and its time. */
interface Envelope {
  event: Record<string, unknown>;
  /** The inference's id, when it carried one. */
  id: string | undefined;
  model: IngestModel;
  version: string;
  at: number;
}

/**
 * Validates events and counts them into their models' windows. Each event is accepted or refused
 * on its own, with a reason; good events in a batch count whatever the bad ones around them.
 */
export class EventIngestor {
  /** Newest accepted event time (the clock in `event` mode). */
  watermarkMs = 0;
  /** Refusals that belong to no model (unknown model, not an object), by reason. */
  readonly unattributed: Partial<Record<RejectReason, number>> = {};

  constructor(
    private readonly models: ReadonlyMap<string, IngestModel>,
    private readonly timing: IngestTiming,
    private readonly now: () => number,
  ) {}

  /** The time windows are judged against: the wall clock or the watermark. */
  clockMs(): number {
    return this.timing.clock === 'wall' ? this.now() : this.watermarkMs;
  }

  /** Validates and counts a batch; each item is accepted or refused on its own. */
  ingest(items: readonly BodyItem[]): IngestResult {
    const rejections: EventRejection[] = [];
    let accepted = 0;
    const nowMs = this.now();
    for (const item of items) {
      const refusal = this.ingestOne(item, nowMs);
      if (refusal === undefined) {
        accepted++;
        continue;
      }
      const { reason, message, field, model } = refusal;
      rejections.push({ index: item.index, ...(item.line === undefined ? {} : { line: item.line }), reason, ...(field === undefined ? {} : { field }), message });
      if (model === undefined) this.unattributed[reason] = (this.unattributed[reason] ?? 0) + 1;
      else model.windows.reject(reason, refusal.version ?? '', refusal.at ?? nowMs);
    }
    return { accepted, rejections };
  }

  /** One item: its envelope parsed, admitted to a window, its features read, then counted. */
  private ingestOne(item: BodyItem, nowMs: number): Refusal | undefined {
    const envelope = this.parseEnvelope(item, nowMs);
    if ('reason' in envelope) return envelope;
    const { event, model, version, at, id } = envelope;
    const clock = this.timing.clock === 'wall' ? nowMs : Math.max(this.watermarkMs, at);
    if (this.timing.clock === 'wall' && at > nowMs + this.timing.maxFutureMs) {
      return { reason: 'future_timestamp', message: `timestamp is more than ${this.timing.maxFutureMs / 1000} s ahead of the agent's clock`, field: 'timestamp', model, version, at: nowMs };
    }
    if (!model.windows.isOpenFor(at, clock, this.timing.graceMs)) {
      return { reason: 'late_event', message: 'the window for this timestamp has already closed', field: 'timestamp', model, version, at: clock };
    }
    const read = this.readRecord(event, model);
    if ('refused' in read) return { ...read.refused, model, version, at };
    const { record } = read;
    const bad = model.windows.add(record, version, at);
    if (bad !== undefined) return { reason: 'bad_value', message: bad.message, field: `features.${bad.field}`, model, version, at };
    if (id !== undefined) model.remember?.(id, version, at);
    if (at > this.watermarkMs) this.watermarkMs = at;
    return undefined;
  }

  /** The envelope: an object naming a configured model, an allowed version and a readable timestamp. */
  private parseEnvelope(item: BodyItem, nowMs: number): Envelope | Refusal {
    if ('error' in item) return { reason: item.error.reason, message: item.error.message };
    const event = item.value;
    if (!isPlainObject(event)) return { reason: 'not_an_object', message: 'an event must be a JSON object' };
    if (typeof event.model !== 'string' || event.model === '') return { reason: 'missing_model', message: "'model' must be a non-empty string", field: 'model' };
    const model = this.models.get(event.model);
    if (model === undefined) return { reason: 'unknown_model', message: `no model '${event.model.slice(0, 100)}' is configured`, field: 'model' };
    const extra = model.unknownFields === 'reject' ? unknownKey(event, ENVELOPE_KEYS, '') ?? unknownKey(event.prediction, PREDICTION_KEYS, 'prediction.') : undefined;
    if (extra !== undefined) {
      return { reason: 'unknown_field', message: `an event has no field '${extra}' (a typo? models[].unknownFields: ignore lets extras through)`, field: extra, model };
    }
    let version = '';
    if (event.version !== undefined && event.version !== null) {
      if ((typeof event.version !== 'string' && typeof event.version !== 'number') || String(event.version).length > 255 || String(event.version) === '') {
        return { reason: 'bad_version', message: "'version' must be a string or number of at most 255 characters", field: 'version', model };
      }
      version = String(event.version);
      if (!model.versions.has(version)) {
        return { reason: 'unknown_version', message: `version '${version.slice(0, 100)}' is not in models[].versions of '${event.model}'; only configured versions leave the host`, field: 'version', model };
      }
    }
    let id: string | undefined;
    if (event.id !== undefined && event.id !== null) {
      id = inferenceId(event.id);
      if (id === undefined) return { reason: 'bad_id', message: `'id' must be a string or number of 1 to ${MAX_ID_LENGTH} characters`, field: 'id', model, version };
    }
    let at = nowMs;
    if (event.timestamp !== undefined && event.timestamp !== null) {
      const t = timestampMs(event.timestamp);
      if (!Number.isFinite(t)) return { reason: 'bad_timestamp', message: "'timestamp' must be epoch milliseconds or an ISO-8601 string", field: 'timestamp', model, version };
      if (t < MIN_TIMESTAMP_MS || t >= MAX_TIMESTAMP_MS) {
        return { reason: 'bad_timestamp', message: "'timestamp' must fall between 1970-01-01 and 2100-01-01", field: 'timestamp', model, version };
      }
      at = t;
    }
    return { event, model, version, at, id };
  }

  /** The record to count: the event's features, known to the baseline, with its prediction on the signal columns. */
  private readRecord(event: Record<string, unknown>, model: IngestModel): { record: InputRecord } | { refused: Pick<Refusal, 'reason' | 'message' | 'field'> } {
    const features = event.features === undefined ? {} : event.features;
    if (!isPlainObject(features)) return { refused: { reason: 'bad_features', message: "'features' must be an object of feature values", field: 'features' } };
    if (model.unknownFeatures === 'reject') {
      const unknown = Object.keys(features).find((k) => !model.known.has(k));
      if (unknown !== undefined) return { refused: { reason: 'unknown_feature', message: `the baseline has no feature '${unknown.slice(0, 100)}'`, field: `features.${unknown.slice(0, 100)}` } };
    }
    const record = features as InputRecord;
    const problem = this.applyPrediction(record, event.prediction, model);
    if (problem !== undefined) return { refused: { reason: 'bad_prediction', message: problem, field: 'prediction' } };
    return { record };
  }

  /** Copies `prediction.{confidence,label,probabilities}` onto the baseline's signal columns. */
  private applyPrediction(record: InputRecord, prediction: unknown, model: IngestModel): string | undefined {
    if (prediction === undefined || prediction === null) return undefined;
    if (!isPlainObject(prediction)) return "'prediction' must be an object with label, confidence or probabilities";
    const { confidence, label, probabilities } = prediction;
    if (confidence !== undefined && confidence !== null) {
      if (typeof confidence !== 'number' || !(confidence >= 0 && confidence <= 1)) return "'prediction.confidence' must be a number between 0 and 1";
      for (const c of model.signals.confidence) record[c] = confidence;
    }
    if (label !== undefined && label !== null) {
      if (typeof label !== 'string' && typeof label !== 'number' && typeof label !== 'boolean') return "'prediction.label' must be a string, number or boolean";
      for (const c of model.signals.label) record[c] = label;
    }
    if (probabilities !== undefined && probabilities !== null) {
      if (!Array.isArray(probabilities)) return "'prediction.probabilities' must be an array of numbers";
      for (const c of model.signals.probabilities) record[c] = probabilities;
    }
    return undefined;
  }
}

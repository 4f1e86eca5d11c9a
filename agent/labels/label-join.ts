import { createHmac } from 'node:crypto';
import { toCategory } from '../../shared/core/aggregation/value-coercion.js';
import { labelLayout, realisedSummary, type LabelLayout, type LabelUpdate } from '../../shared/core/performance/label-update.js';
import type { CheckpointParticipant } from '../../shared/pipeline/state/checkpoint-participant.js';
import type { ComponentState } from '../../shared/pipeline/state/open-state.js';
import { REMEMBERED_ROW_BYTES, type RememberedInference } from '../../shared/pipeline/state/label-store.js';
import type { ModelWindows } from '../../shared/pipeline/windows/model-windows.js';
import { windowStart } from '../../shared/pipeline/windows/window-bounds.js';
import type { LabelsConfig } from '../config/labels-config.js';
import type { BodyItem } from '../sources/event-body.js';
import { isPlainObject } from '../sources/json-value.js';
import { inferenceId, MAX_ID_LENGTH, timestampMs } from '../sources/event-fields.js';

/** Why a label was refused: the `reason` in `POST /v1/labels` responses and in `/v1/status` (docs/agent-api.md). */
export const LABEL_REFUSALS = [
  'malformed_json', 'too_deep', 'not_an_object', 'unknown_model', 'bad_id', 'bad_label', 'bad_timestamp',
  'unknown_id', 'unknown_class', 'duplicate', 'before_inference', 'no_prediction_signal',
] as const;
export type LabelRefusal = (typeof LABEL_REFUSALS)[number];

/** One refused label in a response. */
export interface LabelRejection {
  index: number;
  line?: number;
  reason: LabelRefusal;
  field?: string;
  message: string;
}

const DAY_MS = 86_400_000;
const LABEL_KEYS = new Set(['model', 'id', 'label', 'timestamp']);

/** What the join needs of the agent's settings. */
export interface LabelJoinSettings extends LabelsConfig {
  windowMs: number;
  /** The privacy floor: no window's realised performance ships on fewer labels. */
  minCount: number;
  /** Windows that ended longer ago than this cannot take datums (CloudWatch's two weeks, `state.outbox.maxAgeHours`). */
  maxShipAgeMs: number;
  /** `windows.graceSeconds`: a window's labels ship once it has closed. */
  graceMs: number;
}

/**
 * Delayed labels: remembers each counted inference that carried an id (its keyed hash, window,
 * predicted class and confidence bin; never the id), joins `POST /v1/labels` to them, and puts
 * each window's new realised performance in the outbox at the window's own timestamp. Remembered
 * inferences are saved with the checkpoint (a participant); labels commit per request.
 */
export class LabelJoin implements CheckpointParticipant {
  private pending: RememberedInference[] = [];
  private saving: RememberedInference[] = [];
  private savingAdded = 0;
  private readonly layouts = new Map<string, LabelLayout | undefined>();
  /** Inferences in the state file: counted once at start, then kept up to date (a count over millions of keys would stall `/v1/status`). */
  private remembered: number;
  /** Labels joined, joined too late to ship, refused by reason, updates put in the outbox, inferences forgotten (age or bytes). */
  readonly totals = { accepted: 0, tooLate: 0, refused: {} as Partial<Record<LabelRefusal, number>>, updates: 0, forgotten: 0 };

  /** How often new labels are shipped, seconds. */
  get shipSeconds(): number {
    return this.settings.shipSeconds;
  }

  constructor(private readonly store: ComponentState, private readonly models: ReadonlyMap<string, ModelWindows>, private readonly key: Buffer,
    private readonly settings: LabelJoinSettings) {
    for (const [name, windows] of models) this.layouts.set(name, labelLayout(windows.profile));
    this.remembered = store.labels.count();
  }

  private hash(model: string, id: string): Buffer {
    return createHmac('sha256', this.key).update(model).update('\u0000').update(id).digest().subarray(0, 16);
  }

  /** Remembers a counted inference (the ingestor calls this right after counting it). */
  remember(model: string, id: string, version: string, atMs: number): void {
    const layout = this.layouts.get(model);
    const windows = this.models.get(model);
    if (layout === undefined || windows === undefined) return;
    const [predicted, bin] = windows.lastBins(version, atMs, layout.confidence >= 0 ? [layout.prediction, layout.confidence] : [layout.prediction]);
    const startMs = windowStart(atMs, this.settings.windowMs);
    this.pending.push({ key: this.hash(model, id), model, version, startMs, endMs: startMs + this.settings.windowMs, predicted: predicted!, bin: bin ?? -1, atMs });
  }

  dirty(): boolean {
    return this.pending.length > 0;
  }

  save(): void {
    this.saving = this.pending;
    this.pending = [];
    this.savingAdded = this.store.labels.remember(this.saving);
    this.remembered += this.savingAdded;
  }

  failed(strict: boolean): void {
    // The transaction rolled back. Strict durability took the counts back; their inferences go too. Otherwise they are saved next time.
    this.remembered -= this.savingAdded;
    if (!strict) this.pending = [...this.saving, ...this.pending];
    this.saving = [];
    this.savingAdded = 0;
  }

  /** Joins a batch of labels in one transaction; each is joined or refused on its own. */
  apply(items: readonly BodyItem[], nowMs: number): { accepted: number; tooLate: number; rejections: LabelRejection[] } {
    const rejections: LabelRejection[] = [];
    let accepted = 0;
    let tooLate = 0;
    const remembered = this.pending;
    this.pending = [];
    let added = 0;
    try {
      this.store.labels.transaction(() => {
        // Inferences counted since the last checkpoint can take labels at once.
        added = this.store.labels.remember(remembered);
        for (const item of items) {
          const refusal = this.applyOne(item, nowMs);
          if (refusal === undefined) accepted++;
          else if (refusal === 'too_late') {
            accepted++;
            tooLate++;
          } else rejections.push({ index: item.index, ...(item.line === undefined ? {} : { line: item.line }), ...refusal });
        }
      });
    } catch (err) {
      this.pending = [...remembered, ...this.pending];
      throw err;
    }
    this.remembered += added;
    this.totals.accepted += accepted;
    this.totals.tooLate += tooLate;
    for (const r of rejections) this.totals.refused[r.reason] = (this.totals.refused[r.reason] ?? 0) + 1;
    return { accepted, tooLate, rejections };
  }

  private applyOne(item: BodyItem, nowMs: number): Omit<LabelRejection, 'index' | 'line'> | 'too_late' | undefined {
    if ('error' in item) return { reason: item.error.reason === 'too_deep' ? 'too_deep' : 'malformed_json', message: item.error.message };
    const v = item.value;
    if (!isPlainObject(v)) return { reason: 'not_an_object', message: 'a label must be a JSON object {model, id, label, timestamp?}' };
    const extra = Object.keys(v).find((k) => !LABEL_KEYS.has(k));
    if (extra !== undefined) return { reason: 'not_an_object', field: extra.slice(0, 100), message: `a label has no field '${extra.slice(0, 100)}' (model, id, label, timestamp)` };
    if (typeof v.model !== 'string' || !this.layouts.has(v.model)) return { reason: 'unknown_model', field: 'model', message: `no model '${String(v.model).slice(0, 100)}' is configured` };
    const layout = this.layouts.get(v.model);
    if (layout === undefined) {
      return { reason: 'no_prediction_signal', field: 'model', message: `the baseline of '${v.model}' has no categorical prediction feature to compare labels with` };
    }
    const id = inferenceId(v.id);
    if (id === undefined) return { reason: 'bad_id', field: 'id', message: `'id' must be a string or number of 1 to ${MAX_ID_LENGTH} characters` };
    if (typeof v.label !== 'string' && typeof v.label !== 'number' && typeof v.label !== 'boolean') {
      return { reason: 'bad_label', field: 'label', message: "'label' must be a string, number or boolean (the true class)" };
    }
    let observedMs: number | undefined;
    if (v.timestamp !== undefined && v.timestamp !== null) {
      observedMs = timestampMs(v.timestamp);
      if (!Number.isFinite(observedMs)) return { reason: 'bad_timestamp', field: 'timestamp', message: "'timestamp' (when the truth was observed) must be epoch milliseconds or an ISO-8601 string" };
    }
    const key = this.hash(v.model, id);
    const inference = this.store.labels.find(key);
    if (inference === undefined) {
      return { reason: 'unknown_id', field: 'id', message: `no inference of '${v.model}' with this id is remembered (never seen, older than labels.maxAgeDays, or not yet counted)` };
    }
    if (inference.labelled) return { reason: 'duplicate', field: 'id', message: 'this inference already has a label; the first one counts' };
    if (observedMs !== undefined && observedMs < inference.atMs) {
      return { reason: 'before_inference', field: 'timestamp', message: `the label's timestamp is before its inference (${new Date(inference.atMs).toISOString()})` };
    }
    const category = toCategory(v.label);
    const truth = category === undefined ? -1 : layout.classes.indexOf(category);
    if (truth < 0) return { reason: 'unknown_class', field: 'label', message: `'${String(v.label).slice(0, 100)}' is not one of the baseline's prediction classes` };
    if (inference.predicted >= layout.classes.length) {
      return { reason: 'no_prediction_signal', field: 'id', message: 'the inference carried no prediction of a class the baseline knows, so the label has nothing to compare with' };
    }
    this.store.labels.label(key, inference, truth);
    return inference.endMs < nowMs - this.settings.maxShipAgeMs ? 'too_late' : undefined;
  }

  /**
   * Puts the new realised performance of each window with enough new labels in the outbox (the
   * change since its last update), and in its kept report. One transaction per window. Returns
   * the updates.
   */
  ship(nowMs: number): LabelUpdate[] {
    const out: LabelUpdate[] = [];
    const minLabels = Math.max(this.settings.minLabels, this.settings.minCount);
    for (const w of this.store.labels.pending(minLabels, nowMs - this.settings.maxShipAgeMs, nowMs - this.settings.graceMs)) {
      const layout = this.layouts.get(w.model);
      const current = layout === undefined ? undefined : realisedSummary(w.cells, w.inferences, layout);
      if (current === undefined) continue;
      const update: LabelUpdate = { kind: 'labels', model: w.model, version: w.version, startMs: w.startMs, endMs: w.endMs, current, previous: w.shipped };
      this.store.labels.transaction(() => {
        this.store.outbox.enqueueLabels(update, nowMs);
        this.store.labels.shipped(w, current);
        this.store.history.setRealised(w.model, w.version, w.startMs, current);
      });
      out.push(update);
    }
    this.totals.updates += out.length;
    return out;
  }

  /** Forgets inferences older than `labels.maxAgeDays`, and the oldest beyond `labels.maxBytes`. */
  prune(nowMs: number): number {
    const removed = this.store.labels.prune(nowMs - this.settings.maxAgeDays * DAY_MS, Math.floor(this.settings.maxBytes / REMEMBERED_ROW_BYTES));
    this.totals.forgotten += removed;
    this.remembered -= removed;
    return removed;
  }

  /** What `/v1/status` shows. */
  status(): object {
    return { ...this.totals, remembered: this.remembered + this.pending.length };
  }
}

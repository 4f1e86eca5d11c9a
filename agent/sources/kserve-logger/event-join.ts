/** One half of a logged exchange: the request or the response CloudEvent of one `ce-id`. */
export interface LoggedHalf {
  id: string;
  kind: 'request' | 'response';
  /** `ce-inferenceservicename`. */
  inferenceService: string;
  body: Buffer;
  contentType: string | undefined;
  /** When it arrived (ms). */
  at: number;
}

/** Why a half was not joined: `/v1/status` `sources.kserveLogger.join`. */
export type JoinLoss = 'unmatched_request' | 'unmatched_response' | 'duplicate' | 'pending_full';

/** Limits of the join (config `sources.kserveLogger`). */
export interface JoinLimits {
  timeoutMs: number;
  maxPending: number;
  maxPendingBytes: number;
}

/**
 * Joins the request and response CloudEvents KServe's logger sends for one inference, on `ce-id`
 * within one InferenceService. Either half may come first (the logger's workers send them
 * concurrently). Memory is bounded by count and bytes; a half left alone past the timeout is
 * dropped and counted (KServe logs no response for a failed request, so an unmatched request is
 * usually a failed inference). Pure: time comes from the caller.
 */
export class EventJoin {
  readonly losses: Record<JoinLoss, number> = { unmatched_request: 0, unmatched_response: 0, duplicate: 0, pending_full: 0 };
  joined = 0;
  /** Pending halves in arrival order (a Map keeps insertion order, so the oldest come first). */
  private readonly pending = new Map<string, LoggedHalf>();
  private bytes = 0;

  constructor(private readonly limits: JoinLimits) {}

  /** Adds a half; returns both halves when this one completes a pair. */
  add(half: LoggedHalf): { request: LoggedHalf; response: LoggedHalf } | undefined {
    this.expire(half.at);
    const key = `${half.inferenceService}\u0000${half.id}`;
    const other = this.pending.get(key);
    if (other !== undefined && other.kind !== half.kind) {
      this.remove(key, other);
      this.joined++;
      return half.kind === 'request' ? { request: half, response: other } : { request: other, response: half };
    }
    if (other !== undefined) {
      this.losses.duplicate++;
      return undefined;
    }
    if (this.pending.size >= this.limits.maxPending || this.bytes + half.body.length > this.limits.maxPendingBytes) {
      this.losses.pending_full++;
      return undefined;
    }
    this.pending.set(key, half);
    this.bytes += half.body.length;
    return undefined;
  }

  /** Drops (and counts) the halves that waited longer than the timeout. */
  expire(now: number): void {
    for (const [key, half] of this.pending) {
      if (now - half.at < this.limits.timeoutMs) break;
      this.remove(key, half);
      this.losses[half.kind === 'request' ? 'unmatched_request' : 'unmatched_response']++;
    }
  }

  /** Halves waiting, and the bytes they hold. */
  get waiting(): { halves: number; bytes: number } {
    return { halves: this.pending.size, bytes: this.bytes };
  }

  private remove(key: string, half: LoggedHalf): void {
    this.pending.delete(key);
    this.bytes -= half.body.length;
  }
}

/** Limits on work admitted at once (config `api.maxConcurrentRequests`, `api.maxEventLoopDelayMs`; the collector's `receiver.*`). */
export interface LoadLimits {
  maxConcurrentRequests: number;
  maxEventLoopDelayMs: number;
  /** Body bytes all admitted requests may hold together (after decoding); unset: no byte budget. */
  maxBytesInFlight?: number;
}

/** One admitted request: the body bytes it holds, released with it. */
export interface Admission {
  /** Claims `bytes` more of the byte budget; false (and nothing claimed) when that would exceed it. */
  take: (bytes: number) => boolean;
  /** Ends the request and returns its bytes; call exactly once (later calls do nothing). */
  release: () => void;
}

/** Why a request was not admitted. */
export type ShedReason = 'concurrency' | 'event_loop_delay' | 'bytes_in_flight';

/** How often the event loop's delay is sampled. */
const SAMPLE_MS = 20;

/**
 * Admission control for an ingest API: refuses a request up front, before its body is read, when
 * too many are in progress (bounds memory: at most `maxConcurrentRequests` bodies are held) or
 * when the event loop lags (bounds the latency of what is admitted). A refused request is answered
 * at once and its body discarded as it arrives, so the process keeps its capacity for the requests
 * it takes in.
 */
export class LoadShedder {
  private inFlight = 0;
  private bytesInFlight = 0;
  /** The event loop's recent delay, ms: the last sample, decaying slowly after a spike. */
  private delayMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private expectedAt = 0;

  constructor(private readonly limits: LoadLimits) {}

  /** Starts sampling the event loop's delay; the timer never keeps the process alive. */
  start(): void {
    if (this.timer !== undefined) return;
    this.expectedAt = performance.now() + SAMPLE_MS;
    this.timer = setInterval(() => {
      const now = performance.now();
      const lag = Math.max(0, now - this.expectedAt);
      this.expectedAt = now + SAMPLE_MS;
      this.delayMs = Math.max(lag, this.delayMs * 0.5);
    }, SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The reason to refuse a new request now, if any; `declaredBytes` is its Content-Length when it has one. */
  shouldShed(declaredBytes = 0): ShedReason | undefined {
    if (this.inFlight >= this.limits.maxConcurrentRequests) return 'concurrency';
    if (this.delayMs > this.limits.maxEventLoopDelayMs) return 'event_loop_delay';
    const budget = this.limits.maxBytesInFlight;
    if (budget !== undefined && this.bytesInFlight + declaredBytes > budget) return 'bytes_in_flight';
    return undefined;
  }

  /** Counts a request in; release the admission exactly once when it is done. */
  admit(): Admission {
    this.inFlight++;
    let held = 0;
    let done = false;
    return {
      take: (bytes) => {
        const budget = this.limits.maxBytesInFlight;
        if (done || (budget !== undefined && this.bytesInFlight + bytes > budget)) return false;
        held += bytes;
        this.bytesInFlight += bytes;
        return true;
      },
      release: () => {
        if (done) return;
        done = true;
        this.inFlight--;
        this.bytesInFlight -= held;
      },
    };
  }

  /** Requests in progress, the body bytes they hold, and the event loop's recent delay, for status. */
  status(): { inFlight: number; bytesInFlight: number; eventLoopDelayMs: number } {
    return { inFlight: this.inFlight, bytesInFlight: this.bytesInFlight, eventLoopDelayMs: Math.round(this.delayMs * 10) / 10 };
  }
}

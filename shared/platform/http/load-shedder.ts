/** Limits on work admitted at once (config `api.maxConcurrentRequests`, `api.maxEventLoopDelayMs`). */
export interface LoadLimits {
  maxConcurrentRequests: number;
  maxEventLoopDelayMs: number;
}

/** Why a request was not admitted. */
export type ShedReason = 'concurrency' | 'event_loop_delay';

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

  /** The reason to refuse a new request now, if any. */
  shouldShed(): ShedReason | undefined {
    if (this.inFlight >= this.limits.maxConcurrentRequests) return 'concurrency';
    if (this.delayMs > this.limits.maxEventLoopDelayMs) return 'event_loop_delay';
    return undefined;
  }

  /** Counts a request in; call the returned function exactly once when it is done. */
  admit(): () => void {
    this.inFlight++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inFlight--;
    };
  }

  /** Requests in progress and the event loop's recent delay, for status. */
  status(): { inFlight: number; eventLoopDelayMs: number } {
    return { inFlight: this.inFlight, eventLoopDelayMs: Math.round(this.delayMs * 10) / 10 };
  }
}

/** Told of a job that threw or rejected, with the job's stage name. */
export type TimerErrorHandler<Stage extends string = string> = (stage: Stage, err: unknown) => void;

/**
 * Interval timers that never keep the process up, cleared together. A job that throws or returns
 * a rejected promise goes to the error handler: a timer loop never crashes the process and never
 * leaves an unhandled rejection.
 */
export class Timers<Stage extends string = string> {
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly onError: TimerErrorHandler<Stage>) {}

  /** Runs `fn` every `ms`; `stage` names it to the error handler. */
  every(ms: number, stage: Stage, fn: () => unknown): void {
    const t = setInterval(() => this.run(stage, fn), ms);
    t.unref();
    this.timers.push(t);
  }

  clear(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  private run(stage: Stage, fn: () => unknown): void {
    try {
      const result = fn();
      if (result instanceof Promise) result.catch((err: unknown) => this.report(stage, err));
    } catch (err) {
      this.report(stage, err);
    }
  }

  private report(stage: Stage, err: unknown): void {
    try {
      this.onError(stage, err);
    } catch {
      // The handler itself failed (a closed logger): nothing is left to tell.
    }
  }
}

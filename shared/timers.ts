/** Interval timers that never keep the process up, cleared together. */
export class Timers {
  private timers: NodeJS.Timeout[] = [];

  /** Runs `fn` every `ms`. */
  every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  clear(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }
}

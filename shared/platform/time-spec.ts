/**
 * A point in time as people write it on a command line or in a query: an ISO 8601 time
 * (`2026-12-06T03:00:00Z`, `2026-12-06`) or a duration back from now (`90m`, `6h`, `14d`).
 */
const DURATION = /^(\d+(?:\.\d+)?)\s*(m|min|h|d|w)$/;
const UNIT_MS: Record<string, number> = { m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Epoch milliseconds, or a message saying what is wrong with `text`. */
export function parseTimeSpec(text: string, nowMs: number): number | string {
  const t = text.trim();
  const duration = DURATION.exec(t);
  if (duration !== null) return nowMs - Number(duration[1]) * UNIT_MS[duration[2]!]!;
  if (/^\d{4}-\d{2}-\d{2}/.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return ms;
  }
  return `'${t.slice(0, 40)}' is neither an ISO 8601 time (2026-12-06T03:00:00Z) nor a duration back from now (90m, 6h, 14d)`;
}

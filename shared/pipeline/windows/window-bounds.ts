/** Start of the tumbling window holding `timestampMs`: windows are aligned to epoch multiples. */
export function windowStart(timestampMs: number, windowMs: number): number {
  return Math.floor(timestampMs / windowMs) * windowMs;
}

/** The longest inference id taken (events, sources, labels). */
export const MAX_ID_LENGTH = 256;

/** An inference id as events and labels carry it: a string or number of 1 to 256 characters, as text; undefined when it is not one. */
export function inferenceId(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const id = String(value);
  return id === '' || id.length > MAX_ID_LENGTH ? undefined : id;
}

/** A timestamp field as epoch milliseconds: a number, or an ISO-8601 string; NaN for anything else. */
export function timestampMs(value: unknown): number {
  return typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : NaN;
}

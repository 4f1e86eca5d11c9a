/** Text that means "no value" in CSV and JSON inputs (compared after trimming, case-insensitively). */
export const MISSING_TEXT: ReadonlySet<string> = new Set(['', 'na', 'n/a', 'nan', 'null', 'none']);

const NUMBER_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?(?:Infinity|inf)$/i;

/** True for null, undefined, NaN and the missing-value spellings (empty, NA, N/A, NaN, null, None). */
export function isMissing(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'number') return Number.isNaN(value);
  if (typeof value === 'string') return MISSING_TEXT.has(value.trim().toLowerCase());
  return false;
}

/** The number a value stands for (a JSON number or numeric text), or undefined if it is not one. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (!NUMBER_TEXT.test(text)) return undefined;
    const lower = text.toLowerCase();
    if (lower.endsWith('inf') || lower.endsWith('infinity')) return lower.startsWith('-') ? -Infinity : Infinity;
    return Number(text);
  }
  return undefined;
}

/**
 * The category a value stands for: strings as they are, except that numeric text and numbers take
 * one canonical form ("1.0", "01" and 1 are all "1") so CSV and JSON inputs agree; booleans as
 * "true"/"false"; undefined for arrays and objects.
 */
export function toCategory(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const x = toNumber(value);
    return x === undefined ? value : String(x);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** A short, safe preview of an offending value for error messages (never logged in telemetry). */
export function preview(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  } catch {
    text = '(a value nested too deep to show)'; // JSON.stringify recurses: a hostile depth overflows the stack
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** A JSON object (not an array, not null): what every source checks a parsed body or field is. */
export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

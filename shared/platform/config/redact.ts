/** Config keys whose values are secrets: never printed, logged or shown in status. */
const SECRET_KEY = /token|secret|password|authorization|credential/i;

/** A deep copy of a config with every secret value replaced by `[redacted]`, for dumps. */
export function redactSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => redactSecrets(v)) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && v !== undefined ? '[redacted]' : redactSecrets(v as unknown)])) as T;
}

/** pino redaction paths for the same keys, up to three levels deep. */
export const LOG_REDACT_PATHS = ['token', 'authorization', 'secret', 'password'].flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]);

import { hasCode } from '../../platform/errors.js';
import type { OtlpSendError } from '../egress/egress.js';

/** How a failed send should be treated. */
export interface FailureClass {
  /** Worth trying again later (network trouble, 5xx, throttling). */
  retriable: boolean;
  /** The service asked us to slow down. */
  throttled: boolean;
}

const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'ThrottledException', 'TooManyRequestsException',
  'RequestLimitExceeded', 'RequestThrottled', 'RequestThrottledException', 'SlowDown']);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH',
  'ENETUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * The one place that decides whether a send failure is retried. Throttling and server or network
 * faults are retried; a request the service rejects as invalid (4xx) is not, since sending the
 * same bytes again cannot succeed.
 */
export function classifyFailure(err: unknown): FailureClass {
  // The allowlist refused the payload: sending it again would be refused again.
  if (hasCode(err, 'DW_ERR_EGRESS_REFUSED')) return { retriable: false, throttled: false };
  if (hasCode(err, 'DW_ERR_OTLP_SEND')) {
    // An OTLP receiver's HTTP status: a refused token or certificate can be fixed, so keep trying.
    const s = (err as OtlpSendError).httpStatus;
    if (s === 429) return { retriable: true, throttled: true };
    // No status: the receiver was not reached (refused, reset, timed out), which passes.
    return { retriable: s === undefined || s >= 500 || s === 401 || s === 403 || s === 408, throttled: false };
  }
  // The AWS SDK names a service error by the service's error code (`ThrottlingException`), and
  // Node's network errors carry a system code (`ECONNRESET`): both are codes, not class names.
  const e = err as { name?: string; code?: string | number; $metadata?: { httpStatusCode?: number }; $retryable?: { throttling?: boolean }; cause?: unknown };
  const status = e.$metadata?.httpStatusCode;
  if (THROTTLING.has(e.name ?? '') || e.$retryable?.throttling === true || status === 429) return { retriable: true, throttled: true };
  if (status !== undefined && status >= 500) return { retriable: true, throttled: false };
  if (status !== undefined && status >= 400) {
    // Credentials that expired or could not be fetched can come back; a malformed request cannot.
    const auth = /ExpiredToken|RequestExpired|InvalidClientTokenId|UnrecognizedClient|AccessDenied/.test(e.name ?? '');
    return { retriable: auth, throttled: false };
  }
  const code = String(e.code ?? (e.cause as { code?: string } | undefined)?.code ?? '');
  if (NETWORK.has(code) || e.name === 'TimeoutError' || e.name === 'CredentialsProviderError' || e.name === 'AbortError') {
    return { retriable: true, throttled: false };
  }
  // Unknown errors: retry rather than lose data; the backoff bounds the cost.
  return { retriable: true, throttled: false };
}

/**
 * Delay before retry `attempt` (1-based): exponential with "equal jitter" (half fixed, half random), from 0.5 s (2 s when
 * throttled) up to 60 s. `random` is in [0, 1).
 */
export function backoffMs(attempt: number, throttled: boolean, random: number): number {
  const base = throttled ? 2000 : 500;
  const ceiling = Math.min(60_000, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random * ceiling) / 2);
}

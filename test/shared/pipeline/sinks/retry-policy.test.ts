import { describe, expect, it } from 'vitest';
import { EgressRefusedError, OtlpSendError } from '../../../../shared/pipeline/egress/egress.js';
import { backoffMs, classifyFailure } from '../../../../shared/pipeline/sinks/retry-policy.js';

describe('classifyFailure', () => {
  it('retries throttling as throttled', () => {
    expect(classifyFailure({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } })).toEqual({ retriable: true, throttled: true });
    expect(classifyFailure({ name: 'X', $metadata: { httpStatusCode: 429 } })).toEqual({ retriable: true, throttled: true });
  });
  it('retries server and network faults', () => {
    expect(classifyFailure({ name: 'InternalServiceFault', $metadata: { httpStatusCode: 500 } }).retriable).toBe(true);
    expect(classifyFailure(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })).retriable).toBe(true);
    expect(classifyFailure({ name: 'TimeoutError' }).retriable).toBe(true);
  });
  it('does not retry a request the service refuses as invalid, but does retry expired credentials', () => {
    expect(classifyFailure({ name: 'InvalidParameterValueException', $metadata: { httpStatusCode: 400 } })).toEqual({ retriable: false, throttled: false });
    expect(classifyFailure({ name: 'ExpiredTokenException', $metadata: { httpStatusCode: 403 } }).retriable).toBe(true);
  });
  it('reads an OTLP receiver\'s status: retries 5xx, 429, and a refused token; not a refused payload', () => {
    // What the exporter reports (an OTLPExporterError with the HTTP status as `code`), as the egress door passes it on.
    const otlp = (code: number): unknown => OtlpSendError.from(Object.assign(new Error(`Bad Request`), { name: 'OTLPExporterError', code }));
    expect(classifyFailure(otlp(503))).toEqual({ retriable: true, throttled: false });
    expect(classifyFailure(otlp(429))).toEqual({ retriable: true, throttled: true });
    expect(classifyFailure(otlp(401)).retriable).toBe(true);
    expect(classifyFailure(otlp(403)).retriable).toBe(true);
    expect(classifyFailure(otlp(400))).toEqual({ retriable: false, throttled: false });
    expect(classifyFailure(otlp(413)).retriable).toBe(false);
  });
  it('decides the product\'s own errors by their code: an egress refusal never, an unreached OTLP receiver always', () => {
    expect(classifyFailure(new EgressRefusedError('egress refused: a raw value'))).toEqual({ retriable: false, throttled: false });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4318'), { code: 'ECONNREFUSED' });
    expect(classifyFailure(OtlpSendError.from(refused))).toEqual({ retriable: true, throttled: false });
    // A foreign error that merely calls itself EgressRefusedError is not one (the old name match retried nothing).
    expect(classifyFailure({ name: 'EgressRefusedError', $metadata: { httpStatusCode: 503 } }).retriable).toBe(true);
  });
});

describe('backoffMs', () => {
  it('grows exponentially between half and all of the ceiling, capped at 60 s', () => {
    expect(backoffMs(1, false, 0)).toBe(250);
    expect(backoffMs(1, false, 0.999999)).toBe(500);
    expect(backoffMs(4, false, 0)).toBe(2000);
    expect(backoffMs(30, false, 0.5)).toBe(45_000);
  });
  it('starts higher when throttled', () => {
    expect(backoffMs(1, true, 0)).toBeGreaterThan(backoffMs(1, false, 0.999));
  });
});

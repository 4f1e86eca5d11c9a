import protobuf from 'protobufjs';
import { DwError } from '../../shared/platform/errors.js';

/**
 * Decoding OTLP/HTTP metrics requests (protobuf or JSON) into plain data points. The protobuf
 * schema is the subset of opentelemetry/proto/{collector/metrics,metrics,common,resource}/v1 the
 * collector reads, with the official field numbers; fields it does not name are skipped, as
 * protobuf allows. The test suite checks it against the official definitions.
 */
const kv = { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } };
const ROOT = protobuf.Root.fromJSON({
  nested: {
    ExportMetricsServiceRequest: { fields: { resourceMetrics: { rule: 'repeated', type: 'ResourceMetrics', id: 1 } } },
    ExportMetricsServiceResponse: { fields: { partialSuccess: { type: 'ExportMetricsPartialSuccess', id: 1 } } },
    Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 } } },
    ExportMetricsPartialSuccess: { fields: { rejectedDataPoints: { type: 'int64', id: 1 }, errorMessage: { type: 'string', id: 2 } } },
    ResourceMetrics: { fields: { resource: { type: 'Resource', id: 1 }, scopeMetrics: { rule: 'repeated', type: 'ScopeMetrics', id: 2 } } },
    Resource: { fields: { attributes: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
    ScopeMetrics: { fields: { metrics: { rule: 'repeated', type: 'Metric', id: 2 } } },
    Metric: {
      oneofs: { data: { oneof: ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] } },
      fields: {
        name: { type: 'string', id: 1 },
        gauge: { type: 'Gauge', id: 5 },
        sum: { type: 'Sum', id: 7 },
        histogram: { type: 'Histogram', id: 9 },
        exponentialHistogram: { type: 'Opaque', id: 10 },
        summary: { type: 'Opaque', id: 11 },
      },
    },
    Opaque: { fields: {} },
    Gauge: { fields: { dataPoints: { rule: 'repeated', type: 'NumberDataPoint', id: 1 } } },
    Sum: { fields: { dataPoints: { rule: 'repeated', type: 'NumberDataPoint', id: 1 }, aggregationTemporality: { type: 'int32', id: 2 }, isMonotonic: { type: 'bool', id: 3 } } },
    Histogram: { fields: { dataPoints: { rule: 'repeated', type: 'HistogramDataPoint', id: 1 }, aggregationTemporality: { type: 'int32', id: 2 } } },
    NumberDataPoint: {
      oneofs: { value: { oneof: ['asDouble', 'asInt'] } },
      fields: {
        attributes: { rule: 'repeated', type: 'KeyValue', id: 7 },
        startTimeUnixNano: { type: 'fixed64', id: 2 },
        timeUnixNano: { type: 'fixed64', id: 3 },
        asDouble: { type: 'double', id: 4 },
        asInt: { type: 'sfixed64', id: 6 },
      },
    },
    HistogramDataPoint: {
      fields: {
        attributes: { rule: 'repeated', type: 'KeyValue', id: 9 },
        startTimeUnixNano: { type: 'fixed64', id: 2 },
        timeUnixNano: { type: 'fixed64', id: 3 },
        count: { type: 'fixed64', id: 4 },
        sum: { type: 'double', id: 5 },
        bucketCounts: { rule: 'repeated', type: 'fixed64', id: 6 },
        explicitBounds: { rule: 'repeated', type: 'double', id: 7 },
      },
    },
    KeyValue: { fields: kv },
    AnyValue: {
      oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] } },
      fields: {
        stringValue: { type: 'string', id: 1 },
        boolValue: { type: 'bool', id: 2 },
        intValue: { type: 'int64', id: 3 },
        doubleValue: { type: 'double', id: 4 },
        arrayValue: { type: 'Opaque', id: 5 },
        kvlistValue: { type: 'Opaque', id: 6 },
        bytesValue: { type: 'bytes', id: 7 },
      },
    },
  },
});
const REQUEST = ROOT.lookupType('ExportMetricsServiceRequest');
const RESPONSE = ROOT.lookupType('ExportMetricsServiceResponse');
const STATUS = ROOT.lookupType('Status');

/** An attribute value as the collector reads it. */
export type AttributeValue = string | number | boolean;

/** One data point of a sum or histogram, flattened. */
export interface DataPoint {
  metric: string;
  kind: 'sum' | 'histogram' | 'gauge' | 'other';
  /** 1 = delta, 2 = cumulative, 0 = unspecified. */
  temporality: number;
  attributes: Record<string, AttributeValue>;
  startNs: bigint;
  endNs: bigint;
  /** Sum and gauge value. */
  value?: number;
  /** Histogram fields. */
  count?: number;
  /** The histogram's sum, when it carries one. */
  sum?: number;
  bucketCounts?: number[];
  bounds?: number[];
}

/** The points of one resource (one sender). */
export interface ResourcePoints {
  resource: Record<string, AttributeValue>;
  points: DataPoint[];
}

/** A body that is not an OTLP metrics request at all (answered with 400). */
export class OtlpDecodeError extends DwError {
  override readonly name = 'OtlpDecodeError';

  constructor(message: string) {
    super('DW_ERR_API_BODY', message);
  }
}

type Obj = Record<string, unknown>;
/**
 * Whether a field was sent: an own property (JSON's keys; a decoded message's set fields, whose
 * unset ones read their defaults from the prototype: '' for a string, 0 for a number).
 */
const has = (o: Obj, key: string): boolean => Object.hasOwn(o, key) && o[key] !== undefined;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown, what: string): unknown[] => {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new OtlpDecodeError(`${what} must be an array`);
  return v;
};

/** A 64-bit integer as protobufjs decodes it (long.js). */
interface Long { low: number; high: number; unsigned: boolean; toNumber(): number }
const isLong = (v: unknown): v is Long => typeof v === 'object' && v !== null && typeof (v as Long).low === 'number' && typeof (v as Long).high === 'number';

function toNumber(v: unknown, what: string): number {
  const n = typeof v === 'number' ? v : isLong(v) ? v.toNumber() : typeof v === 'string' && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new OtlpDecodeError(`${what} is not a number`);
  return n;
}

function toNanos(v: unknown, what: string): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (isLong(v) && (v.unsigned || v.high >= 0)) return (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) return BigInt(v);
  throw new OtlpDecodeError(`${what} is not a time in nanoseconds`);
}

function attributes(v: unknown, what: string): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const item of list(v, what)) {
    if (!isObj(item) || typeof item.key !== 'string') throw new OtlpDecodeError(`${what}: an attribute without a key`);
    const value = isObj(item.value) ? item.value : {};
    if (has(value, 'stringValue') && typeof value.stringValue === 'string') out[item.key] = value.stringValue;
    else if (has(value, 'boolValue') && typeof value.boolValue === 'boolean') out[item.key] = value.boolValue;
    else if (has(value, 'intValue')) out[item.key] = toNumber(value.intValue, `${what}.${item.key}`);
    else if (has(value, 'doubleValue')) out[item.key] = toNumber(value.doubleValue, `${what}.${item.key}`);
  }
  return out;
}

/**
 * Flattens a request object (a decoded protobuf message, or OTLP JSON) into points per resource.
 * A decoded message is read as it is, without a copy to plain objects: its 64-bit integers are
 * long.js values, its unset message and oneof fields null, its repeated fields arrays.
 */
function flatten(request: unknown): ResourcePoints[] {
  if (!isObj(request)) throw new OtlpDecodeError('the body is not an ExportMetricsServiceRequest object');
  return list(request.resourceMetrics, 'resourceMetrics').map((rm, r) => {
    if (!isObj(rm)) throw new OtlpDecodeError(`resourceMetrics[${r}] is not an object`);
    const resource = attributes(isObj(rm.resource) ? rm.resource.attributes : undefined, `resourceMetrics[${r}].resource`);
    const points: DataPoint[] = [];
    list(rm.scopeMetrics, `resourceMetrics[${r}].scopeMetrics`).forEach((sm, s) => {
      if (!isObj(sm)) throw new OtlpDecodeError(`resourceMetrics[${r}].scopeMetrics[${s}] is not an object`);
      list(sm.metrics, 'metrics').forEach((m, k) => {
        const where = `resourceMetrics[${r}].scopeMetrics[${s}].metrics[${k}]`;
        if (!isObj(m) || typeof m.name !== 'string') throw new OtlpDecodeError(`${where} has no name`);
        const data = isObj(m.histogram) ? m.histogram : isObj(m.sum) ? m.sum : isObj(m.gauge) ? m.gauge : undefined;
        const kind: DataPoint['kind'] = isObj(m.histogram) ? 'histogram' : isObj(m.sum) ? 'sum' : isObj(m.gauge) ? 'gauge' : 'other';
        if (data === undefined) {
          points.push({ metric: m.name, kind, temporality: 0, attributes: {}, startNs: 0n, endNs: 0n });
          return;
        }
        const temporality = data.aggregationTemporality === undefined ? 0 : toNumber(data.aggregationTemporality, `${where}.aggregationTemporality`);
        list(data.dataPoints, `${where}.dataPoints`).forEach((dp, d) => {
          const at = `${where}.dataPoints[${d}]`;
          if (!isObj(dp)) throw new OtlpDecodeError(`${at} is not an object`);
          const point: DataPoint = {
            metric: m.name as string, kind, temporality, attributes: attributes(dp.attributes, `${at}.attributes`),
            startNs: toNanos(dp.startTimeUnixNano, `${at}.startTimeUnixNano`), endNs: toNanos(dp.timeUnixNano, `${at}.timeUnixNano`),
          };
          if (kind === 'histogram') {
            point.count = dp.count === undefined ? 0 : toNumber(dp.count, `${at}.count`);
            if (has(dp, 'sum') && dp.sum !== null) point.sum = toNumber(dp.sum, `${at}.sum`);
            point.bucketCounts = list(dp.bucketCounts, `${at}.bucketCounts`).map((c) => toNumber(c, `${at}.bucketCounts`));
            point.bounds = list(dp.explicitBounds, `${at}.explicitBounds`).map((b) => toNumber(b, `${at}.explicitBounds`));
          } else {
            const raw = has(dp, 'asInt') ? dp.asInt : has(dp, 'asDouble') ? dp.asDouble : undefined;
            point.value = raw === undefined ? 0 : toNumber(raw, `${at}.value`);
          }
          points.push(point);
        });
      });
    });
    return { resource, points };
  });
}

/** Decodes an `application/x-protobuf` body. */
export function decodeProtobuf(body: Uint8Array): ResourcePoints[] {
  let message;
  try {
    message = REQUEST.decode(body);
  } catch (err) {
    throw new OtlpDecodeError(`not an OTLP protobuf ExportMetricsServiceRequest: ${(err as Error).message}`);
  }
  return flatten(message);
}

/** Decodes an `application/json` body (OTLP JSON encoding). */
export function decodeJson(body: string): ResourcePoints[] {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    throw new OtlpDecodeError(`malformed JSON: ${(err as Error).message}`);
  }
  return flatten(value);
}

/** An ExportMetricsServiceResponse, with partial success when some points were refused. */
export function encodeResponse(kind: 'protobuf' | 'json', rejected: number, message: string): Uint8Array | string {
  const partial = rejected > 0 || message !== '';
  if (kind === 'json') return JSON.stringify(partial ? { partialSuccess: { rejectedDataPoints: String(rejected), errorMessage: message } } : {});
  return RESPONSE.encode(RESPONSE.fromObject(partial ? { partialSuccess: { rejectedDataPoints: rejected, errorMessage: message } } : {})).finish();
}

/** A google.rpc.Status, the body OTLP/HTTP gives a refused request. `code` is a gRPC code (3 = invalid argument). */
export function encodeStatus(kind: 'protobuf' | 'json', code: number, message: string): Uint8Array | string {
  if (kind === 'json') return JSON.stringify({ code, message });
  return STATUS.encode(STATUS.fromObject({ code, message })).finish();
}

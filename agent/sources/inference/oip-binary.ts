/**
 * Triton's binary tensor extension of the Open Inference Protocol: a body is a JSON header of
 * `Inference-Header-Content-Length` bytes followed by the raw data of every tensor whose
 * `parameters.binary_data_size` is set, in the order the tensors are listed. Numbers are
 * little-endian; a BYTES element is a 4-byte little-endian length and its bytes. Pure: puts each
 * tensor's elements into its `data` so the JSON path reads it, or says why it cannot.
 */
import { isPlainObject } from '../json-value.js';


/** Bytes per element of the fixed-size datatypes, and how one is read. */
const FIXED: Readonly<Record<string, { size: number; read: (b: Buffer, at: number) => number | boolean }>> = {
  BOOL: { size: 1, read: (b, at) => b[at] !== 0 },
  UINT8: { size: 1, read: (b, at) => b.readUInt8(at) },
  INT8: { size: 1, read: (b, at) => b.readInt8(at) },
  UINT16: { size: 2, read: (b, at) => b.readUInt16LE(at) },
  INT16: { size: 2, read: (b, at) => b.readInt16LE(at) },
  UINT32: { size: 4, read: (b, at) => b.readUInt32LE(at) },
  INT32: { size: 4, read: (b, at) => b.readInt32LE(at) },
  UINT64: { size: 8, read: (b, at) => Number(b.readBigUInt64LE(at)) },
  INT64: { size: 8, read: (b, at) => Number(b.readBigInt64LE(at)) },
  FP16: { size: 2, read: (b, at) => half(b.readUInt16LE(at)) },
  FP32: { size: 4, read: (b, at) => b.readFloatLE(at) },
  FP64: { size: 8, read: (b, at) => b.readDoubleLE(at) },
};

/** An IEEE 754 half-precision number. */
function half(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** The elements of one tensor's binary data. */
function decode(datatype: unknown, bytes: Buffer, name: string): unknown[] | string {
  if (datatype === 'BYTES') {
    const out: string[] = [];
    for (let at = 0; at < bytes.length;) {
      if (at + 4 > bytes.length) return `tensor '${name}': BYTES element ${out.length} has a cut length prefix`;
      const length = bytes.readUInt32LE(at);
      if (at + 4 + length > bytes.length) return `tensor '${name}': BYTES element ${out.length} runs past its data`;
      out.push(bytes.toString('utf8', at + 4, at + 4 + length));
      at += 4 + length;
    }
    return out;
  }
  const fixed = typeof datatype === 'string' ? FIXED[datatype] : undefined;
  if (fixed === undefined) return `tensor '${name}': datatype '${String(datatype).slice(0, 20)}' is not an OIP datatype`;
  if (bytes.length % fixed.size !== 0) return `tensor '${name}': ${bytes.length} bytes is not a whole number of ${String(datatype)} elements`;
  const out: unknown[] = new Array(bytes.length / fixed.size);
  for (let i = 0; i < out.length; i++) out[i] = fixed.read(bytes, i * fixed.size);
  return out;
}

/**
 * A body of the binary extension as JSON whose binary tensors carry their elements in `data`.
 * `headerLength` is the `Inference-Header-Content-Length` header; `field` is `inputs` for a
 * request, `outputs` for a response.
 */
export function readBinaryBody(body: Buffer, headerLength: number, field: 'inputs' | 'outputs'): { value: unknown } | { problem: string } {
  if (!Number.isSafeInteger(headerLength) || headerLength < 0 || headerLength > body.length) {
    return { problem: `Inference-Header-Content-Length ${headerLength} does not fit a body of ${body.length} bytes` };
  }
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8', 0, headerLength));
  } catch {
    return { problem: 'the JSON header of a binary body is not JSON' };
  }
  const tensors = isPlainObject(value) && Array.isArray(value[field]) ? (value[field] as unknown[]) : [];
  let at = headerLength;
  for (const t of tensors) {
    if (!isPlainObject(t) || !isPlainObject(t.parameters) || t.parameters.binary_data_size === undefined) continue;
    const size = t.parameters.binary_data_size;
    const name = String(t.name).slice(0, 100);
    if (!Number.isSafeInteger(size) || (size as number) < 0 || at + (size as number) > body.length) {
      return { problem: `tensor '${name}': binary_data_size ${JSON.stringify(size)} runs past the body` };
    }
    const data = decode(t.datatype, body.subarray(at, at + (size as number)), name);
    if (typeof data === 'string') return { problem: data };
    t.data = data;
    at += size as number;
  }
  if (at !== body.length) return { problem: `${body.length - at} bytes after the last binary tensor` };
  return { value };
}

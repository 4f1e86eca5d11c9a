/**
 * Open Inference Protocol v2 tensors as JSON carries them (`inputs` of an infer request,
 * `outputs` of its response): `{name, shape, datatype, data}`, `data` in row-major order, flat or
 * nested. Pure: turns one tensor into rows, or says why it cannot.
 */
import { isPlainObject } from '../json-value.js';

/** The OIP datatypes, and the JSON type their elements take. */
const DATATYPES: Readonly<Record<string, 'number' | 'boolean' | 'string'>> = {
  BOOL: 'boolean', UINT8: 'number', UINT16: 'number', UINT32: 'number', UINT64: 'number', INT8: 'number', INT16: 'number',
  INT32: 'number', INT64: 'number', FP16: 'number', FP32: 'number', FP64: 'number', BYTES: 'string',
};

/** Most elements one tensor may hold here (a request body is bounded before this anyway). */
const MAX_ELEMENTS = 50_000_000;

/** One tensor of a request or response, checked. */
export interface Tensor {
  name: string;
  shape: number[];
  datatype: string;
  /** The elements, flattened in row-major order. */
  data: unknown[];
}


/** Flattens nested arrays up to `depth` levels, without recursion. */
function flatten(data: unknown, depth: number): unknown[] | undefined {
  if (!Array.isArray(data)) return undefined;
  let level: unknown[] = data;
  for (let d = 1; d < depth && level.some(Array.isArray); d++) {
    const next: unknown[] = [];
    for (const x of level) {
      if (Array.isArray(x)) for (const y of x as unknown[]) next.push(y);
      else next.push(x);
    }
    level = next;
  }
  return level;
}

/** A tensor from its JSON, checked: shape, datatype, element count and element types. Returns why not, naming the tensor. */
export function readTensor(value: unknown, where: string): Tensor | string {
  if (!isPlainObject(value)) return `${where} is not a tensor object`;
  const name = typeof value.name === 'string' ? value.name : undefined;
  if (name === undefined) return `${where} has no name`;
  const at = `tensor '${name.slice(0, 100)}'`;
  const { shape, datatype } = value;
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    return `${at}: shape must be a non-empty list of non-negative integers`;
  }
  if (typeof datatype !== 'string' || DATATYPES[datatype] === undefined) return `${at}: datatype '${String(datatype).slice(0, 20)}' is not an OIP datatype`;
  const size = (shape as number[]).reduce((a, b) => a * b, 1);
  if (size > MAX_ELEMENTS) return `${at}: ${size} elements is more than ${MAX_ELEMENTS}`;
  const data = flatten(value.data, shape.length);
  if (data === undefined) return `${at}: data must be a list`;
  if (data.length !== size) return `${at}: shape ${JSON.stringify(shape)} holds ${size} elements, data has ${data.length}`;
  const kind = DATATYPES[datatype];
  const bad = data.findIndex((x) => typeof x !== kind);
  if (bad >= 0) return `${at}: element ${bad} is not a ${kind} (datatype ${datatype})`;
  return { name, shape: shape as number[], datatype, data };
}

/** The tensor's rows: the first dimension is the batch; a row holds the product of the others (1 for a `[N]` tensor). */
export function tensorRows(t: Tensor): { batch: number; width: number; row: (i: number) => unknown[] } {
  const batch = t.shape[0]!;
  const width = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return { batch, width, row: (i) => t.data.slice(i * width, (i + 1) * width) };
}

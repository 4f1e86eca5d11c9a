import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readBinaryBody } from '../../../../agent/sources/inference/oip-binary.js';
import { readTensor } from '../../../../agent/sources/inference/oip-tensor.js';

/** Bodies made by Triton's own client library (scripts/make-triton-binary-fixtures.py), with NumPy's values. */
interface Case {
  name: string;
  side: 'inputs' | 'outputs';
  body: string;
  headerLength: number;
  tensors: Record<string, { datatype: string; shape: number[]; data: unknown[] }>;
}
const fixtures = JSON.parse(readFileSync(new URL('../../../fixtures/triton-binary.json', import.meta.url), 'utf8')) as { cases: Case[] };

describe("readBinaryBody (Triton's binary tensor extension)", () => {
  for (const c of fixtures.cases) {
    it(`reads what tritonclient wrote: ${c.name}`, () => {
      const read = readBinaryBody(Buffer.from(c.body, 'base64'), c.headerLength, c.side);
      expect('value' in read).toBe(true);
      const tensors = (read as { value: Record<string, unknown[]> }).value[c.side]!.map((t, i) => readTensor(t, `${c.side}[${i}]`));
      const byName = Object.fromEntries(tensors.map((t) => {
        if (typeof t === 'string') throw new TypeError(t);
        return [t.name, { datatype: t.datatype, shape: t.shape, data: t.data }];
      }));
      expect(byName).toEqual(c.tensors);
    });
  }

  it('says why a body does not hold together, naming the tensor', () => {
    const c = fixtures.cases[0]!;
    const body = Buffer.from(c.body, 'base64');
    expect(readBinaryBody(body, body.length + 1, 'inputs')).toEqual({ problem: `Inference-Header-Content-Length ${body.length + 1} does not fit a body of ${body.length} bytes` });
    expect(readBinaryBody(body, 5, 'inputs')).toEqual({ problem: 'the JSON header of a binary body is not JSON' });
    expect(readBinaryBody(body.subarray(0, body.length - 4), c.headerLength, 'inputs')).toEqual({ problem: "tensor 'input-0': binary_data_size 80 runs past the body" });
    expect(readBinaryBody(Buffer.concat([body, Buffer.alloc(3)]), c.headerLength, 'inputs')).toEqual({ problem: '3 bytes after the last binary tensor' });
    const header = Buffer.from(JSON.stringify({ inputs: [{ name: 'odd', datatype: 'FP32', shape: [1], parameters: { binary_data_size: 3 } }] }));
    expect(readBinaryBody(Buffer.concat([header, Buffer.alloc(3)]), header.length, 'inputs')).toEqual({ problem: "tensor 'odd': 3 bytes is not a whole number of FP32 elements" });
    const bytes = Buffer.from(JSON.stringify({ inputs: [{ name: 's', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: 6 } }] }));
    const cut = Buffer.alloc(6);
    cut.writeUInt32LE(10, 0);
    expect(readBinaryBody(Buffer.concat([bytes, cut]), bytes.length, 'inputs')).toEqual({ problem: "tensor 's': BYTES element 0 runs past its data" });
  });
});

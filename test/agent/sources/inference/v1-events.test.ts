import { describe, expect, it } from 'vitest';
import { v1Events } from '../../../../agent/sources/inference/v1-events.js';

// KServe's v1 protocol: {"instances": [...]} in, {"predictions": [...]} out, one prediction an instance.
describe('v1Events', () => {
  it('names the values of list instances by the mapped columns, with one prediction each', () => {
    const request = { instances: [[41, 52000], [35, 61000]] };
    expect(v1Events('loans', undefined, request, { predictions: [1, 0] }, { columns: ['age', 'income'] })).toEqual([
      { model: 'loans', features: { age: 41, income: 52000 }, prediction: { label: 1 } },
      { model: 'loans', features: { age: 35, income: 61000 }, prediction: { label: 0 } },
    ]);
  });

  it('takes object instances as they are, a list prediction as the class probabilities, a number as confidence when mapped so', () => {
    const request = { instances: [{ age: 41, region: 'north' }, { age: 35, region: 'south' }] };
    expect(v1Events('loans', '2', request, { predictions: [[0.2, 0.8], [0.9, 0.1]] }, {})).toEqual([
      { model: 'loans', version: '2', features: { age: 41, region: 'north' }, prediction: { probabilities: [0.2, 0.8] } },
      { model: 'loans', version: '2', features: { age: 35, region: 'south' }, prediction: { probabilities: [0.9, 0.1] } },
    ]);
    expect(v1Events('loans', undefined, { instances: [{ age: 41 }] }, { predictions: [0.73] }, { predictions: 'confidence' }))
      .toEqual([{ model: 'loans', features: { age: 41 }, prediction: { confidence: 0.73 } }]);
  });

  it('an object instance whose keys look like a problem is still an instance', () => {
    expect(v1Events('m', undefined, { instances: [{ reason: 'x', message: 'y' }] }, undefined, {}))
      .toEqual([{ model: 'm', features: { reason: 'x', message: 'y' } }]);
  });

  it('names the reason when an exchange cannot be read', () => {
    expect(v1Events('m', undefined, { inputs: [] }, undefined, {})).toEqual({ reason: 'no_tensors', message: "the request has no 'instances' list" });
    expect(v1Events('m', undefined, { instances: [[1]] }, { error: 'x' }, {})).toEqual({ reason: 'no_tensors', message: "the response has no 'predictions' list" });
    expect(v1Events('m', undefined, { instances: [[1], [2]] }, { predictions: [1] }, { columns: ['a'] })).toEqual({ reason: 'shape_mismatch', message: '1 predictions for 2 instances' });
    expect(v1Events('m', undefined, { instances: [[1, 2]] }, undefined, { columns: ['a'] })).toEqual({ reason: 'shape_mismatch', message: 'instances[0] has 2 values, the mapping expects 1' });
    expect(v1Events('m', undefined, { instances: [[1]] }, undefined, {})).toEqual({ reason: 'shape_mismatch', message: 'instances are lists, and the mapping names no v1.columns for them' });
    expect(v1Events('m', undefined, { instances: [7] }, undefined, { columns: ['a'] })).toEqual({ reason: 'bad_tensor', message: 'instances[0] is neither a list nor an object' });
  });
});

import { describe, expect, it } from 'vitest';
import { exchangeEvents, type TensorMapping } from '../../../../agent/sources/inference/oip-events.js';
import { readTensor } from '../../../../agent/sources/inference/oip-tensor.js';

// An MLServer scikit-learn exchange: one [N, F] input tensor, class probabilities and labels out.
const request = { id: 'r-1', inputs: [{ name: 'input-0', shape: [2, 3], datatype: 'FP32', data: [41, 52000, 0.3, 35, 61000, 0.7] }] };
const response = {
  model_name: 'loans', id: 'r-1',
  outputs: [
    { name: 'predict_proba', shape: [2, 2], datatype: 'FP64', data: [0.1, 0.9, 0.8, 0.2] },
    { name: 'predict', shape: [2], datatype: 'INT64', data: [1, 0] },
  ],
};
const matrix: TensorMapping = {
  inputs: [{ tensor: 'input-0', columns: ['age', 'income', 'credit_utilization'] }],
  outputs: [{ tensor: 'predict_proba', role: 'probabilities' }, { tensor: 'predict', role: 'label' }],
};

describe('exchangeEvents', () => {
  it('turns the rows of an [N, F] tensor into N events, column j to the j-th named feature, with their predictions', () => {
    expect(exchangeEvents('loans', '3', request, response, matrix)).toEqual([
      { model: 'loans', version: '3', features: { age: 41, income: 52000, credit_utilization: 0.3 }, prediction: { probabilities: [0.1, 0.9], label: 1 } },
      { model: 'loans', version: '3', features: { age: 35, income: 61000, credit_utilization: 0.7 }, prediction: { probabilities: [0.8, 0.2], label: 0 } },
    ]);
  });

  it('reads nested data the same as flat data (row-major)', () => {
    const nested = { inputs: [{ ...request.inputs[0], data: [[41, 52000, 0.3], [35, 61000, 0.7]] }] };
    expect(exchangeEvents('loans', undefined, nested, undefined, matrix)).toEqual([
      { model: 'loans', features: { age: 41, income: 52000, credit_utilization: 0.3 } },
      { model: 'loans', features: { age: 35, income: 61000, credit_utilization: 0.7 } },
    ]);
  });

  it('takes one tensor per feature (MLServer\'s pandas codec), BYTES as categories', () => {
    const pandas = { inputs: [
      { name: 'age', shape: [2, 1], datatype: 'FP64', data: [41, 35] },
      { name: 'region', shape: [2, 1], datatype: 'BYTES', data: ['north', 'south'] },
      { name: 'unused', shape: [2], datatype: 'BOOL', data: [true, false] },
    ] };
    const mapping: TensorMapping = { inputs: [{ tensor: 'age', feature: 'age' }, { tensor: 'region', feature: 'region' }], outputs: [{ tensor: 'predict', role: 'label' }] };
    expect(exchangeEvents('loans', undefined, pandas, response, mapping)).toEqual([
      { model: 'loans', features: { age: 41, region: 'north' }, prediction: { label: 1 } },
      { model: 'loans', features: { age: 35, region: 'south' }, prediction: { label: 0 } },
    ]);
  });

  it('names the tensor and the reason when an exchange cannot be read', () => {
    const problem = (req: unknown, res: unknown = response, mapping = matrix): unknown => exchangeEvents('loans', undefined, req, res, mapping);
    expect(problem('not an object')).toEqual({ reason: 'no_tensors', message: "the request has no 'inputs' list" });
    expect(problem({ inputs: [{ name: 'other', shape: [1], datatype: 'FP32', data: [1] }] })).toEqual({ reason: 'missing_tensor', message: "the request has no tensor 'input-0'" });
    expect(problem({ inputs: [{ ...request.inputs[0], data: [1, 2, 3] }] })).toEqual({ reason: 'bad_tensor', message: "tensor 'input-0': shape [2,3] holds 6 elements, data has 3" });
    expect(problem({ inputs: [{ ...request.inputs[0], shape: [3, 2] }] })).toEqual({ reason: 'shape_mismatch', message: "tensor 'input-0' has 2 values a row, the mapping expects 3" });
    expect(problem(request, { outputs: [{ name: 'predict_proba', shape: [1, 2], datatype: 'FP64', data: [0.5, 0.5] }, response.outputs[1]] }))
      .toEqual({ reason: 'shape_mismatch', message: "tensor 'predict_proba' has 1 rows, the request 2" });
    expect(problem(request, { error: 'model failed' })).toEqual({ reason: 'no_tensors', message: "the response has no 'outputs' list" });
  });
});

describe('readTensor', () => {
  it('checks the datatype, the shape and each element against the datatype', () => {
    expect(readTensor({ name: 'x', shape: [2], datatype: 'FP128', data: [1, 2] }, 'inputs[0]')).toBe("tensor 'x': datatype 'FP128' is not an OIP datatype");
    expect(readTensor({ name: 'x', shape: [2, -1], datatype: 'FP32', data: [1, 2] }, 'inputs[0]')).toBe("tensor 'x': shape must be a non-empty list of non-negative integers");
    expect(readTensor({ name: 'x', shape: [2], datatype: 'FP32', data: [1, 'two'] }, 'inputs[0]')).toBe("tensor 'x': element 1 is not a number (datatype FP32)");
    expect(readTensor({ shape: [1], datatype: 'FP32', data: [1] }, 'inputs[3]')).toBe('inputs[3] has no name');
    expect(readTensor({ name: 'x', shape: [2, 2], datatype: 'BYTES', data: [['a', 'b'], ['c', 'd']] }, 'inputs[0]')).toEqual({ name: 'x', shape: [2, 2], datatype: 'BYTES', data: ['a', 'b', 'c', 'd'] });
  });
});

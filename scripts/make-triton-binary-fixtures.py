"""Bodies of NVIDIA Triton's binary tensor extension, made by Triton's own client library.

Writes test/fixtures/triton-binary.json: infer requests as tritonclient.http encodes them
(generate_request_body), and responses encoded as Triton's HTTP server does and checked by
tritonclient's own parser (parse_response_body), each with the element values NumPy holds, so
agent/sources/inference/oip-binary.ts is checked against an independent encoder.

    python3 -m venv /tmp/tc && /tmp/tc/bin/pip install 'tritonclient[http]==2.*' numpy
    /tmp/tc/bin/python scripts/make-triton-binary-fixtures.py
"""
import base64
import importlib.metadata
import json
from pathlib import Path

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import serialize_byte_tensor


def as_list(array):
    if array.dtype == np.object_:
        return [x.decode() if isinstance(x, bytes) else x for x in array.flatten().tolist()]
    return [float(x) if array.dtype.kind == 'f' else (bool(x) if array.dtype == np.bool_ else int(x)) for x in array.flatten().tolist()]


def request_case(name, tensors, binary=True):
    inputs = []
    for tensor_name, datatype, array in tensors:
        t = httpclient.InferInput(tensor_name, list(array.shape), datatype)
        t.set_data_from_numpy(array, binary_data=binary)
        inputs.append(t)
    outputs = [httpclient.InferRequestedOutput('predict_proba', binary_data=True)]
    body, json_size = httpclient.InferenceServerClient.generate_request_body(inputs, outputs=outputs, request_id='r-1')
    return {
        'name': name, 'side': 'inputs', 'body': base64.b64encode(body).decode(), 'headerLength': json_size,
        'tensors': {n: {'datatype': d, 'shape': list(a.shape), 'data': as_list(a)} for n, d, a in tensors},
    }


def response_case(name, tensors):
    # The server's layout (src/http_server.cc): the JSON header lists each output with
    # parameters.binary_data_size; the raw bytes follow in the same order.
    header, raw = {'model_name': 'loans', 'id': 'r-1', 'outputs': []}, b''
    for tensor_name, datatype, array in tensors:
        data = serialize_byte_tensor(array).item() if datatype == 'BYTES' else array.astype(array.dtype.newbyteorder('<')).tobytes()
        header['outputs'].append({'name': tensor_name, 'datatype': datatype, 'shape': list(array.shape), 'parameters': {'binary_data_size': len(data)}})
        raw += data
    head = json.dumps(header).encode()
    body = head + raw
    parsed = httpclient.InferenceServerClient.parse_response_body(body, header_length=len(head))
    for tensor_name, _, array in tensors:
        assert np.array_equal(parsed.as_numpy(tensor_name), array), tensor_name
    return {
        'name': name, 'side': 'outputs', 'body': base64.b64encode(body).decode(), 'headerLength': len(head),
        'tensors': {n: {'datatype': d, 'shape': list(a.shape), 'data': as_list(a)} for n, d, a in tensors},
    }


rng = np.random.default_rng(17)
features = rng.normal(50, 10, size=(4, 5)).astype(np.float32)
cases = [
    request_case('fp32 [N, F] matrix', [('input-0', 'FP32', features)]),
    request_case('one tensor per feature, every datatype', [
        ('age', 'FP64', np.array([[41.5], [35.25]], dtype=np.float64)),
        ('region', 'BYTES', np.array([[b'north'], ['s\u00fcd'.encode()]], dtype=np.object_)),
        ('accounts', 'INT64', np.array([3, -(2 ** 40)], dtype=np.int64)),
        ('flag', 'BOOL', np.array([True, False], dtype=np.bool_)),
        ('score', 'FP16', np.array([0.1, -2.5], dtype=np.float16)),
        ('small', 'INT8', np.array([-7, 100], dtype=np.int8)),
        ('count', 'UINT32', np.array([4000000000, 1], dtype=np.uint32)),
    ]),
    request_case('mixed: one JSON tensor, one binary', [('input-0', 'FP32', features)], binary=True),
    response_case('probabilities and labels', [
        ('predict_proba', 'FP32', np.array([[0.25, 0.75], [0.875, 0.125]], dtype=np.float32)),
        ('predict', 'INT64', np.array([1, 0], dtype=np.int64)),
        ('label_name', 'BYTES', np.array([b'approve', b'decline'], dtype=np.object_)),
    ]),
]
# The third case: its first tensor goes as JSON, so only some tensors carry binary_data_size.
mixed_inputs = [httpclient.InferInput('as-json', [2], 'INT32'), httpclient.InferInput('input-0', list(features.shape), 'FP32')]
mixed_inputs[0].set_data_from_numpy(np.array([7, 8], dtype=np.int32), binary_data=False)
mixed_inputs[1].set_data_from_numpy(features, binary_data=True)
body, json_size = httpclient.InferenceServerClient.generate_request_body(mixed_inputs, request_id='r-2')
cases[2] = {
    'name': 'mixed: one JSON tensor, one binary', 'side': 'inputs', 'body': base64.b64encode(body).decode(), 'headerLength': json_size,
    'tensors': {'as-json': {'datatype': 'INT32', 'shape': [2], 'data': [7, 8]}, 'input-0': {'datatype': 'FP32', 'shape': [4, 5], 'data': as_list(features)}},
}
out = Path(__file__).resolve().parent.parent / 'test' / 'fixtures' / 'triton-binary.json'
out.write_text(json.dumps({'generator': f"tritonclient {importlib.metadata.version('tritonclient')}, numpy {np.__version__}", 'cases': cases}, indent=1) + '\n')
print(f'wrote {out}: {len(cases)} cases')

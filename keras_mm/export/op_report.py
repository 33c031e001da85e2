"""What a `.tflite` file runs: every op with the types of its tensors."""

import collections

import numpy as np

# Ops that only move data between int8 and float; they mark float islands.
CONVERSION_OPS = ("QUANTIZE", "DEQUANTIZE")


def op_details(path):
    """`[{"op", "inputs", "outputs"}]`: each op with its tensors' dtypes."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=path)
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}

    def dtypes(indices):
        return [np.dtype(tensors[i]["dtype"]).name for i in indices
                if i >= 0 and i in tensors]

    return [
        {"op": op["op_name"], "inputs": dtypes(op["inputs"]),
         "outputs": dtypes(op["outputs"])}
        for op in interpreter._get_ops_details()
    ]


def non_int8_ops(path):
    """Counts of the ops that do not run in int8, keyed `"OP(in->out)"`.

    An op runs in int8 when its main data input and its output are int8
    (weights, shapes and int32 biases aside). QUANTIZE/DEQUANTIZE pairs are
    listed too: each pair brackets a float island.
    """
    counts = collections.Counter()
    for op in op_details(path):
        data_in = op["inputs"][:1]
        if op["op"] not in CONVERSION_OPS and data_in == ["int8"] and (
            op["outputs"] == ["int8"]
        ):
            continue
        key = (f"{op['op']}({','.join(op['inputs'])}"
               f"->{','.join(op['outputs'])})")
        counts[key] += 1
    return dict(sorted(counts.items()))

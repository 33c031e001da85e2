"""TensorFlow-only: converts a Keras tower into a LiteRT flatbuffer.

This is the one module of the export path that needs the TensorFlow backend;
`keras_mm.export.litert` runs it in a subprocess when Keras runs on another.
"""

import re
import tempfile

import keras

from keras_mm.backend import converters
from keras_mm.export.exportability import ExportError
from keras_mm.export.exportability import check_static_shapes
from keras_mm.export.exportability import layer_names

QUANTIZE_MODES = (
    "float32", "float16", "dynamic", "int8", "full_int8",
    "full_int8_per_tensor", "full_int8_all"
)
# `"full_int8_per_tensor"` is `"full_int8"` with one weight scale per tensor
# instead of one per output channel: each channel's scale and zero point
# take bytes in the flatbuffer, a noticeable share of a narrow int8 row.
# Ops kept in float32 by `"full_int8"`: int8 runs where it pays, in the
# matmuls (FULLY_CONNECTED, CONV_2D) and the data movement around them.
# - On x86 the int8 kernels of the decomposed LayerNorm (RSQRT,
#   SQUARED_DIFFERENCE, MEAN), SOFTMAX and L2_NORMALIZATION fall out of
#   XNNPACK into slow reference kernels and cut the delegated graph apart.
# - SELECT_V2 is the attention padding mask: its huge negative fill value
#   takes the whole int8 range, so every real logit quantizes to the same
#   value.
# - ADD and MUL are the residual stream and LayerNorm's scale and shift.
#   ONE_HOT (and SUM, MUL) select the pooled token (`MaskedPooling`, or the
#   last block's `query_index`). Kept in float, they keep the towers close
#   to Keras and save QUANTIZE/DEQUANTIZE pairs.
# `"full_int8_all"` quantizes everything it can (the inaccurate baseline).
FLOAT_OPS = (
    "BATCH_MATMUL", "SOFTMAX", "RSQRT", "SQUARED_DIFFERENCE", "MEAN", "NEG",
    "L2_NORMALIZATION", "SELECT_V2", "ADD", "MUL", "ONE_HOT", "SUM",
)


def _check_backend():
    converters.check_native("litert", "tflite_converter",
                            "keras_mm.export.export_litert")


def _layers_in_error(model, message):
    """Names of `model`'s layers that own the ops named in a converter error.

    Converter locations read `fused["Cumprod:", "functional_1/my_layer_1/
    Cumprod@..."]`; a path component that (minus Keras' `_N` suffix) is a
    layer name identifies the layer.
    """
    names = layer_names(model)
    found = {}
    for op, path in re.findall(r'fused\["(\w+):", "([^"@]+)@', message):
        for part in reversed(path.split("/")[:-1]):
            base = re.sub(r"_\d+$", "", part)
            for candidate in (part, base):
                if candidate in names and candidate != model.name:
                    found.setdefault(candidate, set()).add(op)
                    break
            else:
                continue
            break
    return {name: sorted(ops) for name, ops in found.items()}


def convert_tower(model, signature_name, quantize="float32",
                  representative_inputs=None):
    """Converts `model` (dict inputs, one output) into LiteRT bytes.

    Args:
        model: a functional Keras model with a dict of inputs.
        signature_name: str. Name of the LiteRT signature.
        quantize: one of `QUANTIZE_MODES`. `"dynamic"` and `"int8"` store
            int8 weights (dynamic-range); `"full_int8"` also quantizes
            activations with `representative_inputs`, keeping the ops of
            `FLOAT_OPS` in float (`"full_int8_per_tensor"`: the
            same, with per-tensor weight scales); `"full_int8_all"` quantizes every
            op it can.
        representative_inputs: list of dicts of batch-1 numpy arrays.

    The batch dimension is fixed to 1 and only builtin LiteRT ops are
    allowed, so an op that LiteRT cannot run fails here, naming the layer
    and the op, instead of producing a file the interpreter cannot execute.
    A layer with a dynamic (non-batch) dimension fails before conversion.
    """
    _check_backend()
    import tensorflow as tf

    if quantize not in QUANTIZE_MODES:
        raise ValueError(
            f"quantize must be one of {QUANTIZE_MODES}. Received: {quantize!r}"
        )
    check_static_shapes(model)
    signature = {
        name: tf.TensorSpec((1, *tensor.shape[1:]), tensor.dtype, name=name)
        for name, tensor in model.input.items()
    }
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        signature_name,
        lambda inputs: model(inputs, training=False),
        input_signature=[signature],
    )
    with tempfile.TemporaryDirectory() as saved_model_dir:
        archive.write_out(saved_model_dir, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(
            saved_model_dir, signature_keys=[signature_name]
        )
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if quantize != "float32":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if quantize == "float16":
            converter.target_spec.supported_types = [tf.float16]
        full = quantize.startswith("full_int8")
        if full:
            if not representative_inputs:
                raise ValueError(
                    f"quantize={quantize!r} needs representative_inputs."
                )

            def representative_dataset():
                for sample in representative_inputs:
                    yield {k: tf.constant(v) for k, v in sample.items()}

            converter.representative_dataset = representative_dataset
            converter.target_spec.supported_ops = [
                tf.lite.OpsSet.TFLITE_BUILTINS_INT8,
                tf.lite.OpsSet.TFLITE_BUILTINS,
            ]
        try:
            if quantize.endswith("per_tensor"):
                converter._experimental_disable_per_channel = True
            if quantize in ("full_int8", "full_int8_per_tensor"):
                debugger = tf.lite.experimental.QuantizationDebugger(
                    converter=converter,
                    debug_dataset=representative_dataset,
                    debug_options=tf.lite.experimental.QuantizationDebugOptions(
                        denylisted_ops=list(FLOAT_OPS)
                    ),
                )
                return debugger.get_nondebug_quantized_model()
            return converter.convert()
        except Exception as error:  # The converter raises ConverterError.
            message = str(error)
            culprits = _layers_in_error(model, message)
            where = ", ".join(
                f"layer '{name}' (op {', '.join(ops)})"
                for name, ops in culprits.items()
            )
            unsupported = re.findall(r"'tf\.(\w+)' op is neither", message)
            summary = (
                f"{where} cannot run on LiteRT builtin ops"
                if where else
                f"unsupported op(s) {sorted(set(unsupported))}"
                if unsupported else "conversion error"
            )
            raise ExportError(
                f"LiteRT conversion of '{model.name}' failed "
                f"(quantize={quantize}): {summary}.\n{message[-2000:]}"
            ) from error

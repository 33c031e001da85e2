"""TensorFlow-only: converts a Keras tower into a LiteRT flatbuffer.

This is the one module of the export path that needs the TensorFlow backend;
`keras_mm.export.litert` runs it in a subprocess when Keras runs on another.
"""

import tempfile

import keras

QUANTIZE_MODES = ("float32", "float16", "dynamic", "int8", "full_int8")


def _check_backend():
    if keras.config.backend() != "tensorflow":
        raise RuntimeError(
            "tflite_converter needs KERAS_BACKEND=tensorflow; use "
            "keras_mm.export.export_litert, which switches for you. "
            f"Current backend: {keras.config.backend()}"
        )


def convert_tower(model, signature_name, quantize="float32",
                  representative_inputs=None):
    """Converts `model` (dict inputs, one output) into LiteRT bytes.

    Args:
        model: a functional Keras model with a dict of inputs.
        signature_name: str. Name of the LiteRT signature.
        quantize: one of `QUANTIZE_MODES`. `"dynamic"` and `"int8"` store
            int8 weights (dynamic-range); `"full_int8"` also quantizes
            activations with `representative_inputs`.
        representative_inputs: list of dicts of batch-1 numpy arrays.

    The batch dimension is fixed to 1 and only builtin LiteRT ops are
    allowed, so an op that LiteRT cannot run fails here, naming the op,
    instead of producing a file the interpreter cannot execute.
    """
    _check_backend()
    import tensorflow as tf

    if quantize not in QUANTIZE_MODES:
        raise ValueError(
            f"quantize must be one of {QUANTIZE_MODES}. Received: {quantize!r}"
        )
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
        if quantize == "full_int8":
            if not representative_inputs:
                raise ValueError(
                    "quantize='full_int8' needs representative_inputs."
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
            return converter.convert()
        except Exception as error:  # The converter raises ConverterError.
            raise RuntimeError(
                f"LiteRT conversion of '{model.name}' failed "
                f"(quantize={quantize}): {error}"
            ) from error

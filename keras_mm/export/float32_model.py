"""A float32 copy of a model trained under a mixed-precision policy.

LiteRT's builtin ops and ONNX runtimes have no bfloat16 kernels for most of
a tower, and a model built under `mixed_bfloat16` or `mixed_float16` keeps
that policy in every layer (and in its `.keras` file), so its export failed
op by op. The exporters convert this copy instead: same architecture and
weights (variables are float32 under the mixed policies anyway), every
layer computing in float32.
"""

import keras

from keras_mm.backend import keras_compat


def float32_copy(model):
    """`model` itself when every layer computes in its variables' dtype,
    else a float32 copy with the same weights.

    Example:
    ```python
    keras_mm.training.set_precision("mixed_bfloat16")
    model = keras_mm.presets.from_preset("clip-tiny")
    keras_mm.training.set_precision("float32")
    exportable = float32_copy(model)  # computes in float32, same weights
    ```
    """
    if not any(_is_mixed(layer.dtype_policy)
               for layer in keras_compat.flatten_layers(model)):
        return model
    config = _float32_policies(keras.saving.serialize_keras_object(model))
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float32")
    try:
        copy = keras.saving.deserialize_keras_object(config)
    finally:
        keras.config.set_dtype_policy(previous)
    copy.set_weights(model.get_weights())
    return copy


def _is_mixed(policy):
    return policy.compute_dtype != policy.variable_dtype


def _float32_policies(config):
    """`config` with every mixed `DTypePolicy` replaced by float32."""
    if isinstance(config, dict):
        if (config.get("class_name") == "DTypePolicy"
                and str(config.get("config", {}).get("name", "")).startswith(
                    "mixed_")):
            return {**config, "config": {**config["config"],
                                         "name": "float32"}}
        return {key: _float32_policies(value)
                for key, value in config.items()}
    if isinstance(config, list):
        return [_float32_policies(value) for value in config]
    return config

"""`LayoutMap`s that shard each encoder's kernels on a `"model"` mesh axis.

Keys are regular expressions that Keras `re.fullmatch`es against whole
variable paths (`block_0/qkv/kernel`), so every key starts with `.*`; a key
without it silently leaves the variable replicated. Megatron-style split:
the QKV and MLP-in kernels are sharded on their output axis, the attention
output and MLP-out kernels on their input axis, so each block needs one
all-reduce per sub-layer. Everything not matched is replicated.
"""

import keras

MODEL_AXIS = "model"

# Shared by every encoder built from `keras_mm.layers.TransformerBlock`.
_TRANSFORMER_BLOCK = {
    r".*block_\d+/qkv/kernel": (None, MODEL_AXIS),  # (D, 3D)
    r".*block_\d+/qkv/bias": (MODEL_AXIS,),
    r".*block_\d+/attention_output/kernel": (MODEL_AXIS, None),  # (D, D)
    r".*block_\d+/mlp_in/kernel": (None, MODEL_AXIS),  # (D, I)
    r".*block_\d+/mlp_in/bias": (MODEL_AXIS,),
    r".*block_\d+/mlp_out/kernel": (MODEL_AXIS, None),  # (I, D)
}


def _layout_map(device_mesh, specs):
    if MODEL_AXIS not in device_mesh.axis_names:
        raise ValueError(
            f"The device mesh needs a {MODEL_AXIS!r} axis. Received: "
            f"axis_names={device_mesh.axis_names}"
        )
    layout_map = keras.distribution.LayoutMap(device_mesh)
    for key, axes in specs.items():
        layout_map[key] = axes
    return layout_map


def vision_transformer_layout_map(device_mesh):
    """Layout map for `keras_mm.models.VisionTransformerEncoder`.

    Args:
        device_mesh: `keras.distribution.DeviceMesh` with a `"model"` axis.

    Example:
    ```python
    mesh = keras.distribution.DeviceMesh((4, 2), ["batch", "model"])
    layout_map = keras_mm.distribution.vision_transformer_layout_map(mesh)
    keras.distribution.set_distribution(keras.distribution.ModelParallel(
        layout_map=layout_map, batch_dim_name="batch"))
    ```
    """
    return _layout_map(device_mesh, _TRANSFORMER_BLOCK)


def text_transformer_layout_map(device_mesh):
    """Layout map for `keras_mm.models.TextTransformerEncoder`.

    The transformer blocks as in the vision encoder; the token embedding
    table is split on its width.
    """
    return _layout_map(device_mesh, _TEXT_TRANSFORMER)


_TEXT_TRANSFORMER = {
    **_TRANSFORMER_BLOCK,
    r".*token_embedding/embeddings": (None, MODEL_AXIS),  # (V, D)
}
# Encoder class name -> (its layout-map function, its key -> axes specs).
LAYOUT_MAPS = {
    "VisionTransformerEncoder": vision_transformer_layout_map,
    "TextTransformerEncoder": text_transformer_layout_map,
}
_SPECS = {
    "VisionTransformerEncoder": _TRANSFORMER_BLOCK,
    "TextTransformerEncoder": _TEXT_TRANSFORMER,
}


def get_layout_map(device_mesh, encoders=None):
    """One `LayoutMap` for a model made of several encoders.

    Args:
        device_mesh: `keras.distribution.DeviceMesh` with a `"model"` axis.
        encoders: list of encoder class names (keys of `LAYOUT_MAPS`) or
            encoder classes; default: every encoder in `LAYOUT_MAPS`.

    Encoders share the transformer-block keys, so the union is taken; two
    encoders asking different layouts for one key is an error.
    """
    names = [
        e if isinstance(e, str) else e.__name__
        for e in (encoders or LAYOUT_MAPS)
    ]
    axes = {}
    for name in names:
        if name not in LAYOUT_MAPS:
            raise ValueError(
                f"No layout map for encoder {name!r}; known: "
                f"{sorted(LAYOUT_MAPS)}"
            )
        for key, layout in _SPECS[name].items():
            if axes.setdefault(key, layout) != layout:
                raise ValueError(
                    f"Encoders disagree on the layout of {key!r}: "
                    f"{axes[key]} vs {layout}"
                )
    return _layout_map(device_mesh, axes)

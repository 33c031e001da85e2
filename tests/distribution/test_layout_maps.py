"""The encoders' layout maps match their real variable paths."""

import keras
import pytest

from keras_mm.distribution import get_layout_map
from keras_mm.distribution import text_transformer_layout_map
from keras_mm.distribution import vision_transformer_layout_map
from keras_mm.models import TextTransformerEncoder
from keras_mm.models import VisionTransformerEncoder

SHARDED = {
    "qkv/kernel": (None, "model"),
    "qkv/bias": ("model",),
    "attention_output/kernel": ("model", None),
    "mlp_in/kernel": (None, "model"),
    "mlp_in/bias": ("model",),
    "mlp_out/kernel": ("model", None),
}


def mesh(axis_names=("batch", "model")):
    # keras.distribution cannot list devices on torch; a name is enough here.
    if keras.config.backend() == "torch":
        device = "cpu:0"
    else:
        device = keras.distribution.list_devices()[0]
    return keras.distribution.DeviceMesh((1, 1), list(axis_names), [device])


def expected_axes(path):
    for suffix, axes in SHARDED.items():
        if path.endswith(suffix) and "/block_" in "/" + path:
            return axes
    if path.endswith("token_embedding/embeddings"):
        return (None, "model")
    return None


@pytest.mark.parametrize("encoder, layout_map_fn", [
    (lambda: VisionTransformerEncoder(32, 8, 16, 2, 2),
     vision_transformer_layout_map),
    (lambda: TextTransformerEncoder(50, 8, 16, 2, 2),
     text_transformer_layout_map),
])
def test_every_attention_and_mlp_kernel_is_sharded(encoder, layout_map_fn):
    encoder = encoder()
    layout_map = layout_map_fn(mesh())
    sharded = 0
    for variable in encoder.weights:
        layout = layout_map[variable.path]
        axes = None if layout is None else tuple(layout.axes)
        assert axes == expected_axes(variable.path), variable.path
        sharded += axes is not None
    # 2 blocks x 6 variables (+ the token embedding of the text encoder).
    assert sharded in (12, 13)


def test_keys_match_paths_below_any_prefix():
    layout_map = get_layout_map(mesh())
    assert layout_map["clip/image_encoder/block_11/qkv/kernel"].axes == (
        None, "model")
    assert layout_map["block_0/attention_norm/gamma"] is None


def test_merged_map_covers_both_encoders():
    layout_map = get_layout_map(
        mesh(), [VisionTransformerEncoder, "TextTransformerEncoder"])
    assert layout_map["token_embedding/embeddings"].axes == (None, "model")
    assert get_layout_map(mesh(), ["VisionTransformerEncoder"])[
        "token_embedding/embeddings"] is None


def test_errors():
    with pytest.raises(ValueError, match="'model' axis"):
        vision_transformer_layout_map(mesh(("batch", "width")))
    with pytest.raises(ValueError, match="No layout map"):
        get_layout_map(mesh(), ["AudioEncoder"])

"""Attention maps: probes of a model's block; TensorBoard images."""

import glob

import numpy as np
import pytest
from keras import ops

from keras_mm.testing import tiny_clip
from keras_mm.testing import tiny_clip_batch
from keras_mm.training.attention_maps import probe_attention
from keras_mm.training.remat import enable_remat


def test_probe_restores_block_call():
    model = tiny_clip()
    x = tiny_clip_batch(4)
    before = ops.convert_to_numpy(model(x)["text_embeddings"])
    weights = probe_attention(model, "text_encoder/block_0", x)
    assert weights.shape == (4, 2, 32, 32)
    assert "call" not in find_block(model).__dict__
    enable_remat(model, towers=["text"])  # wraps `call`; must survive
    remat_call = find_block(model).__dict__.get("call")  # None on TF
    probe_attention(model, "text_encoder/block_0", x)
    assert find_block(model).__dict__.get("call") is remat_call
    after = ops.convert_to_numpy(model(x)["text_embeddings"])
    np.testing.assert_allclose(after, before, atol=1e-6)
    with pytest.raises(ValueError, match="block_9"):
        probe_attention(model, "text_encoder/block_9", x)


def find_block(model):
    from keras_mm.training.attention_maps import find_layer

    return find_layer(model, "text_encoder/block_0")


def test_train_writes_attention_images(tmp_path):
    """`TrainConfig(tensorboard_dir, attention_layer)` adds the logger."""
    import tensorflow as tf

    from keras_mm.training import TrainConfig
    from keras_mm.training import train

    config = TrainConfig(epochs=2, batch_size=4, tensorboard_dir=str(
        tmp_path), attention_layer="image_encoder/block_0")
    train(tiny_clip(), tiny_clip_batch(8), config, print_fn=lambda *a: None)
    files = glob.glob(str(tmp_path / "attention" / "events.out.tfevents.*"))
    assert files
    images = {}
    for path in files:
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.tag == "attention/image_encoder/block_0":
                    assert value.metadata.plugin_data.plugin_name == "images"
                    images[event.step] = tf.make_ndarray(value.tensor)
    assert sorted(images) == [0, 1, 2]  # train begin + 2 epochs
    # An image summary: [width, height, png_1, ..., png_n], image plugin.
    encoded = images[2]
    side = 17 * 4  # (16 patches + class token) x scale 4
    assert encoded[:2].tolist() == [str(side).encode()] * 2
    assert len(encoded) == 2 + 2 * 2  # 2 samples x 2 heads
    png = tf.io.decode_png(encoded[2]).numpy()
    assert png.shape == (side, side, 1)
    assert png.max() == 255  # each map is scaled by its maximum
    # The maps change as the model trains.
    assert encoded[2] != images[0][2]

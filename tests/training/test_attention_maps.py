"""Attention maps: recomputed weights match the block; TensorBoard images."""

import glob

import keras
import numpy as np
import pytest
from keras import ops

from keras_mm.layers.transformer_block import TransformerBlock
from keras_mm.testing import tiny_clip
from keras_mm.testing import tiny_clip_batch
from keras_mm.training.attention_maps import attention_weights
from keras_mm.training.attention_maps import probe_attention
from keras_mm.training.remat import enable_remat


@pytest.mark.parametrize("causal", [False, True])
def test_weights_reproduce_block_output(causal):
    keras.utils.set_random_seed(0)
    block = TransformerBlock(16, 2, 32, causal=causal)
    x = np.random.default_rng(0).normal(size=(2, 6, 16)).astype("float32")
    mask = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]], bool)
    expected = ops.convert_to_numpy(block(x, padding_mask=mask))
    w = attention_weights(block, x, mask)  # (B, H, T, T)
    w_np = ops.convert_to_numpy(w)
    np.testing.assert_allclose(w_np.sum(-1), 1.0, atol=1e-5)
    assert np.all(w_np[0, :, :, 4:] < 1e-6)  # padding keys
    if causal:
        assert np.all(np.triu(w_np[1, 0], 1) < 1e-6)
    # attention = weights @ values, then the rest of the block.
    qkv = block.qkv(block.attention_norm(x))
    value = ops.transpose(ops.reshape(qkv, (2, 6, 3, 2, 8))[:, :, 2],
                          (0, 2, 1, 3))
    attended = ops.reshape(ops.transpose(ops.matmul(w, value), (0, 2, 1, 3)),
                           (2, 6, 16))
    h = ops.add(x, block.attention_output(attended))
    out = h + block.mlp_out(block.mlp_in(block.mlp_norm(h)))
    np.testing.assert_allclose(ops.convert_to_numpy(out), expected,
                               atol=1e-5)


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

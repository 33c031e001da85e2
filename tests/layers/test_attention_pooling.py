"""AttentionPooling (SigLIP's MAP head) against torch's MultiheadAttention."""

import numpy as np
import pytest

import keras

import keras_mm


def _reference(pool, x):
    """The same head written with torch's `nn.MultiheadAttention`."""
    torch = pytest.importorskip("torch")

    dim = x.shape[-1]
    weights = {v.path.split("/", 1)[1]: keras.ops.convert_to_numpy(v)
               for v in pool.weights}
    attention = torch.nn.MultiheadAttention(dim, pool.num_heads,
                                            batch_first=True)
    t = lambda a: torch.tensor(np.asarray(a, np.float32))  # noqa: E731
    with torch.no_grad():
        attention.in_proj_weight.copy_(t(weights["in_proj_kernel"].T))
        attention.in_proj_bias.copy_(t(weights["in_proj_bias"]))
        attention.out_proj.weight.copy_(t(weights["out_proj/kernel"].T))
        attention.out_proj.bias.copy_(t(weights["out_proj/bias"]))
        probe = t(weights["probe"]).repeat(x.shape[0], 1, 1)
        h = attention(probe, t(x), t(x))[0]
        normed = torch.nn.functional.layer_norm(
            h, (dim,), t(weights["norm/gamma"]), t(weights["norm/beta"]),
            pool.layer_norm_epsilon)
        hidden = torch.nn.functional.gelu(
            normed @ t(weights["mlp_in/kernel"]) + t(weights["mlp_in/bias"]),
            approximate="tanh")
        h = h + hidden @ t(weights["mlp_out/kernel"]) + t(
            weights["mlp_out/bias"])
    return h[:, 0].numpy()


def test_matches_torch_multihead_attention_and_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5, 16)).astype("float32")
    pool = keras_mm.layers.AttentionPooling(num_heads=4, intermediate_dim=24)
    pool.build(x.shape)
    for variable in pool.weights:
        variable.assign(rng.normal(size=variable.shape).astype("float32")
                        * 0.3)
    y = keras.ops.convert_to_numpy(pool(x))
    assert y.shape == (3, 16)
    np.testing.assert_allclose(y, _reference(pool, x), atol=1e-5)

    inputs = keras.Input((5, 16))
    model = keras.Model(inputs, pool(inputs))
    path = str(tmp_path / "pool.keras")
    model.save(path)
    reloaded = keras_mm.load_model(path)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(reloaded(x)), y, atol=1e-6)


def test_vision_encoder_map_pooling_round_trips(tmp_path):
    encoder = keras_mm.models.VisionTransformerEncoder(
        image_size=16, patch_size=8, hidden_dim=16, num_layers=1,
        num_heads=2, pooling="map")
    images = np.random.default_rng(1).uniform(
        0, 255, (2, 16, 16, 3)).astype("float32")
    out = encoder({"images": images})
    assert out["sequence_output"].shape == (2, 4, 16)  # No class token.
    path = str(tmp_path / "encoder.keras")
    encoder.save(path)
    reloaded = keras_mm.load_model(path)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(reloaded({"images": images})[
            "pooled_output"]),
        keras.ops.convert_to_numpy(out["pooled_output"]), atol=1e-6)

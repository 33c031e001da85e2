"""Freezing and LoRA leave frozen weights bit-identical; adapter and merge."""

import os

import keras
import numpy as np
import pytest

from keras_mm.testing import tiny_clip
from keras_mm.testing import tiny_clip_batch
from keras_mm.training import freezing
from keras_mm.training import lora
from keras_mm.training.variables import named_variables


def _snapshot(model):
    return {n: np.array(keras.ops.convert_to_numpy(v))
            for n, v in named_variables(model).items()}


def _fit(model):
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    model.fit(tiny_clip_batch(), batch_size=8, epochs=2, verbose=0)


def test_freeze_tower_with_unlocked_top_block_and_counts(capsys):
    model = tiny_clip(num_layers=2, seed=3)
    freezing.freeze_tower(model, "image", unlocked_blocks=1)
    counts = freezing.print_parameter_counts(model)
    assert "trainable" in capsys.readouterr().out
    assert counts["frozen"] > 0 and counts["trainable"] > 0
    before = _snapshot(model)
    _fit(model)
    after = _snapshot(model)
    for name in before:
        same = np.array_equal(before[name], after[name])
        if name.startswith("image_encoder/") and "block_1" not in name and (
                "final_norm" not in name):
            assert same, name  # frozen: bit-identical
    assert not np.array_equal(before["image_encoder/block_1/qkv/kernel"],
                              after["image_encoder/block_1/qkv/kernel"])
    assert not np.array_equal(before["text_encoder/block_0/qkv/kernel"],
                              after["text_encoder/block_0/qkv/kernel"])


def test_freeze_by_pattern():
    model = tiny_clip(num_layers=2, seed=3)
    matched = freezing.freeze_by_pattern(model, r"text_encoder/block_0/mlp")
    assert set(matched) == {"text_encoder/block_0/mlp_in",
                            "text_encoder/block_0/mlp_out",
                            "text_encoder/block_0/mlp_norm"}
    names = {id(v) for v in model.trainable_weights}
    variables = named_variables(model)
    assert id(variables["text_encoder/block_0/mlp_in/kernel"]) not in names
    with pytest.raises(ValueError):
        freezing.freeze_by_pattern(model, "no_such_layer")


@pytest.mark.large
def test_lora_freezes_base_saves_small_adapter_and_merges(tmp_path):
    model = tiny_clip(num_layers=2, seed=3)
    enabled = lora.enable_lora(model, rank=2, towers=["image", "text"])
    assert "image_encoder/block_0/qkv" in enabled
    before = _snapshot(model)
    _fit(model)
    after = _snapshot(model)
    for name in before:
        if "lora_kernel" not in name:
            assert np.array_equal(before[name], after[name]), name
    assert not np.array_equal(
        before["image_encoder/block_0/qkv/lora_kernel_b"],
        after["image_encoder/block_0/qkv/lora_kernel_b"])

    adapter = lora.save_lora_adapter(model, str(tmp_path / "adapter.npz"))
    full = str(tmp_path / "model.weights.h5")
    model.save_weights(full)
    assert os.path.getsize(adapter) < 0.05 * os.path.getsize(full)

    x = tiny_clip_batch(4, seed=1)
    expected = model.predict(x, verbose=0)
    merged = lora.merge_lora(model)
    assert not any("lora" in n for n in named_variables(merged))
    got = merged.predict(x, verbose=0)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], atol=1e-5)

    # A fresh base model + the adapter gives the fine-tuned model.
    fresh = tiny_clip(num_layers=2, seed=3)
    lora.load_lora_adapter(fresh, adapter)
    got = fresh.predict(x, verbose=0)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], atol=1e-5)

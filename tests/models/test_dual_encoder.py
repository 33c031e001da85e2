"""Loaded towers compose into a dual encoder that trains with `fit`."""

import numpy as np
import pytest

pytest.importorskip("transformers")

TEXTS = ["a red circle", "a blue square", "two red squares",
         "a circle in a square"]


def _write_vit(folder):
    import torch
    from transformers import ViTConfig
    from transformers import ViTImageProcessor
    from transformers import ViTModel

    torch.manual_seed(0)
    ViTModel(ViTConfig(hidden_size=32, intermediate_size=64,
                       num_hidden_layers=2, num_attention_heads=2,
                       image_size=32, patch_size=8)).save_pretrained(folder)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(
        folder)


@pytest.fixture(scope="module")
def towers(tmp_path_factory):
    import keras_mm

    vit = str(tmp_path_factory.mktemp("vit"))
    bert = str(tmp_path_factory.mktemp("bert"))
    _write_vit(vit)
    keras_mm.checkpoints.write_random_hf_bert(bert)
    images = np.random.default_rng(0).integers(0, 256, (4, 40, 48, 3),
                                               dtype=np.uint8)
    return vit, bert, list(images)


def _values(variables):
    import keras

    return [np.array(keras.ops.convert_to_numpy(v.value)) for v in variables]


def test_vit_and_bert_fit_with_a_frozen_image_tower(towers, tmp_path):
    import keras

    import keras_mm

    vit, bert, images = towers
    model = keras_mm.models.dual_encoder(
        image=keras_mm.models.load_pretrained(vit),
        text=keras_mm.checkpoints.load_checkpoint(bert),
        projection_dim=16, loss="siglip", projection="mlp")
    assert set(model.preprocessors) == {"image", "text"}
    model.encoders["image"].trainable = False
    # Raw pairs through the towers' own preprocessors, then arrays.
    x = {"images": model.preprocessors["image"](images),
         **{k: np.asarray(v) for k, v in
            model.preprocessors["text"](TEXTS).items()}}
    image_before = _values(model.encoders["image"].weights)
    text_before = _values(model.encoders["text"].trainable_weights)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    history = model.fit(x, batch_size=4, epochs=2, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses))
    for before, after in zip(image_before,
                             _values(model.encoders["image"].weights)):
        np.testing.assert_array_equal(before, after)
    changed = [not np.array_equal(b, a) for b, a in zip(
        text_before, _values(model.encoders["text"].trainable_weights))]
    assert all(changed)
    # Embeds raw inputs, and a `.keras` file keeps the preprocessors.
    embeddings = model.embed("text", TEXTS)
    path = str(tmp_path / "dual.keras")
    model.save(path)
    reloaded = keras_mm.load_model(path)
    np.testing.assert_allclose(reloaded.embed("text", TEXTS), embeddings,
                               atol=1e-5)
    np.testing.assert_allclose(reloaded.embed("image", images),
                               model.embed("image", images), atol=1e-5)


def test_bare_encoders_and_bad_towers(towers):
    import keras_mm

    vit, bert, _ = towers
    image = keras_mm.models.load_pretrained(vit)
    model = keras_mm.models.dual_encoder(
        image=image.encoder,
        text=keras_mm.checkpoints.load_checkpoint(bert).encoder,
        projection_dim=8)
    assert model.preprocessors == {} and model.loss_name == "clip"
    with pytest.raises(ValueError, match="text tower holds modality .image."):
        keras_mm.models.dual_encoder(image=image, text=image)
    with pytest.raises(ValueError, match="at least two"):
        keras_mm.models.dual_encoder(image=image)

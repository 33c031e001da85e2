"""A fine-tuned keras_mm SigLIP written back as a Hugging Face folder."""

import numpy as np
import pytest

import siglip_fixture as fixture

pytest.importorskip("transformers")
pytest.importorskip("sentencepiece")


@pytest.fixture(scope="module")
def siglip_folder(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("hf_siglip_writer"))
    fixture.write_hf_siglip(folder)
    images = fixture.write_images(folder)
    return folder, images


def _fine_tuned(folder, images):
    import keras

    import keras_mm
    from keras_mm.training import enable_lora
    from keras_mm.training.freezing import freeze_tower

    model = keras_mm.models.load_pretrained(folder)
    freeze_tower(model, "image")
    enable_lora(model, rank=2, towers=["text"])
    texts = fixture.TEXTS[:3]
    inputs = {"images": model.preprocessors["image"](images),
              **model.preprocessors["text"](texts)}
    frozen = keras.ops.convert_to_numpy(
        model.encoders["image"].get_layer("block_0").qkv.kernel)
    model.compile(optimizer=keras.optimizers.SGD(0.5))
    model.fit(inputs, batch_size=3, epochs=2, verbose=0)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(
        model.encoders["image"].get_layer("block_0").qkv.kernel), frozen)
    return model


def test_fine_tuned_siglip_saves_as_a_folder_transformers_loads(
        siglip_folder, tmp_path):
    import keras

    import keras_mm

    folder, images = siglip_folder
    model = _fine_tuned(folder, images)
    out = str(tmp_path / "hf_out")
    keras_mm.models.siglip.save_hf_siglip(model, out)
    ref = fixture.reference_hf_siglip(out, fixture.TEXTS, images)
    tokens = model.preprocessors["text"](fixture.TEXTS)
    np.testing.assert_array_equal(tokens["token_ids"], ref["token_ids"])
    text = model.embed("text", fixture.TEXTS)
    image = model.embed("image", images)
    np.testing.assert_allclose(text, ref["text"], atol=1e-4)
    np.testing.assert_allclose(image, ref["image"], atol=1e-4)
    # The logits carry the trained scale and bias.
    logits = keras.ops.convert_to_numpy(model.similarity(image, text))
    np.testing.assert_allclose(logits, ref["logits"], atol=1e-4)
    original = fixture.reference_hf_siglip(folder, fixture.TEXTS, images)
    assert np.abs(text - original["text"]).max() > 1e-3  # It did train.
    np.testing.assert_allclose(image, original["image"], atol=1e-4)

    # The processor as one object, too.
    from transformers import AutoProcessor
    from transformers import SiglipImageProcessor
    from transformers import SiglipTokenizer

    assert isinstance(SiglipTokenizer.from_pretrained(out), SiglipTokenizer)
    SiglipImageProcessor.from_pretrained(out)
    processor = AutoProcessor.from_pretrained(out)
    from PIL import Image

    batch = processor(text=fixture.TEXTS,
                      images=[Image.open(p).convert("RGB") for p in images],
                      padding="max_length", truncation=True,
                      return_tensors="np")
    np.testing.assert_array_equal(batch["input_ids"], ref["token_ids"])
    np.testing.assert_allclose(batch["pixel_values"], ref["pixels"],
                               atol=1e-6)


def test_keras_file_converts_through_save_pretrained_and_the_cli(
        siglip_folder, tmp_path):
    import keras_mm
    from keras_mm.cli.main import main

    folder, images = siglip_folder
    model = keras_mm.models.load_pretrained(folder)
    text = model.embed("text", fixture.TEXTS)
    keras_path = str(tmp_path / "siglip.keras")
    model.save(keras_path)
    out = str(tmp_path / "via_api")
    keras_mm.models.save_pretrained(keras_mm.load_model(keras_path), out,
                                    to="hf")
    ref = fixture.reference_hf_siglip(out, fixture.TEXTS, images)
    np.testing.assert_allclose(text, ref["text"], atol=1e-4)
    out = str(tmp_path / "via_cli")
    assert main(["convert", keras_path, "--to", "hf", "--out", out]) == 0
    ref = fixture.reference_hf_siglip(out, fixture.TEXTS, images)
    np.testing.assert_allclose(text, ref["text"], atol=1e-4)
    np.testing.assert_allclose(model.embed("image", images), ref["image"],
                               atol=1e-4)


def test_a_model_that_is_not_siglip_gets_one_clear_line(tmp_path):
    import keras_mm
    from keras_mm.models.siglip import save_hf_siglip

    folder = str(tmp_path / "never")
    clip = keras_mm.tasks.ContrastiveModel(
        {"image": keras_mm.models.VisionTransformerEncoder(
            image_size=16, patch_size=8, hidden_dim=8, num_layers=1,
            num_heads=2),
         "text": keras_mm.models.TextTransformerEncoder(
             vocabulary_size=20, sequence_length=4, hidden_dim=8,
             num_layers=1, num_heads=2)},
        projection_dim=8, loss="clip")
    with pytest.raises(ValueError, match="Only a SigLIP ContrastiveModel"):
        save_hf_siglip(clip, folder)
    siglip = keras_mm.models.siglip.build_siglip(
        dict(image_size=16, patch_size=8, hidden_dim=8, num_layers=1,
             num_heads=2),
        dict(vocabulary_size=20, sequence_length=4, hidden_dim=8,
             num_layers=1, num_heads=2))
    with pytest.raises(ValueError, match="no text and image preprocessors"):
        save_hf_siglip(siglip, folder)
    import os

    assert not os.path.exists(folder)


def test_keras_hub_siglip_saves_when_its_resize_is_a_plain_one(tmp_path):
    import keras_mm
    from keras_mm.models.siglip import save_hf_siglip

    folder = str(tmp_path / "keras_hub")
    fixture.write_keras_hub_siglip(folder)
    model = keras_mm.models.load_pretrained(folder)
    out = str(tmp_path / "hf_out")
    # keras-hub crops to the aspect ratio first: SiglipImageProcessor can't.
    with pytest.raises(ValueError, match="KerasHubImagePreprocessor"):
        save_hf_siglip(model, out)
    model.preprocessors["image"].crop_to_aspect_ratio = False
    save_hf_siglip(model, out)
    # Images already at the model's size: no resize, so the same pixels.
    images = fixture.write_images(str(tmp_path), sizes=((32, 32),) * 2)
    ref = fixture.reference_hf_siglip(out, fixture.TEXTS, images)
    tokens = model.preprocessors["text"](fixture.TEXTS)
    np.testing.assert_array_equal(tokens["token_ids"], ref["token_ids"])
    np.testing.assert_allclose(model.embed("text", fixture.TEXTS),
                               ref["text"], atol=1e-4)
    np.testing.assert_allclose(model.embed("image", images), ref["image"],
                               atol=1e-4)

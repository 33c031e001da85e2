"""A Hugging Face CLIP folder loads and reproduces transformers."""

import os

import numpy as np
import pytest

import hf_clip_fixture as fixture

pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def clip_folder(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("hf_clip"))
    fixture.write_hf_clip(folder)
    images = fixture.write_images(folder)
    return folder, images


def test_embeddings_and_logits_match_transformers(clip_folder):
    import keras

    import keras_mm

    folder, images = clip_folder
    texts_ref, images_ref, logits_ref = fixture.reference_clip_embeddings(
        folder, fixture.TEXTS, images)
    model = keras_mm.models.load_pretrained(folder)
    text = model.embed("text", fixture.TEXTS)
    image = model.embed("image", images)
    np.testing.assert_allclose(text, texts_ref, atol=1e-4)
    np.testing.assert_allclose(image, images_ref, atol=1e-4)
    logits = keras.ops.convert_to_numpy(model.similarity(image, text))
    np.testing.assert_allclose(logits, logits_ref, atol=1e-4 * 10)


def test_saved_model_reloads_with_its_preprocessing(clip_folder, tmp_path):
    import shutil

    import keras_mm

    folder, images = clip_folder
    copy = str(tmp_path / "copy")
    shutil.copytree(folder, copy)
    model = keras_mm.models.load_pretrained(copy)
    expected = model.embed("text", fixture.TEXTS)
    model.save(str(tmp_path / "clip.keras"))
    shutil.rmtree(copy)  # Nothing beside the .keras file.
    reloaded = keras_mm.load_model(str(tmp_path / "clip.keras"))
    np.testing.assert_allclose(reloaded.embed("text", fixture.TEXTS),
                               expected, atol=1e-6)
    np.testing.assert_allclose(reloaded.embed("image", images),
                               model.embed("image", images), atol=1e-6)


def test_fine_tuned_clip_saves_as_a_folder_transformers_loads(
        clip_folder, tmp_path):
    import keras

    import keras_mm
    from keras_mm.training import enable_lora
    from keras_mm.training.freezing import freeze_tower

    folder, images = clip_folder
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

    out = str(tmp_path / "hf_out")
    keras_mm.models.clip.save_hf_clip(model, out)
    text_ref, image_ref, logits_ref = fixture.reference_clip_embeddings(
        out, fixture.TEXTS, images)
    text = model.embed("text", fixture.TEXTS)
    np.testing.assert_allclose(text, text_ref, atol=1e-4)
    np.testing.assert_allclose(model.embed("image", images), image_ref,
                               atol=1e-4)
    original_text, _, _ = fixture.reference_clip_embeddings(
        folder, fixture.TEXTS, images)
    assert np.abs(text - original_text).max() > 1e-3  # It did train.


def test_bad_folders_get_one_clear_line(clip_folder, tmp_path):
    import json
    import shutil

    import keras_mm
    from keras_mm.checkpoints import CheckpointMismatchError

    folder, _ = clip_folder
    broken = str(tmp_path / "broken")
    shutil.copytree(folder, broken)
    os.remove(os.path.join(broken, "preprocessor_config.json"))
    with pytest.raises(FileNotFoundError, match="preprocessor_config.json"):
        keras_mm.models.load_pretrained(broken)

    shutil.copy(os.path.join(folder, "preprocessor_config.json"), broken)
    os.remove(os.path.join(broken, "merges.txt"))
    with pytest.raises(FileNotFoundError, match="merges.txt"):
        keras_mm.models.load_pretrained(broken)

    shutil.copy(os.path.join(folder, "merges.txt"), broken)
    config_path = os.path.join(broken, "config.json")
    with open(config_path) as f:
        config = json.load(f)
    config["vision_config"]["intermediate_size"] = 48
    with open(config_path, "w") as f:
        json.dump(config, f)
    with pytest.raises(CheckpointMismatchError,
                       match=r"mlp\.fc1\.weight' has shape \(64, 32\) but "
                             r"the model expects \(48, 32\)"):
        keras_mm.models.load_pretrained(broken)

    config["model_type"] = "blip"
    with open(config_path, "w") as f:
        json.dump(config, f)
    assert not keras_mm.models.is_pretrained_checkpoint(broken)
    with pytest.raises(ValueError, match="huggingface clip"):
        keras_mm.models.load_pretrained(broken)


def test_other_image_size_and_shorter_context(clip_folder):
    import keras_mm

    folder, images = clip_folder
    model = keras_mm.models.load_pretrained(folder, image_size=48,
                                            sequence_length=12)
    assert model.encoders["image"].image_size == 48
    assert model.preprocessors["image"].output_size == (48, 48)
    assert model.embed("image", images).shape == (3, 24)
    full = keras_mm.models.load_pretrained(folder)
    # Short captions are unchanged by the shorter context.
    short = ["a photo of a cat", "x"]
    np.testing.assert_allclose(model.embed("text", short),
                               full.embed("text", short), atol=1e-5)

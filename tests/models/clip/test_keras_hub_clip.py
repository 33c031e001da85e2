"""A keras-hub CLIPBackbone preset loads and reproduces keras-hub."""

import json
import os

import keras
import numpy as np
import pytest

import hf_clip_fixture as fixture


def _perturb(model, seed=0):
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        if variable.path.endswith("position_ids"):
            continue
        value = keras.ops.convert_to_numpy(variable)
        variable.assign(value + 0.05 * rng.standard_normal(value.shape))


@pytest.fixture(scope="module")
def preset(tmp_path_factory):
    import keras_hub

    folder = str(tmp_path_factory.mktemp("keras_hub_clip"))
    vocab_folder = os.path.join(folder, "vocab")
    size = fixture.write_tiny_vocabulary(vocab_folder)
    with open(os.path.join(vocab_folder, "vocab.json")) as f:
        vocabulary = json.load(f)
    with open(os.path.join(vocab_folder, "merges.txt")) as f:
        merges = [m for m in f.read().split("\n")[1:] if m]
    vision = keras_hub.models.CLIPVisionEncoder(
        patch_size=8, hidden_dim=32, num_layers=2, num_heads=2,
        intermediate_dim=64, image_shape=(32, 32, 3))
    text = keras_hub.models.CLIPTextEncoder(
        vocabulary_size=size, embedding_dim=32, hidden_dim=32, num_layers=2,
        num_heads=2, intermediate_dim=64, max_sequence_length=16)
    backbone = keras_hub.models.CLIPBackbone(vision, text, projection_dim=24)
    _perturb(backbone)
    # Converted keras-hub presets hold arange here (a new backbone, zeros).
    position_ids = backbone.vision_encoder.embedding.position_ids
    position_ids.assign(np.arange(position_ids.shape[1])[None])
    tokenizer = keras_hub.tokenizers.CLIPTokenizer(
        vocabulary=vocabulary, merges=merges, pad_with_end_token=True)
    converter = keras_hub.layers.CLIPImageConverter(
        image_size=(32, 32), scale=[1 / (255 * s) for s in (0.27, 0.26, 0.28)],
        offset=[-m / s for m, s in zip((0.48, 0.46, 0.41),
                                       (0.27, 0.26, 0.28))])
    preprocessor = keras_hub.models.CLIPPreprocessor(
        tokenizer, converter, sequence_length=16)
    backbone.save_to_preset(folder)
    preprocessor.save_to_preset(folder)
    return folder, backbone, preprocessor


def _unit(x):
    x = np.asarray(keras.ops.convert_to_numpy(x), np.float64)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def test_embeddings_match_keras_hub(preset, tmp_path):
    import keras_mm

    folder, backbone, preprocessor = preset
    images = fixture.write_images(str(tmp_path), sizes=[(32, 32)] * 3)
    pixels = np.stack([np.asarray(keras_mm.models.ImagePreprocessor(
        (32, 32))([p])[0]) for p in images])
    inputs = preprocessor({"images": pixels, "prompts": fixture.TEXTS[:3]})
    text_ref = _unit(backbone.get_text_embeddings(inputs["token_ids"]))
    image_ref = _unit(backbone.get_vision_embeddings(inputs["images"]))

    model = keras_mm.models.load_pretrained(folder)
    np.testing.assert_allclose(model.embed("text", fixture.TEXTS[:3]),
                               text_ref, atol=1e-4)
    np.testing.assert_allclose(model.embed("image", images), image_ref,
                               atol=1e-4)


def test_image_files_of_other_sizes_match_keras_hub(preset, tmp_path):
    """Files that need a resize get keras-hub's resize (its
    `CLIPImageConverter`), here and after a `.keras` round trip."""
    import keras_hub

    import keras_mm
    from odd_size_images import keras_hub_converted
    from odd_size_images import unit
    from odd_size_images import write_odd_size_images

    folder, backbone, _ = preset
    paths = write_odd_size_images(str(tmp_path))
    converter = keras_hub.layers.CLIPImageConverter.from_preset(folder)
    reference = unit(backbone.get_vision_embeddings(
        keras_hub_converted(converter, paths)))
    model = keras_mm.models.load_pretrained(folder)
    np.testing.assert_allclose(model.embed("image", paths), reference,
                               atol=1e-4)
    path = str(tmp_path / "clip.keras")
    model.save(path)
    reloaded = keras_mm.load_model(path)
    assert isinstance(reloaded.preprocessors["image"],
                      keras_mm.models.KerasHubImagePreprocessor)
    np.testing.assert_allclose(reloaded.embed("image", paths), reference,
                               atol=1e-4)


def test_saves_as_hf_and_open_clip_with_the_nearest_pil_resize(preset,
                                                               tmp_path):
    """Hugging Face and open_clip resize with PIL: keras-hub's crop to the
    aspect ratio is written as a shortest-side resize and centre crop."""
    import keras_mm
    from keras_mm.models.clip.open_clip_config import (
        open_clip_config_from_model,
    )

    folder, _, _ = preset
    model = keras_mm.models.load_pretrained(folder)
    keras_mm.models.save_pretrained(model, str(tmp_path / "hf"), to="hf")
    with open(tmp_path / "hf" / "preprocessor_config.json") as f:
        config = json.load(f)
    assert (config["size"], config["crop_size"], config["resample"]) == (
        {"shortest_edge": 32}, {"height": 32, "width": 32}, 2)
    cfg = open_clip_config_from_model(model)["preprocess_cfg"]
    assert (cfg["resize_mode"], cfg["interpolation"]) == ("shortest",
                                                          "bilinear")


def test_training_pipeline_gets_keras_hub_pixels(preset, tmp_path):
    """model_dataset (tf.data) runs the same resize on files and on
    encoded bytes (as tar shards hold them)."""
    import keras_hub

    import keras_mm
    from keras_mm.data import Pair
    from keras_mm.data import model_dataset
    from odd_size_images import keras_hub_converted
    from odd_size_images import write_odd_size_images

    folder, _, _ = preset
    paths = write_odd_size_images(str(tmp_path))
    converter = keras_hub.layers.CLIPImageConverter(
        image_size=(32, 32))  # the preset's resize, without its scaling
    model = keras_mm.models.load_pretrained(folder)
    with open(paths[1], "rb") as f:
        blob = f.read()
    pairs = [Pair(media=p, text="a photo", source=p) for p in paths] + [
        Pair(media=blob, text="a photo", source="blob")]
    batch = next(iter(model_dataset(pairs, model, batch_size=4,
                                    on_error="raise")))
    expected = keras_hub_converted(converter, paths + paths[1:2])
    np.testing.assert_allclose(np.asarray(batch["images"]), expected,
                               atol=1e-4)

"""A Hugging Face SigLIP folder loads and reproduces transformers."""

import os

import numpy as np
import pytest

import siglip_fixture as fixture

pytest.importorskip("transformers")
pytest.importorskip("sentencepiece")


@pytest.fixture(scope="module")
def siglip_folder(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("hf_siglip"))
    fixture.write_hf_siglip(folder)
    images = fixture.write_images(folder)
    return folder, images


def test_embeddings_and_logits_match_transformers(siglip_folder):
    import keras

    import keras_mm

    folder, images = siglip_folder
    ref = fixture.reference_hf_siglip(folder, fixture.TEXTS, images)
    model = keras_mm.models.load_pretrained(folder)
    assert model.loss_name == "siglip"
    tokens = model.preprocessors["text"](fixture.TEXTS)
    np.testing.assert_array_equal(tokens["token_ids"], ref["token_ids"])
    assert tokens["padding_mask"].all()
    text = model.embed("text", fixture.TEXTS)
    image = model.embed("image", images)
    np.testing.assert_allclose(text, ref["text"], atol=1e-4)
    np.testing.assert_allclose(image, ref["image"], atol=1e-4)
    logits = keras.ops.convert_to_numpy(model.similarity(image, text))
    np.testing.assert_allclose(logits, ref["logits"], atol=1e-4)
    # The towers' last hidden states (after the final norm) too.
    pixels = model.preprocessors["image"](images)
    image_out = model.encoders["image"]({"images": pixels})
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(image_out["sequence_output"]),
        ref["image_hidden"], atol=1e-4)
    text_out = model.encoders["text"](tokens)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(text_out["sequence_output"]),
        ref["text_hidden"], atol=1e-4)
    # The mapping covers the whole checkpoint, and writes it back as read.
    from keras_mm.checkpoints.tensor_files import read_tensors
    from keras_mm.models import weight_mapping
    from keras_mm.models.siglip.hf_siglip import hf_siglip_entries

    tensors = read_tensors(folder)
    exported = weight_mapping.export(hf_siglip_entries(model))
    assert sorted(exported) == sorted(tensors)
    for name, value in tensors.items():
        np.testing.assert_array_equal(exported[name], value, err_msg=name)


def test_saved_model_reloads_with_its_preprocessing(siglip_folder, tmp_path):
    import shutil

    import keras

    import keras_mm

    folder, images = siglip_folder
    copy = str(tmp_path / "copy")
    shutil.copytree(folder, copy)
    model = keras_mm.models.load_pretrained(copy)
    text = model.embed("text", fixture.TEXTS)
    image = model.embed("image", images)
    path = str(tmp_path / "siglip.keras")
    model.save(path)
    shutil.rmtree(copy)  # Nothing beside the .keras file.
    for load in (keras_mm.load_model, keras.saving.load_model):
        reloaded = load(path)
        assert reloaded.loss_name == "siglip"
        np.testing.assert_allclose(reloaded.embed("text", fixture.TEXTS),
                                   text, atol=1e-6)
        np.testing.assert_allclose(reloaded.embed("image", images), image,
                                   atol=1e-6)
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(reloaded.similarity(image, text)),
            keras.ops.convert_to_numpy(model.similarity(image, text)),
            atol=1e-5)


def test_bad_folders_get_one_clear_line(siglip_folder, tmp_path):
    import json
    import shutil

    import keras_mm
    from keras_mm.checkpoints import CheckpointMismatchError

    folder, _ = siglip_folder
    broken = str(tmp_path / "broken")
    shutil.copytree(folder, broken)
    assert "huggingface siglip" in keras_mm.models.supported_formats()
    os.remove(os.path.join(broken, "spiece.model"))
    with pytest.raises(FileNotFoundError, match="spiece.model"):
        keras_mm.models.load_pretrained(broken)

    shutil.copy(os.path.join(folder, "spiece.model"), broken)
    os.remove(os.path.join(broken, "preprocessor_config.json"))
    with pytest.raises(FileNotFoundError, match="preprocessor_config.json"):
        keras_mm.models.load_pretrained(broken)

    shutil.copy(os.path.join(folder, "preprocessor_config.json"), broken)
    config_path = os.path.join(broken, "config.json")
    with open(config_path) as f:
        config = json.load(f)
    config["vision_config"]["intermediate_size"] = 48
    with open(config_path, "w") as f:
        json.dump(config, f)
    with pytest.raises(CheckpointMismatchError,
                       match=r"head\.mlp\.fc1\.weight' has shape \(64, 32\) "
                             r"but the model expects \(48, 32\)"):
        keras_mm.models.load_pretrained(broken)

    config["vision_config"]["intermediate_size"] = 64
    config["vision_config"]["hidden_act"] = "swish_v9"
    with open(config_path, "w") as f:
        json.dump(config, f)
    with pytest.raises(ValueError, match="'swish_v9' is not supported"):
        keras_mm.models.load_pretrained(broken)


def test_tokens_match_siglip_tokenizer_on_awkward_strings(siglip_folder):
    from transformers import AutoTokenizer

    from keras_mm.models.siglip.hf_siglip import (
        text_preprocessor_from_folder,
    )

    folder, _ = siglip_folder
    texts = ["", "  hello world ", "(hello)", "tab\tsep\nline",
             "a—b “quoted” ½", "ＡＢＣ full", "a photo of a cat " * 5]
    expected = AutoTokenizer.from_pretrained(folder)(
        texts, padding="max_length", truncation=True)["input_ids"]
    preprocess = text_preprocessor_from_folder(folder,
                                               fixture.SEQUENCE_LENGTH)
    np.testing.assert_array_equal(preprocess(texts)["token_ids"], expected)

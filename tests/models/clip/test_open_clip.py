"""open_clip checkpoints load and reproduce open_clip; and the way back.

The checkpoints and open_clip's outputs are committed fixtures, written by
open_clip itself (`fixtures/make_open_clip_fixtures.py`, run in an
environment with open_clip_torch): three tiny variants (OpenAI-style
QuickGELU + end-token pooling; LAION-style exact GELU, last-token pooling,
a biased text projection, other norm epsilon and image statistics; a
bidirectional text tower pooled at the first token, no `ln_pre`, a logit
bias), each as a hub folder, two also as training runs.
"""

import json
import os
import shutil

import numpy as np
import pytest

import keras_mm.models  # noqa: F401  (registers keras_mm.models)
from keras_mm.models.clip import open_clip_checkpoint as oc

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
TINY_BPE = os.path.join(FIXTURES, "tiny_bpe.txt.gz")
REFERENCE = np.load(os.path.join(FIXTURES, "open_clip_reference.npz"))
TEXTS = [str(t) for t in REFERENCE["texts"]]
IMAGES = sorted(os.path.join(FIXTURES, "images", f)
                for f in os.listdir(os.path.join(FIXTURES, "images")))
VARIANTS = ("openai", "laion", "bidirectional")
_MODELS = {}


def loaded(path, **options):
    """Each checkpoint is loaded once per test session."""
    key = (path, tuple(sorted(options.items())))
    if key not in _MODELS:
        _MODELS[key] = keras_mm.models.load_pretrained(
            os.path.join(FIXTURES, path), tokenizer=TINY_BPE, **options)
    return _MODELS[key]


def assert_matches_open_clip(model, variant, image_key="image",
                             logits_key="logits"):
    import keras

    ids = model.preprocessors["text"](TEXTS)["token_ids"]
    np.testing.assert_array_equal(ids, REFERENCE[f"{variant}/token_ids"])
    text = model.embed("text", TEXTS)
    image = model.embed("image", IMAGES)
    np.testing.assert_allclose(text, REFERENCE[f"{variant}/text"],
                               atol=1e-4)
    np.testing.assert_allclose(image, REFERENCE[f"{variant}/{image_key}"],
                               atol=1e-4)
    logits = keras.ops.convert_to_numpy(model.similarity(image, text))
    np.testing.assert_allclose(logits, REFERENCE[f"{variant}/{logits_key}"],
                               atol=1e-4)


@pytest.mark.parametrize("variant", VARIANTS)
def test_hub_folder_matches_open_clip(variant):
    assert keras_mm.models.is_pretrained_checkpoint(
        os.path.join(FIXTURES, variant))
    assert_matches_open_clip(loaded(variant), variant)


def test_training_run_folder_matches_open_clip():
    # `epoch_3.pt` ({"state_dict": {"module.…"}}) beside tiny-openai.json;
    # no preprocess_cfg, so open_clip's default transforms.
    run = os.path.join(FIXTURES, "openai_run")
    assert oc.resolve(run)[0] == os.path.join(run, "epoch_3.pt")
    assert keras_mm.models.is_pretrained_checkpoint(
        os.path.join(run, "epoch_3.pt"))
    assert_matches_open_clip(loaded("openai_run"), "openai", "run/image",
                             "run/logits")


def test_bare_safetensors_with_named_model_config():
    # The hub folder's config (with its preprocess_cfg) named by the user.
    model = loaded(os.path.join("laion_run", "weights.safetensors"),
                   model_config=os.path.join(FIXTURES, "laion",
                                             "open_clip_config.json"))
    assert_matches_open_clip(model, "laion")


def test_openai_bpe_ids_match_open_clip_default_tokenizer():
    from keras_mm.models.clip.clip_text_preprocessor import (
        CLIPTextPreprocessor,
    )

    tokenizer = CLIPTextPreprocessor.from_merges_file(77, pad_value=0)
    np.testing.assert_array_equal(tokenizer(TEXTS)["token_ids"],
                                  REFERENCE["openai_bpe/token_ids"])


def _safetensors_shapes(path):
    if path.endswith(".bin"):
        return {k: v.shape for k, v in oc.read_state_dict(path).items()}
    from safetensors.numpy import load_file

    return {k: v.shape for k, v in load_file(path).items()}


@pytest.mark.parametrize("variant", VARIANTS)
def test_save_open_clip_round_trip(variant, tmp_path):
    model = loaded(variant)
    folder = oc.save_open_clip(model, str(tmp_path / variant))
    original = oc.resolve(os.path.join(FIXTURES, variant))
    # The same tensor names and shapes as open_clip's own checkpoint.
    assert _safetensors_shapes(os.path.join(folder, oc.HUB_WEIGHTS)) == \
        _safetensors_shapes(original[0])
    # A config open_clip builds the same architecture from.
    with open(os.path.join(folder, oc.HUB_CONFIG)) as f:
        written = json.load(f)
    assert written["preprocess_cfg"]["resize_mode"] == \
        original[2]["resize_mode"]
    np.testing.assert_allclose(written["preprocess_cfg"]["mean"],
                               original[2]["mean"], atol=1e-7)
    again = keras_mm.models.load_pretrained(folder, tokenizer=TINY_BPE)
    np.testing.assert_array_equal(
        again.preprocessors["text"](TEXTS)["token_ids"],
        REFERENCE[f"{variant}/token_ids"])
    for modality, raw in (("text", TEXTS), ("image", IMAGES)):
        np.testing.assert_allclose(again.embed(modality, raw),
                                   REFERENCE[f"{variant}/{modality}"],
                                   atol=1e-4)


def test_keras_file_round_trip(tmp_path):
    import keras_mm as km

    model = loaded("laion")  # pads attended: mask_padding=False saved.
    path = str(tmp_path / "open_clip.keras")
    model.save(path)
    again = km.load_model(path)
    for modality, raw in (("text", TEXTS), ("image", IMAGES)):
        np.testing.assert_allclose(again.embed(modality, raw),
                                   model.embed(modality, raw), atol=1e-6)


def _folder_with(tmp_path, edit):
    """A copy of the openai hub folder with its model_cfg edited."""
    folder = str(tmp_path / "edited")
    shutil.copytree(os.path.join(FIXTURES, "openai"), folder)
    path = os.path.join(folder, oc.HUB_CONFIG)
    with open(path) as f:
        config = json.load(f)
    edit(config["model_cfg"])
    with open(path, "w") as f:
        json.dump(config, f)
    return folder


@pytest.mark.parametrize("edit, named", [
    (lambda c: c["vision_cfg"].update(timm_model_name="vit_base_patch16"),
     "timm image tower 'vit_base_patch16'"),
    (lambda c: c["text_cfg"].update(hf_model_name="roberta-base"),
     "Hugging Face text tower 'roberta-base'"),
    (lambda c: c["vision_cfg"].update(ls_init_value=1e-4), "layer scale"),
    (lambda c: c["vision_cfg"].update(attentional_pool=True),
     "attentional pooler"),
    (lambda c: c["vision_cfg"].update(pool_type="avg"),
     "image pool_type 'avg'"),
    (lambda c: c["text_cfg"].update(no_causal_mask=True),
     "'argmax' with no_causal_mask"),
])
def test_unsupported_towers_are_refused_in_one_line(tmp_path, edit, named):
    folder = _folder_with(tmp_path, edit)
    assert not keras_mm.models.is_pretrained_checkpoint(folder)
    with pytest.raises(ValueError) as error:
        keras_mm.models.load_pretrained(folder, tokenizer=TINY_BPE)
    message = str(error.value)
    assert named in message and "supported: " in message
    assert "\n" not in message


def test_missing_files_are_named(tmp_path):
    lone = str(tmp_path / "epoch_1.pt")
    shutil.copy(os.path.join(FIXTURES, "openai_run", "epoch_3.pt"), lone)
    assert not keras_mm.models.is_pretrained_checkpoint(lone)
    with pytest.raises(FileNotFoundError, match="model_config=PATH"):
        keras_mm.models.load_pretrained(lone)
    with pytest.raises(FileNotFoundError, match="no_such.txt.gz"):
        keras_mm.models.load_pretrained(
            os.path.join(FIXTURES, "openai"),
            tokenizer=str(tmp_path / "no_such.txt.gz"))
    # OpenAI's full BPE does not fit the tiny vocabulary.
    with pytest.raises(ValueError, match="tokenizer=PATH"):
        keras_mm.models.load_pretrained(os.path.join(FIXTURES, "openai"))
    empty = str(tmp_path / "hub")
    os.makedirs(empty)
    shutil.copy(os.path.join(FIXTURES, "openai", oc.HUB_CONFIG), empty)
    with pytest.raises(FileNotFoundError, match="open_clip_model"):
        keras_mm.models.load_pretrained(empty)


# open_clip's own model_configs (ViT-B-16 is ViT-B-32 with patch_size 16;
# the -quickgelu files add "quick_gelu": true).
VIT_B_32 = {"embed_dim": 512,
            "vision_cfg": {"image_size": 224, "layers": 12, "width": 768,
                           "patch_size": 32},
            "text_cfg": {"context_length": 77, "vocab_size": 49408,
                         "width": 512, "heads": 8, "layers": 12}}
VIT_L_14 = {"embed_dim": 768,
            "vision_cfg": {"image_size": 224, "layers": 24, "width": 1024,
                           "patch_size": 14},
            "text_cfg": {"context_length": 77, "vocab_size": 49408,
                         "width": 768, "heads": 12, "layers": 12}}


@pytest.mark.parametrize("config, heads, intermediate", [
    (VIT_B_32, 12, 3072),
    ({**VIT_B_32, "vision_cfg": {**VIT_B_32["vision_cfg"],
                                 "patch_size": 16}}, 12, 3072),
    ({**VIT_L_14, "quick_gelu": True}, 16, 4096),
])
def test_open_clip_model_configs_parse(config, heads, intermediate):
    from keras_mm.models.clip.open_clip_config import (
        clip_kwargs_from_open_clip,
    )

    kwargs, pool = clip_kwargs_from_open_clip(config, "ViT")
    vision, text = kwargs["vision"], kwargs["text"]
    assert (vision["num_heads"], vision["intermediate_dim"]) == (
        heads, intermediate)
    assert vision["patch_size"] == config["vision_cfg"]["patch_size"]
    assert vision["pre_norm"] and text["causal"] and pool == "argmax"
    activation = "quick_gelu" if config.get("quick_gelu") else "gelu"
    assert vision["activation"] == text["activation"] == activation
    assert kwargs["projection"] == {"image": "linear", "text": "linear"}
    assert kwargs["loss"] == "clip"


def test_image_size_interpolates_positions():
    model = keras_mm.models.load_pretrained(
        os.path.join(FIXTURES, "openai"), tokenizer=TINY_BPE, image_size=48)
    assert model.preprocessors["image"](IMAGES[:1]).shape == (1, 48, 48, 3)
    embeddings = model.embed("image", IMAGES)
    assert embeddings.shape == (len(IMAGES), 24)
    # Close to, not equal to, the 32-pixel embeddings.
    assert np.all(np.sum(embeddings * REFERENCE["openai/image"], -1) > 0.5)


def test_eos_pooling_needs_the_end_token(tmp_path):
    folder = _folder_with(
        tmp_path, lambda c: c["text_cfg"].update(pool_type="eos", eos_id=2))
    with pytest.raises(ValueError, match="'eos' with eos_id 2"):
        keras_mm.models.load_pretrained(folder, tokenizer=TINY_BPE)

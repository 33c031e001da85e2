"""Where a `keras-mm train` run starts: a checkpoint, a `.keras` file or a
preset.

`describe_start` recognises START from file names and small JSON files
only (no Keras), so a missing or unsupported start is reported before
Keras loads; `build_start` then builds the model (inside `train`'s
`build_model`, so the precision policy applies).
"""

import glob
import json
import os

# Dual-encoder checkpoints `keras_mm.models.load_pretrained` reads, by what
# names them: a Hugging Face config.json `model_type`, a keras-hub preset
# backbone class.
DUAL_ENCODER_MODEL_TYPES = ("clip", "siglip")
DUAL_ENCODER_BACKBONES = ("CLIPBackbone", "SigLIPBackbone")
OPEN_CLIP_CONFIG = "open_clip_config.json"
OPEN_CLIP_SUFFIXES = (".pt", ".pth", ".bin", ".safetensors")


def _json(path):
    try:
        with open(path, encoding="utf-8") as f:
            content = json.load(f)
    except (OSError, ValueError):
        return None
    return content if isinstance(content, dict) else None


def _folder_kind(path):
    """`(kind, what)`: kind is "pretrained" or None (unsupported)."""
    config = _json(os.path.join(path, "config.json")) or {}
    metadata = _json(os.path.join(path, "metadata.json")) or {}
    if "keras_hub_version" in metadata:
        backbone = config.get("class_name")
        if backbone in DUAL_ENCODER_BACKBONES:
            return "pretrained", f"keras-hub {backbone} preset"
        return None, f"a keras-hub {backbone or 'unknown'} preset"
    if os.path.isfile(os.path.join(path, OPEN_CLIP_CONFIG)):
        return "pretrained", "open_clip folder"
    if glob.glob(os.path.join(path, "epoch_*.pt")):
        return "pretrained", "open_clip training checkpoint"
    model_type = config.get("model_type")
    if model_type in DUAL_ENCODER_MODEL_TYPES:
        return "pretrained", f"Hugging Face {model_type} folder"
    if model_type:
        return None, f"a Hugging Face {model_type!r} folder"
    if os.path.isfile(os.path.join(path, "modules.json")):
        return None, "a sentence-transformers folder (one text tower)"
    return None, ("a folder with no checkpoint config (config.json, "
                  f"{OPEN_CLIP_CONFIG} or epoch_N.pt)")


def describe_start(start):
    """What START is, without loading it: `{"kind": "pretrained" |
    "keras" | "preset", "path": ..., "what": ..., "modality": ...}`
    (`modality`: the non-text modality, e.g. "image" or "audio").

    Raises FileNotFoundError for a path or preset that does not exist and
    ValueError for a checkpoint train cannot start from, in one line.

    Example:
    ```python
    keras_mm.training.start.describe_start("clip-tiny")["kind"]  # "preset"
    ```
    """
    from keras_mm.presets.preset_registry import list_presets

    if os.path.isdir(start):
        kind, what = _folder_kind(start)
    elif os.path.isfile(start):
        if start.endswith(".keras"):
            kind, what = "keras", ".keras model"
        elif start.endswith(OPEN_CLIP_SUFFIXES):
            kind, what = "pretrained", "open_clip checkpoint file"
        else:
            kind, what = None, ("a file that is no checkpoint (expected "
                                "a .keras file, or .pt/.pth/.bin/"
                                ".safetensors of open_clip)")
    elif start in list_presets():
        kind, what = "preset", "keras_mm preset (random init)"
    else:
        raise FileNotFoundError(
            f"--model {start}: no such checkpoint folder, file or preset "
            f"(presets: {', '.join(list_presets())})")
    if kind is None:
        raise ValueError(
            f"--model {start}: {what}; train starts from a two-tower "
            "checkpoint (Hugging Face CLIP/SigLIP, open_clip, keras-hub "
            "CLIP/SigLIP preset), a .keras model or a preset name")
    path = os.path.abspath(start) if kind != "preset" else start
    return {"kind": kind, "path": path, "what": what,
            "modality": _media_modality(kind, path)}


def _media_modality(kind, path):
    """The non-text modality START trains on, read cheaply (the preset's
    JSON, the `.keras` zip's config.json); "image" for checkpoints."""
    encoders = None
    if kind == "preset":
        from keras_mm.presets.preset_registry import get_preset

        encoders = get_preset(path).get("config", {}).get("encoders")
    elif kind == "keras":
        import zipfile

        try:
            with zipfile.ZipFile(path) as archive:
                config = json.loads(archive.read("config.json"))
        except (OSError, KeyError, ValueError, zipfile.BadZipFile):
            raise ValueError(f"--model {path}: not a readable .keras file "
                             "(no config.json inside)") from None
        encoders = config.get("config", {}).get("encoders")
    media = [m for m in (encoders or {}) if m != "text"]
    return media[0] if len(media) == 1 else "image"


def build_start(start, captions=(), seed=0, preprocessors=None):
    """The model START describes, with `model.preprocessors` for raw
    inputs (text, and image or audio).

    A preset starts from random weights: its text preprocessor is a
    WordPiece vocabulary built from `captions` (at most the preset's
    vocabulary size, its sequence length), its image preprocessor resizes
    to the preset's image size, so a saved model is self-contained.

    Example:
    ```python
    model = keras_mm.training.start.build_start(
        "clip-tiny", captions=["a red circle", "a blue square"])
    model.embed("text", ["a red square"])
    ```
    """
    import keras

    import keras_mm

    description = describe_start(start)
    kind, path = description["kind"], description["path"]
    if kind == "keras":
        model = _under_global_policy(keras_mm.load_model(path,
                                                         compile=False))
    elif kind == "pretrained":
        from keras_mm.models.load_pretrained import load_pretrained

        model = load_pretrained(path)
    else:
        keras.utils.set_random_seed(seed)
        model = keras_mm.presets.from_preset(path)
        model.preprocessors = dict(preprocessors) if preprocessors else (
            preset_preprocessors(model, captions))
    _check_trainable(model, start)
    return model


def _under_global_policy(model):
    """`model` rebuilt under the global dtype policy (a `.keras` file
    records each layer's policy, so loading under `mixed_bfloat16` still
    gives float32 layers), with its weights."""
    import keras

    policy = keras.config.dtype_policy().name
    if policy == "float32":
        return model
    config = keras.saving.serialize_keras_object(model)
    # Preprocessors keep their vocabularies as assets, not in the config:
    # the loaded ones are carried over.
    config["config"].pop("preprocessors", None)
    rebuilt = keras.saving.deserialize_keras_object(
        _without_float32_policies(config))
    rebuilt.set_weights(model.get_weights())
    rebuilt.preprocessors = dict(getattr(model, "preprocessors", {}))
    return rebuilt


def _without_float32_policies(value):
    """A serialized config without its `float32` dtype policies, so its
    layers take the global one."""
    if isinstance(value, list):
        return [_without_float32_policies(v) for v in value]
    if not isinstance(value, dict):
        return value
    return {k: _without_float32_policies(v) for k, v in value.items()
            if not (k == "dtype" and _is_float32_policy(v))}


def _is_float32_policy(value):
    # Only layer policies: a plain "float32" string is an input's dtype.
    return (isinstance(value, dict)
            and value.get("class_name") == "DTypePolicy"
            and value.get("config", {}).get("name") == "float32")


def preset_preprocessors(model, captions):
    """`{"text": TextPreprocessor from captions, "image": ...}` for a
    randomly initialised preset model."""
    from keras_mm.data.text_preprocessor import TextPreprocessor
    from keras_mm.models.image_preprocessor import ImagePreprocessor

    preprocessors = dict(getattr(model, "preprocessors", {}) or {})
    text = model.encoders.get("text") if hasattr(model, "encoders") else None
    if text is not None and "text" not in preprocessors:
        captions = [c for c in captions if c]
        if not captions:
            raise ValueError("a preset start builds its tokenizer from the "
                             "training captions, and there are none")
        preprocessors["text"] = TextPreprocessor.from_corpus(
            captions, vocabulary_size=int(text.vocabulary_size),
            sequence_length=int(text.sequence_length))
    image = model.encoders.get("image") if hasattr(model, "encoders") else None
    if image is not None and "image" not in preprocessors:
        size = int(image.image_size)
        preprocessors["image"] = ImagePreprocessor(size=(size, size))
    return preprocessors


def _check_trainable(model, start):
    if not hasattr(model, "contrastive_loss") or len(
            getattr(model, "modalities", ())) != 2:
        raise ValueError(
            f"--model {start}: a {type(model).__name__}, not a two-tower "
            "contrastive model; train fine-tunes CLIP/SigLIP-style models")

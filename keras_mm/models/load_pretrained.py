"""One entry point for every local pretrained checkpoint."""

import os

# Each family appends its formats here (imported lazily by `_formats`).
_FAMILY_MODULES = (
    "keras_mm.models.clip.formats",
    "keras_mm.models.siglip.formats",
    "keras_mm.models.vit.formats",
    "keras_mm.models.roberta.formats",
    "keras_mm.models.bert.formats",
    "keras_mm.models.whisper.hf_whisper",
    "keras_mm.models.wav2vec2.hf_wav2vec2",
)


def _formats():
    import importlib

    formats = []
    for module in _FAMILY_MODULES:
        formats.extend(importlib.import_module(module).FORMATS)
    return formats


def supported_formats():
    """Names of the checkpoint formats `load_pretrained` reads."""
    return [f.name for f in _formats()]


def _detect(path):
    for checkpoint_format in _formats():
        if checkpoint_format.detect(path):
            return checkpoint_format
    return None


def is_pretrained_checkpoint(path):
    """Whether `path` is a folder or file in a format `load_pretrained`
    recognises and can load."""
    if not os.path.exists(path):
        return False
    checkpoint_format = _detect(path)
    if checkpoint_format is None:
        return False
    return (checkpoint_format.can_load or checkpoint_format.detect)(path)


def load_pretrained(path, **options):
    """Loads a local checkpoint (folder or file), never downloading.

    Returns a `keras_mm.tasks.ContrastiveModel` for dual-encoder checkpoints
    (CLIP, SigLIP, open_clip) and a `keras_mm.models.PretrainedTower` for a
    single tower (ViT, BERT, RoBERTa, Whisper, wav2vec 2.0).

    Example:
    ```python
    model = keras_mm.models.load_pretrained("clip-vit-base-patch32/")
    image_embeddings = model.embed_images(["cat.jpg"])
    ```
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f"No checkpoint at {path}")
    checkpoint_format = _detect(path)
    if checkpoint_format is None:
        raise ValueError(
            f"{path} is not a checkpoint keras_mm reads; supported: "
            + ", ".join(supported_formats())
        )
    return checkpoint_format.load(path, **options)

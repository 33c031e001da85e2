"""A keras_mm SigLIP written back as a Hugging Face `SiglipModel` folder."""

import os

from keras_mm.models.atomic_folder import atomic_folder
from keras_mm.models.clip.hf_clip_writer import HF_ACTIVATIONS
from keras_mm.models.clip.hf_clip_writer import hf_tower_config
from keras_mm.models.clip.hf_clip_writer import normalization_config
from keras_mm.models.clip.hf_clip_writer import write_json
from keras_mm.models.clip.hf_clip_writer import write_weights
from keras_mm.models.image_preprocessor import RESAMPLE
from keras_mm.models.image_preprocessor import ImagePreprocessor
from keras_mm.models.siglip.hf_siglip import hf_siglip_entries
from keras_mm.models.keras_hub_image_preprocessor import (
    KerasHubImagePreprocessor,
)


def hf_siglip_config(model):
    """`config.json` of a keras_mm SigLIP `ContrastiveModel`."""
    image, text = model.encoders["image"], model.encoders["text"]
    preprocessor = model.preprocessors["text"]
    end_id = preprocessor._token_id(preprocessor.end_token)
    pad_id = preprocessor._token_id(preprocessor.pad_token)
    return {
        "architectures": ["SiglipModel"],
        "model_type": "siglip",
        "vision_config": {
            **hf_tower_config(image), "model_type": "siglip_vision_model",
            "image_size": image.image_size, "patch_size": image.patch_size,
            "num_channels": 3, "vision_use_head": True,
        },
        "text_config": {
            **hf_tower_config(text), "model_type": "siglip_text_model",
            "vocab_size": text.vocabulary_size,
            "max_position_embeddings": text.sequence_length,
            "projection_size": image.hidden_dim,
            # SigLIP has no start piece; HF's default (49406) is CLIP's.
            "bos_token_id": None,
            "eos_token_id": end_id, "pad_token_id": pad_id,
        },
    }


def _check_convertible(model):
    encoders = getattr(model, "encoders", None) or {}
    preprocessors = getattr(model, "preprocessors", None) or {}
    image, text = encoders.get("image"), encoders.get("text")
    if getattr(model, "loss_name", None) != "siglip" or image is None or (
            text is None):
        raise ValueError(
            "Only a SigLIP ContrastiveModel (loss 'siglip', 'image' and "
            "'text' encoders) saves as a Hugging Face SigLIP folder")
    problems = []
    if getattr(image, "image_mean", None) is None:
        problems.append("the image encoder has no image_mean/image_std")
    if getattr(image, "pooling", None) != "map" or image.pre_norm or not (
            image.patch_bias):
        problems.append("the image encoder is not SigLIP's (map pooling, "
                        "no pre-norm, patch bias)")
    if getattr(text, "causal", True) or text.pooling != "eot" or (
            text.final_layer_norm_epsilon not in (
                None, text.layer_norm_epsilon)):
        problems.append("the text encoder is not SigLIP's (not causal, "
                        "eot pooling, one layer norm epsilon)")
    for encoder in (image, text):
        if getattr(encoder, "activation", None) not in HF_ACTIVATIONS:
            problems.append(f"activation {encoder.activation!r} has no "
                            "Hugging Face name")
    if model.projection != {"image": "identity", "text": "linear_bias"}:
        problems.append("the projections are not SigLIP's (image identity, "
                        "text linear_bias)")
    text_pre, images = preprocessors.get("text"), preprocessors.get("image")
    if text_pre is None or images is None:
        problems.append("the model has no text and image preprocessors")
    else:
        if getattr(getattr(text_pre, "tokenizer", None), "proto",
                   None) is None:
            problems.append("the text preprocessor has no SentencePiece "
                            "proto")
        elif not (text_pre.remove_punctuation and
                  text_pre.normalize_whitespace):
            # SiglipTokenizer always canonicalises.
            problems.append("the text preprocessor keeps punctuation or "
                            "whitespace, which SiglipTokenizer removes")
        if _image_resize(images) is None:
            problems.append(f"the image preprocessor "
                            f"({type(images).__name__}) crops or keeps the "
                            "aspect ratio (SiglipImageProcessor resizes "
                            "to height/width only)")
    if problems:
        raise ValueError("Only a SigLIP-shaped ContrastiveModel saves as a "
                         "Hugging Face SigLIP folder: " + "; ".join(problems))


def _image_resize(images):
    """`((height, width), resample name)` of a plain resize, else None.

    A keras-hub SigLIP's `KerasHubImagePreprocessor` resizes with
    `keras.layers.Resizing`; Hugging Face resizes with PIL, so images that
    need a resize get slightly different pixels there.
    """
    if isinstance(images, ImagePreprocessor):
        if isinstance(images.size, int) or images.crop_size:
            return None
        return tuple(images.size), images.resample
    if isinstance(images, KerasHubImagePreprocessor):
        if images.crop_to_aspect_ratio or images.pad_to_aspect_ratio or (
                images.interpolation not in RESAMPLE):
            return None
        return images.image_size, images.interpolation
    return None


def _unknown_piece(proto):
    try:
        import sentencepiece
    except ImportError:
        return "<unk>"
    processor = sentencepiece.SentencePieceProcessor(model_proto=proto)
    return processor.id_to_piece(processor.unk_id())


def save_hf_siglip(model, folder):
    """Writes `model` as a folder transformers' `SiglipModel`,
    `SiglipTokenizer`, `SiglipImageProcessor` and `AutoProcessor` load
    (`from_pretrained`), on any Keras backend. LoRA adapters are merged.

    Written as `save_hf_clip` writes, never half-replacing a good folder.

    Example:
    ```python
    model = keras_mm.models.load_pretrained("siglip_folder/")
    model.fit(...)
    keras_mm.models.siglip.save_hf_siglip(model, "siglip_finetuned/")
    ```
    """
    _check_convertible(model)
    text_preprocessor = model.preprocessors["text"]
    images = model.preprocessors["image"]
    image = model.encoders["image"]
    proto = bytes(text_preprocessor.tokenizer.proto)
    with atomic_folder(folder) as tmp:
        write_weights(tmp, hf_siglip_entries(model))
        write_json(os.path.join(tmp, "config.json"),
                    hf_siglip_config(model))
        with open(os.path.join(tmp, "spiece.model"), "wb") as f:
            f.write(proto)
        special = {"eos_token": text_preprocessor.end_token,
                   "pad_token": text_preprocessor.pad_token,
                   "unk_token": _unknown_piece(proto)}
        write_json(os.path.join(tmp, "tokenizer_config.json"), {
            "tokenizer_class": "SiglipTokenizer",
            "processor_class": "SiglipProcessor",
            "model_max_length": text_preprocessor.sequence_length,
            # HF lower-cases with Python's str.lower ("ascii" is a subset).
            "do_lower_case": bool(text_preprocessor.lower_case),
            **special,
        })
        write_json(os.path.join(tmp, "special_tokens_map.json"), special)
        (height, width), resample = _image_resize(images)
        write_json(os.path.join(tmp, "preprocessor_config.json"), {
            "image_processor_type": "SiglipImageProcessor",
            "processor_class": "SiglipProcessor",
            "do_resize": True, "size": {"height": height, "width": width},
            "resample": RESAMPLE[resample],
            **normalization_config(image),
        })
    return folder

"""Hugging Face `SiglipModel` folders read into keras_mm.

A folder holds `config.json` (`model_type: "siglip"`), `model.safetensors`
or `pytorch_model.bin`, the SentencePiece model `spiece.model` (with
`tokenizer_config.json`: lower-casing, the end and pad pieces, the
length) and `preprocessor_config.json` (a plain resize to
`{height, width}`, mean/std 0.5, bilinear in Google's checkpoints).
"""

import os

from keras_mm.checkpoints.checkpoint_mismatch_error import (
    CheckpointMismatchError,
)
from keras_mm.checkpoints.tensor_files import read_tensors
from keras_mm.models.hf_folder import hf_tower_kwargs
from keras_mm.models import weight_mapping as wm
from keras_mm.models.weight_mapping import towers_block_entries
from keras_mm.models.clip.clip_model import set_logit_scale
from keras_mm.models.clip.hf_clip import HF_BLOCK_NAMES
from keras_mm.models.hf_folder import model_type
from keras_mm.models.hf_folder import read_json
from keras_mm.models.image_preprocessor import ImagePreprocessor
from keras_mm.models.siglip.siglip_model import build_siglip
from keras_mm.models.siglip.siglip_text_preprocessor import (
    SigLIPTextPreprocessor,
)


def is_hf_siglip_folder(path):
    return os.path.isdir(path) and model_type(path) == "siglip"


def _tower_kwargs(config, source):
    return hf_tower_kwargs(config, source, "gelu_pytorch_tanh", 1e-6)


def _per_channel(value, default):
    if value is None:
        return default
    if isinstance(value, (int, float)):
        return (float(value),) * 3
    return tuple(float(v) for v in value)


def siglip_kwargs_from_hf(config, image_processor, source):
    """`build_siglip` arguments from `config.json` and the image processor."""
    vision = config.get("vision_config", {})
    text = config.get("text_config", {})
    if vision.get("num_channels", 3) != 3:
        raise ValueError(f"{source}: only 3-channel images are supported")
    if not vision.get("vision_use_head", True):
        raise ValueError(f"{source}: vision_use_head false (no pooling "
                         "head) is not supported")
    image_size, patch_size = vision.get("image_size", 224), vision.get(
        "patch_size", 16)
    if not isinstance(image_size, int) or not isinstance(patch_size, int):
        raise ValueError(f"{source}: only square images and patches are "
                         f"supported (image_size={image_size}, "
                         f"patch_size={patch_size})")
    vision_kwargs = _tower_kwargs(
        {"hidden_size": 768, "num_hidden_layers": 12,
         "num_attention_heads": 12, "intermediate_size": 3072, **vision},
        source)
    text_kwargs = _tower_kwargs(
        {"hidden_size": 768, "num_hidden_layers": 12,
         "num_attention_heads": 12, "intermediate_size": 3072, **text},
        source)
    projection = text.get("projection_size") or text_kwargs["hidden_dim"]
    if projection != vision_kwargs["hidden_dim"]:
        raise ValueError(
            f"{source}: text projection_size {projection} differs from the "
            f"image width {vision_kwargs['hidden_dim']}")
    do_normalize = image_processor.get("do_normalize", True)
    return dict(
        vision=dict(
            image_size=image_size, patch_size=patch_size,
            image_mean=_per_channel(image_processor.get("image_mean"), (
                0.5,) * 3) if do_normalize else (0.0,) * 3,
            image_std=_per_channel(image_processor.get("image_std"), (
                0.5,) * 3) if do_normalize else (1.0,) * 3,
            **vision_kwargs),
        text=dict(
            vocabulary_size=text.get("vocab_size", 32000),
            sequence_length=text.get("max_position_embeddings", 64),
            **text_kwargs),
    )


def hf_siglip_entries(model):
    """`weight_mapping.Entry`s of a SigLIP `ContrastiveModel`, HF names."""
    image = model.encoders["image"]
    text = model.encoders["text"]
    patch = image.get_layer("patch_embedding")
    pool = image.get_layer("pooling")
    v, t = "vision_model.", "text_model."
    head = v + "head."
    entries = [
        wm.Entry((v + "embeddings.patch_embedding.weight",),
                 patch.projection.kernel, "conv"),
        wm.Entry((v + "embeddings.patch_embedding.bias",),
                 patch.projection.bias),
        wm.Entry((v + "embeddings.position_embedding.weight",),
                 patch.position_embedding,
                 checkpoint_shape=(patch.num_tokens, image.hidden_dim)),
        *wm.layer_norm(v + "post_layernorm", image.get_layer("final_norm")),
        wm.Entry((head + "probe",), pool.probe),
        wm.Entry((head + "attention.in_proj_weight",), pool.in_proj_kernel,
                 "linear"),
        wm.Entry((head + "attention.in_proj_bias",), pool.in_proj_bias),
        *wm.dense(head + "attention.out_proj", pool.out_proj),
        *wm.layer_norm(head + "layernorm", pool.norm),
        *wm.dense(head + "mlp.fc1", pool.mlp_in),
        *wm.dense(head + "mlp.fc2", pool.mlp_out),
        wm.Entry((t + "embeddings.token_embedding.weight",),
                 text.get_layer("token_embedding").embeddings),
        wm.Entry((t + "embeddings.position_embedding.weight",),
                 text.get_layer("position_embedding").embeddings),
        *wm.layer_norm(t + "final_layer_norm", text.get_layer("final_norm")),
        *wm.dense(t + "head", model.projections["text"].output_layer),
        wm.Entry(("logit_scale",), model.logit_scale.log_scale,
                 checkpoint_shape=(1,)),
        wm.Entry(("logit_bias",), model.logit_scale.bias,
                 checkpoint_shape=(1,)),
    ]
    return entries + towers_block_entries(((v, image), (t, text)),
                                          HF_BLOCK_NAMES)


def text_preprocessor_from_folder(folder, sequence_length):
    """The folder's `spiece.model`, configured by `tokenizer_config.json`."""
    proto = os.path.join(folder, "spiece.model")
    if not os.path.exists(proto):
        raise FileNotFoundError(
            f"No spiece.model in {folder} (SigLIP's SentencePiece model)")
    config_path = os.path.join(folder, "tokenizer_config.json")
    config = read_json(config_path) if os.path.exists(config_path) else {}

    def piece(key, default):
        value = config.get(key, default)
        # Saved either as a string or as an AddedToken dict.
        return value["content"] if isinstance(value, dict) else value

    return SigLIPTextPreprocessor.from_proto(
        proto, sequence_length=sequence_length,
        end_token=piece("eos_token", "</s>"),
        pad_token=piece("pad_token", "</s>"),
        lower_case=bool(config.get("do_lower_case", True)))


def load_hf_siglip(folder, sequence_length=None):
    """Builds a SigLIP `ContrastiveModel` from a local Hugging Face folder.

    Args:
        folder: str. A `SiglipModel.save_pretrained` folder with its
            `spiece.model`, tokenizer and image processor files.
        sequence_length: optional int. Tokenizer length; by default the
            text tower's `max_position_embeddings` (64), as SigLIP pads.

    Returns:
        `keras_mm.tasks.ContrastiveModel` (loss `"siglip"`) with
        `preprocessors` for `"text"` and `"image"`.

    Example:
    ```python
    model = keras_mm.models.load_pretrained("siglip-base-patch16-224/")
    probabilities = keras.ops.sigmoid(model.similarity(
        model.embed("image", ["cat.jpg"]),
        model.embed("text", ["a photo of a cat"])))
    ```
    """
    config = read_json(os.path.join(folder, "config.json"))
    processor_path = os.path.join(folder, "preprocessor_config.json")
    processor_config = read_json(processor_path)
    kwargs = siglip_kwargs_from_hf(config, processor_config, folder)
    text_length = kwargs["text"]["sequence_length"]
    if sequence_length is not None and sequence_length != text_length:
        # The tower pools the last position: it needs every position.
        raise ValueError(
            f"{folder}: SigLIP pools the last of its {text_length} "
            f"positions; sequence_length={sequence_length} is not supported")
    tokenizer = text_preprocessor_from_folder(folder, text_length)
    images = ImagePreprocessor.from_hf_config(processor_config,
                                              processor_path)
    tensors = read_tensors(folder)
    model = build_siglip(**kwargs,
                         preprocessors={"text": tokenizer, "image": images})
    for key in ("logit_scale", "logit_bias"):
        if key not in tensors:
            raise CheckpointMismatchError(
                f"{folder} is missing tensor '{key}'", tensor_name=key)
    # First, so that the clamp is raised to a large checkpoint scale.
    set_logit_scale(model, tensors["logit_scale"].reshape(()),
                    tensors["logit_bias"].reshape(()))
    wm.assign(hf_siglip_entries(model), tensors, source=folder)
    return model

"""Hugging Face `CLIPModel` folders: read into keras_mm, and written back.

A folder holds `config.json` (`model_type: "clip"`), `model.safetensors`
or `pytorch_model.bin`, the tokenizer (`vocab.json` + `merges.txt`, or
`tokenizer.json`) and `preprocessor_config.json`. Every architectural
detail comes from the config: activation (`quick_gelu` for OpenAI's
checkpoints), layer-norm epsilon, sizes, the logit scale.
"""

import math
import os

from keras_mm.checkpoints.tensor_files import open_tensors
from keras_mm.models import weight_mapping as wm
from keras_mm.models.weight_mapping import towers_block_entries
from keras_mm.models.clip.clip_model import build_clip
from keras_mm.models.clip.clip_text_preprocessor import CLIPTextPreprocessor
from keras_mm.models.hf_folder import hf_tower_kwargs
from keras_mm.models.hf_folder import model_type
from keras_mm.models.hf_folder import read_json
from keras_mm.models.image_preprocessor import ImagePreprocessor
from keras_mm.models.random_init_skipped import random_init_skipped

HF_BLOCK_NAMES = {
    "q": "self_attn.q_proj", "k": "self_attn.k_proj",
    "v": "self_attn.v_proj", "out": "self_attn.out_proj",
    "norm1": "layer_norm1", "norm2": "layer_norm2",
    "fc1": "mlp.fc1", "fc2": "mlp.fc2",
}


def is_hf_clip_folder(path):
    return os.path.isdir(path) and model_type(path) == "clip"


def clip_kwargs_from_hf(config, image_processor, source):
    """`build_clip` arguments from `config.json` and the image processor."""
    vision, text = config["vision_config"], config["text_config"]
    if vision.get("num_channels", 3) != 3:
        raise ValueError(f"{source}: only 3-channel images are supported")
    image_mean = image_processor.get("image_mean")
    image_std = image_processor.get("image_std")
    return dict(
        vision=dict(
            image_size=vision["image_size"],
            patch_size=vision["patch_size"],
            image_mean=image_mean, image_std=image_std,
            **hf_tower_kwargs(vision, source)),
        text=dict(
            vocabulary_size=text["vocab_size"],
            sequence_length=text["max_position_embeddings"],
            **hf_tower_kwargs(text, source)),
        projection_dim=config["projection_dim"],
    )


def hf_clip_entries(model):
    """`weight_mapping.Entry`s of a CLIP `ContrastiveModel`, HF names."""
    image = model.encoders["image"]
    text = model.encoders["text"]
    patch = image.get_layer("patch_embedding")
    v, t = "vision_model.", "text_model."
    entries = [
        wm.Entry((v + "embeddings.patch_embedding.weight",),
                 patch.projection.kernel, "conv"),
        wm.Entry((v + "embeddings.class_embedding",), patch.class_token,
                 checkpoint_shape=(image.hidden_dim,)),
        wm.Entry((v + "embeddings.position_embedding.weight",),
                 patch.position_embedding,
                 checkpoint_shape=(patch.num_tokens, image.hidden_dim)),
        *wm.layer_norm(v + "pre_layrnorm", image.get_layer("pre_norm")),
        *wm.layer_norm(v + "post_layernorm", image.get_layer("final_norm")),
        wm.Entry((t + "embeddings.token_embedding.weight",),
                 text.get_layer("token_embedding").embeddings),
        wm.Entry((t + "embeddings.position_embedding.weight",),
                 text.get_layer("position_embedding").embeddings),
        *wm.layer_norm(t + "final_layer_norm", text.get_layer("final_norm")),
        wm.Entry(("visual_projection.weight",),
                 model.projections["image"].output_layer.kernel, "linear"),
        wm.Entry(("text_projection.weight",),
                 model.projections["text"].output_layer.kernel, "linear"),
        wm.Entry(("logit_scale",), model.logit_scale.log_scale),
    ]
    return entries + towers_block_entries(((v, image), (t, text)),
                                          HF_BLOCK_NAMES)


def load_hf_clip(folder, image_size=None, sequence_length=None):
    """Builds a CLIP `ContrastiveModel` from a local Hugging Face folder.

    Args:
        folder: str. A `CLIPModel.save_pretrained` folder with its
            tokenizer and image processor files.
        image_size: optional int. Fine-tune at another resolution: the
            position embeddings are interpolated (bicubic) to the new grid.
        sequence_length: optional int. A shorter text context than the
            checkpoint's `max_position_embeddings` (the first positions
            are kept): less compute when captions are short.

    Returns:
        `keras_mm.tasks.ContrastiveModel` with `preprocessors` for
        `"text"` and `"image"`.

    Example:
    ```python
    model = keras_mm.models.clip.load_hf_clip("clip-vit-base-patch32/")
    model.embed("image", ["cat.jpg"])
    ```
    """
    from keras_mm.models.position_interpolation import resized_positions

    config = read_json(os.path.join(folder, "config.json"))
    processor_config = read_json(
        os.path.join(folder, "preprocessor_config.json"))
    kwargs = clip_kwargs_from_hf(config, processor_config, folder)
    tensors = open_tensors(folder)  # read one tensor at a time
    text_length = kwargs["text"]["sequence_length"]
    if sequence_length and sequence_length < text_length:
        text_length = kwargs["text"]["sequence_length"] = sequence_length
        key = "text_model.embeddings.position_embedding.weight"
        if key in tensors:
            tensors[key] = tensors[key][:sequence_length]
    tokenizer = CLIPTextPreprocessor.from_folder(folder, text_length)
    images = ImagePreprocessor.from_hf_config(
        processor_config, os.path.join(folder, "preprocessor_config.json"))
    checkpoint_size = kwargs["vision"]["image_size"]
    if image_size and image_size != checkpoint_size:
        kwargs["vision"]["image_size"] = image_size
        key = "vision_model.embeddings.position_embedding.weight"
        if key in tensors:
            tensors[key] = resized_positions(
                tensors[key], checkpoint_size // kwargs["vision"][
                    "patch_size"], image_size // kwargs["vision"][
                    "patch_size"], num_prefix_tokens=1)
        images = ImagePreprocessor(image_size, image_size, images.resample,
                                   images.crop_rounding)
    with random_init_skipped():  # every weight is assigned below
        model = build_clip(
            **kwargs, preprocessors={"text": tokenizer, "image": images},
            logit_scale=config.get("logit_scale_init_value",
                                   math.log(1 / 0.07)))
    wm.assign(hf_clip_entries(model), tensors, source=folder)
    return model

"""Hugging Face `ViTModel` / `ViTForImageClassification` folders.

A folder holds `config.json` (`model_type: "vit"`), `model.safetensors`
or `pytorch_model.bin` (tensors named `embeddings.…`, or `vit.embeddings.…`
for the classifier) and `preprocessor_config.json` (resize, mean, std).
The tower becomes a `VisionTransformerEncoder`: class token, patch bias,
the config's activation and layer-norm epsilon (1e-12 for ViT), the
processor's mean/std inside the encoder.

`pooled_output` is the final-normed class token (what image-text dual
encoders pool), not `ViTModel`'s `pooler_output` (`tanh(dense(cls))`):
the pooler and a classifier head are left unread.
"""

import os

import numpy as np

from keras_mm.checkpoints.tensor_files import read_tensors
from keras_mm.models import weight_mapping as wm
from keras_mm.models.weight_mapping import block_entries
from keras_mm.models.hf_folder import model_type
from keras_mm.models.hf_folder import read_json
from keras_mm.models.hf_folder import hf_tower_kwargs
from keras_mm.models.hf_tensor_reader import tensor_prefix
from keras_mm.models.image_preprocessor import ImagePreprocessor
from keras_mm.models.pretrained_tower import PretrainedTower

SOURCE = "huggingface vit"
# Names of one `ViTLayer`'s tensors as transformers saves them.
HF_BLOCK_NAMES = {
    "q": "attention.attention.query", "k": "attention.attention.key",
    "v": "attention.attention.value", "out": "attention.output.dense",
    "norm1": "layernorm_before", "norm2": "layernorm_after",
    "fc1": "intermediate.dense", "fc2": "output.dense",
}
_CLASS_TOKEN = "embeddings.cls_token"


def is_hf_vit_folder(path):
    return os.path.isdir(path) and model_type(path) == "vit"


def vit_kwargs_from_hf(config, processor_config, source):
    """`VisionTransformerEncoder` arguments from `config.json` and
    `preprocessor_config.json`."""
    if config.get("num_channels", 3) != 3:
        raise ValueError(f"{source}: only 3-channel images are supported")
    return dict(
        image_size=config["image_size"],
        patch_size=config["patch_size"],
        **hf_tower_kwargs(config, source, "gelu", 1e-12),
        pooling="cls",
        **image_statistics(processor_config, source),
    )


def image_statistics(processor_config, source):
    """`image_mean`/`image_std` in [0, 1] units for the encoder.

    The processor rescales by `rescale_factor` (1/255) then normalises;
    without normalisation the encoder still sees `pixels / 255`.
    """
    if processor_config.get("do_rescale", True) and not np.isclose(
            processor_config.get("rescale_factor", 1 / 255), 1 / 255):
        raise ValueError(f"{source}: rescale_factor "
                         f"{processor_config['rescale_factor']} is not "
                         "supported (only 1/255)")
    if not processor_config.get("do_rescale", True):
        raise ValueError(f"{source}: do_rescale false is not supported")
    if not processor_config.get("do_normalize", True):
        return dict(image_mean=[0.0] * 3, image_std=[1.0] * 3)
    # ViTImageProcessor's defaults (ImageNet's "standard" 0.5s).
    return dict(
        image_mean=list(processor_config.get("image_mean", [0.5] * 3)),
        image_std=list(processor_config.get("image_std", [0.5] * 3)))


def checkpoint_prefix(tensors, source):
    """`""` (`ViTModel`) or `"vit."` (`ViTForImageClassification`)."""
    prefix = tensor_prefix(tensors, _CLASS_TOKEN)
    if prefix is not None:
        return prefix
    raise ValueError(f"{source}: no ViT tensors (expected "
                     f"'{_CLASS_TOKEN}' or 'vit.{_CLASS_TOKEN}')")


def hf_vit_entries(encoder, qkv_bias=True):
    """`weight_mapping.Entry`s of a `VisionTransformerEncoder`, HF names
    (without the `vit.` prefix)."""
    patch = encoder.get_layer("patch_embedding")
    entries = [
        wm.Entry(("embeddings.patch_embeddings.projection.weight",),
                 patch.projection.kernel, "conv"),
        wm.Entry(("embeddings.patch_embeddings.projection.bias",),
                 patch.projection.bias),
        wm.Entry((_CLASS_TOKEN,), patch.class_token),
        wm.Entry(("embeddings.position_embeddings",),
                 patch.position_embedding),
        *wm.layer_norm("layernorm", encoder.get_layer("final_norm")),
    ]
    names = dict(HF_BLOCK_NAMES)
    for i in range(encoder.num_layers):
        block = encoder.get_layer(f"block_{i}")
        block_part = block_entries(block, f"encoder.layer.{i}.", names)
        if not qkv_bias:
            # `qkv_bias: false`: the fused bias stays zero (set by caller).
            block_part = [e for e in block_part
                          if e.variable is not block.qkv.bias]
        entries += block_part
    return entries


def load_hf_vit(folder, image_size=None):
    """Builds a ViT image tower from a local Hugging Face folder.

    Args:
        folder: str. A `ViTModel` or `ViTForImageClassification`
            `save_pretrained` folder with `preprocessor_config.json`.
        image_size: optional int. Fine-tune at another resolution: the
            position embeddings are interpolated (bicubic) to the new grid.

    Returns:
        `keras_mm.models.PretrainedTower` with a `VisionTransformerEncoder`
        and an `ImagePreprocessor` (modality `"image"`).

    Example:
    ```python
    tower = keras_mm.models.vit.load_hf_vit("vit-base-patch16-224/")
    pixels = tower.preprocessor(["cat.jpg"])
    tower.encoder({"images": pixels})["pooled_output"]
    ```
    """
    from keras_mm.models.vit.vision_transformer_encoder import (
        VisionTransformerEncoder,
    )
    from keras_mm.models.position_interpolation import resized_positions

    config = read_json(os.path.join(folder, "config.json"))
    processor_path = os.path.join(folder, "preprocessor_config.json")
    processor_config = read_json(processor_path)
    kwargs = vit_kwargs_from_hf(config, processor_config, folder)
    images = ImagePreprocessor.from_hf_config(processor_config,
                                              processor_path)
    tensors = read_tensors(folder)
    prefix = checkpoint_prefix(tensors, folder)
    checkpoint_size = kwargs["image_size"]
    if image_size and image_size != checkpoint_size:
        kwargs["image_size"] = image_size
        key = prefix + "embeddings.position_embeddings"
        patch = kwargs["patch_size"]
        table = np.asarray(tensors[key])
        tensors[key] = resized_positions(
            table.reshape(table.shape[-2:]), checkpoint_size // patch,
            image_size // patch, num_prefix_tokens=1)[None]
        images = ImagePreprocessor((image_size, image_size),
                                   resample=images.resample)
    encoder = VisionTransformerEncoder(**kwargs, name="vit_image_encoder")
    qkv_bias = config.get("qkv_bias", True)
    if not qkv_bias:
        for i in range(encoder.num_layers):
            bias = encoder.get_layer(f"block_{i}").qkv.bias
            bias.assign(np.zeros(bias.shape, bias.dtype))
    wm.assign(hf_vit_entries(encoder, qkv_bias), tensors, source=folder,
              prefix=prefix)
    return PretrainedTower(encoder, images, "image", SOURCE, folder)

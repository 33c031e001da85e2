"""Tiny Hugging Face ViT folders and keras-hub ViT presets, written by
transformers and keras-hub themselves, every parameter perturbed."""

import numpy as np
from reference_weights import perturb  # noqa: F401

IMAGE_MEAN = [0.45, 0.5, 0.55]
IMAGE_STD = [0.25, 0.3, 0.2]


def write_hf_vit(folder, classifier=False, image_size=32, patch_size=8):
    """A tiny `ViTModel` (or `ViTForImageClassification`) folder with a
    `ViTImageProcessor` of non-default mean/std."""
    import torch
    from transformers import ViTConfig
    from transformers import ViTForImageClassification
    from transformers import ViTImageProcessor
    from transformers import ViTModel

    config = ViTConfig(hidden_size=32, intermediate_size=64,
                       num_hidden_layers=2, num_attention_heads=2,
                       image_size=image_size, patch_size=patch_size,
                       num_labels=3)
    torch.manual_seed(0)
    model_class = ViTForImageClassification if classifier else ViTModel
    model = model_class(config).eval()
    perturb(model)
    model.save_pretrained(folder)
    ViTImageProcessor(size={"height": image_size, "width": image_size},
                      image_mean=IMAGE_MEAN,
                      image_std=IMAGE_STD).save_pretrained(folder)
    return model


def reference_vit(folder, image_paths):
    """transformers' `last_hidden_state` from the folder's own processor."""
    import torch
    from PIL import Image
    from transformers import ViTImageProcessor
    from transformers import ViTModel

    model = ViTModel.from_pretrained(folder).eval()
    processor = ViTImageProcessor.from_pretrained(folder)
    images = [Image.open(p).convert("RGB") for p in image_paths]
    inputs = processor(images=images, return_tensors="pt")
    with torch.no_grad():
        return model(**inputs).last_hidden_state.numpy()


def write_keras_hub_vit(folder, use_class_token=True, use_mha_bias=True,
                        use_mlp_bias=True, image_size=32):
    """A tiny keras-hub `ViTBackbone` preset with an image converter;
    returns `(backbone, converter)`."""
    import keras
    import keras_hub

    backbone = keras_hub.models.ViTBackbone(
        image_shape=(image_size, image_size, 3), patch_size=8, num_layers=2,
        num_heads=2, hidden_dim=32, mlp_dim=64, use_class_token=use_class_token,
        use_mha_bias=use_mha_bias, use_mlp_bias=use_mlp_bias)
    rng = np.random.default_rng(1)
    for variable in backbone.weights:
        variable.assign(keras.ops.convert_to_numpy(variable.value)
                        + rng.normal(0, 0.05, variable.shape))
    backbone.save_to_preset(folder)
    converter = keras_hub.layers.ViTImageConverter(
        image_size=(image_size, image_size),
        scale=[1 / (255 * s) for s in IMAGE_STD],
        offset=[-m / s for m, s in zip(IMAGE_MEAN, IMAGE_STD)])
    converter.save_to_preset(folder)
    return backbone, converter


def write_images(folder, sizes=((40, 52), (32, 32), (61, 37))):
    """PNG files of random pixels; most need a resize."""
    import os

    from PIL import Image

    rng = np.random.default_rng(0)
    paths = []
    for i, (height, width) in enumerate(sizes):
        path = os.path.join(folder, f"vit_image_{i}.png")
        Image.fromarray(rng.integers(0, 256, (height, width, 3),
                                     dtype=np.uint8)).save(path)
        paths.append(path)
    return paths

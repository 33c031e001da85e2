"""keras-hub `CLIPBackbone` presets (`save_to_preset` folders) as a
keras_mm CLIP.

keras-hub loads its own preset; its variables are renamed to Hugging Face's
names and shapes (its attention keeps per-head `(D, H, D/H)` kernels) and
go through the same mapping as a Hugging Face folder, so one table of
names serves both.
"""

import os

import numpy as np

from keras_mm.models import weight_mapping as wm
from keras_mm.models.clip.clip_model import build_clip
from keras_mm.models.clip.clip_text_preprocessor import CLIPTextPreprocessor
from keras_mm.models.clip.hf_clip import hf_clip_entries
from keras_mm.models.keras_hub_image_preprocessor import (
    converter_preprocessing,
)
from keras_mm.models.keras_hub_preset_folder import float32_numpy
from keras_mm.models.keras_hub_preset_folder import keras_hub_backbone_class


def is_keras_hub_clip(path):
    return os.path.isdir(path) and keras_hub_backbone_class(path) == (
        "CLIPBackbone")


def _block_tensors(block, prefix):
    attention = block.attention
    tensors = {}
    for ours, theirs in (("q_proj", attention._query_dense),
                         ("k_proj", attention._key_dense),
                         ("v_proj", attention._value_dense)):
        kernel = float32_numpy(theirs.kernel)  # (D, H, D/H)
        tensors[f"{prefix}self_attn.{ours}.weight"] = kernel.reshape(
            kernel.shape[0], -1).T
        tensors[f"{prefix}self_attn.{ours}.bias"] = float32_numpy(
            theirs.bias).reshape(-1)
    out = attention._output_dense
    kernel = float32_numpy(out.kernel)  # (H, D/H, D)
    tensors[f"{prefix}self_attn.out_proj.weight"] = kernel.reshape(
        -1, kernel.shape[-1]).T
    tensors[f"{prefix}self_attn.out_proj.bias"] = float32_numpy(out.bias)
    for ours, theirs in (("layer_norm1", block.layer_norm_1),
                         ("layer_norm2", block.layer_norm_2)):
        tensors[f"{prefix}{ours}.weight"] = float32_numpy(theirs.gamma)
        tensors[f"{prefix}{ours}.bias"] = float32_numpy(theirs.beta)
    for ours, theirs in (("mlp.fc1", block.dense_1),
                         ("mlp.fc2", block.dense_2)):
        tensors[f"{prefix}{ours}.weight"] = float32_numpy(theirs.kernel).T
        tensors[f"{prefix}{ours}.bias"] = float32_numpy(theirs.bias)
    return tensors


def _norm(name, layer):
    return {f"{name}.weight": float32_numpy(layer.gamma),
            f"{name}.bias": float32_numpy(layer.beta)}


def keras_hub_clip_tensors(backbone):
    """A keras-hub `CLIPBackbone`'s weights under Hugging Face's names."""
    vision, text = backbone.vision_encoder, backbone.text_encoder
    v, t = "vision_model.", "text_model."
    embedding = vision.embedding
    tensors = {
        v + "embeddings.patch_embedding.weight": np.transpose(
            float32_numpy(embedding.patch_embedding.kernel), (3, 2, 0, 1)),
        v + "embeddings.class_embedding": float32_numpy(embedding.class_embedding),
        # keras-hub looks positions up through its `position_ids` weight
        # (arange in converted presets): the rows it really adds.
        v + "embeddings.position_embedding.weight": float32_numpy(
            embedding.position_embedding.embeddings)[
            float32_numpy(embedding.position_ids).astype(np.int64).reshape(-1)],
        **_norm(v + "pre_layrnorm", vision.pre_layer_norm),
        **_norm(v + "post_layernorm", vision.layer_norm),
        t + "embeddings.token_embedding.weight": float32_numpy(
            text.embedding.token_embedding.embeddings),
        t + "embeddings.position_embedding.weight": float32_numpy(
            text.embedding.position_embedding.position_embeddings),
        **_norm(t + "final_layer_norm", text.layer_norm),
        "visual_projection.weight": float32_numpy(
            backbone.vision_projection.kernel).T,
        "text_projection.weight": float32_numpy(backbone.text_projection.kernel).T,
        "logit_scale": float32_numpy(backbone.clip_head.logit_scale),
    }
    for prefix, encoder in ((v, vision), (t, text)):
        for i, block in enumerate(encoder.encoder_layers):
            tensors.update(_block_tensors(block,
                                          f"{prefix}encoder.layers.{i}."))
    return tensors


def load_keras_hub_clip(folder):
    """Builds a keras_mm CLIP from a keras-hub `CLIPBackbone` preset folder.

    Example:
    ```python
    clip = keras_mm.models.clip.load_keras_hub_clip("clip_preset/")
    clip.embed("image", ["cat.jpg"]) @ clip.embed("text", ["a cat"]).T
    ```
    """
    import keras_hub

    backbone = keras_hub.models.CLIPBackbone.from_preset(folder)
    tokenizer = keras_hub.tokenizers.CLIPTokenizer.from_preset(folder)
    try:
        converter = keras_hub.layers.CLIPImageConverter.from_preset(folder)
    except (FileNotFoundError, ValueError):
        converter = None
    vision, text = backbone.vision_encoder, backbone.text_encoder
    image_size = vision.image_shape[0]
    images, mean, std = converter_preprocessing(
        converter, folder, image_size)
    if text.embedding_dim != text.hidden_dim:
        raise ValueError(f"{folder}: a text embedding_dim "
                         f"({text.embedding_dim}) other than hidden_dim "
                         f"({text.hidden_dim}) is not supported")
    length = text.max_sequence_length

    def tower(encoder):
        return dict(hidden_dim=encoder.hidden_dim,
                    num_layers=encoder.num_layers,
                    num_heads=encoder.num_heads,
                    intermediate_dim=encoder.intermediate_dim,
                    activation=encoder.intermediate_activation,
                    layer_norm_epsilon=1e-5)

    model = build_clip(
        dict(image_size=image_size, patch_size=vision.patch_size,
             image_mean=mean, image_std=std, **tower(vision)),
        dict(vocabulary_size=text.vocabulary_size, sequence_length=length,
             final_layer_norm_epsilon=text.layer_norm.epsilon,
             **tower(text)),
        projection_dim=backbone.projection_dim,
        preprocessors={
            "text": CLIPTextPreprocessor(
                tokenizer, length),
            "image": images,
        })
    wm.assign(hf_clip_entries(model), keras_hub_clip_tensors(backbone),
              source=folder)
    return model

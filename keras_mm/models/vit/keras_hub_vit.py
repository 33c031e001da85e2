"""keras-hub `ViTBackbone` presets (`save_to_preset` folders).

The backbone's weights are copied into a `VisionTransformerEncoder`:
keras-hub's per-head `MultiHeadAttention` kernels are fused into one q/k/v
projection, and bias-free attention or MLPs (`use_mha_bias` /
`use_mlp_bias` false) get zero biases. A backbone without a class token
becomes a mean-pooled encoder (its `sequence_output` is then the patch
tokens, as keras-hub's). keras-hub normalises images in its
`ImageConverter` (`x * scale + offset`); here that becomes the encoder's
per-channel mean/std, so the encoder takes [0, 255] pixels.
"""

import os

import numpy as np

from keras_mm.models.keras_hub_image_preprocessor import (
    KerasHubImagePreprocessor,
)
from keras_mm.models.keras_hub_image_preprocessor import (
    converter_preprocessing,
)
from keras_mm.models.keras_hub_image_preprocessor import (
    statistics_from_converter,
)
from keras_mm.models.keras_hub_preset_folder import keras_hub_backbone_class
from keras_mm.models.pretrained_tower import PretrainedTower

SOURCE = "keras-hub vit"
CONVERTER_FILE = "image_converter.json"


def is_keras_hub_vit_preset(path):
    """A `save_to_preset` folder whose backbone is a `ViTBackbone`."""
    return keras_hub_backbone_class(path) == "ViTBackbone"


def encoder_kwargs_from_backbone(backbone, source):
    height, width = backbone.image_shape[:2] if (
        backbone.data_format == "channels_last") else backbone.image_shape[1:]
    patch_h, patch_w = backbone.patch_size
    if height != width or patch_h != patch_w:
        raise ValueError(
            f"{source}: only square images and patches are supported; "
            f"got image {height}x{width}, patch {patch_h}x{patch_w}")
    return dict(
        image_size=height, patch_size=patch_h, hidden_dim=backbone.hidden_dim,
        num_layers=backbone.num_layers, num_heads=backbone.num_heads,
        intermediate_dim=backbone.mlp_dim,
        # keras-hub's MLP uses Keras' "gelu", the exact one.
        activation="gelu", layer_norm_epsilon=backbone.layer_norm_epsilon,
        pooling="cls" if backbone.use_class_token else "mean",
        patch_bias=backbone.use_patch_bias)


def _value(variable):
    return np.asarray(variable.numpy(), np.float32)


def copy_backbone_weights(backbone, encoder):
    """keras-hub `ViTBackbone` weights -> `VisionTransformerEncoder`."""
    embed = backbone.get_layer("vit_patching_and_embedding")
    patch = encoder.get_layer("patch_embedding")
    patch.projection.kernel.assign(_value(embed.patch_embedding.kernel))
    if backbone.use_patch_bias:
        patch.projection.bias.assign(_value(embed.patch_embedding.bias))
    if backbone.use_class_token:
        patch.class_token.assign(_value(embed.class_token))
    patch.position_embedding.assign(
        _value(embed.position_embedding.embeddings)[None])
    hub_encoder = backbone.get_layer("vit_encoder")
    hidden = backbone.hidden_dim
    for i, hub in enumerate(hub_encoder.encoder_layers):
        block = encoder.get_layer(f"block_{i}")
        mha = hub.mha
        kernels = [_value(layer.kernel).reshape(hidden, hidden)
                   for layer in (mha._query_dense, mha._key_dense,
                                 mha._value_dense)]
        block.qkv.kernel.assign(np.concatenate(kernels, axis=-1))
        block.attention_output.kernel.assign(
            _value(mha._output_dense.kernel).reshape(hidden, hidden))
        if backbone.use_mha_bias:
            block.qkv.bias.assign(np.concatenate(
                [_value(layer.bias).reshape(hidden) for layer in
                 (mha._query_dense, mha._key_dense, mha._value_dense)]))
            block.attention_output.bias.assign(
                _value(mha._output_dense.bias))
        else:
            for bias in (block.qkv.bias, block.attention_output.bias):
                bias.assign(np.zeros(bias.shape, np.float32))
        for ours, theirs in ((block.mlp_in, hub.mlp.dense_1),
                             (block.mlp_out, hub.mlp.dense_2)):
            ours.kernel.assign(_value(theirs.kernel))
            ours.bias.assign(_value(theirs.bias) if backbone.use_mlp_bias
                             else np.zeros(ours.bias.shape, np.float32))
        for ours, theirs in ((block.attention_norm, hub.layer_norm_1),
                             (block.mlp_norm, hub.layer_norm_2)):
            ours.gamma.assign(_value(theirs.gamma))
            ours.beta.assign(_value(theirs.beta))
    final = encoder.get_layer("final_norm")
    final.gamma.assign(_value(hub_encoder.layer_norm.gamma))
    final.beta.assign(_value(hub_encoder.layer_norm.beta))


def load_keras_hub_vit(folder):
    """Builds a ViT image tower from a local keras-hub `ViTBackbone` preset.

    The preset's `image_converter.json` (when saved) gives the image size,
    resize and scale/offset; without one, keras-hub ViT presets'
    `[-1, 1]` scaling is assumed. Images are resized as the converter
    resizes them (`KerasHubImagePreprocessor`: `keras.layers.Resizing`).

    Example:
    ```python
    tower = keras_mm.models.vit.load_keras_hub_vit("vit_preset/")
    tower.encoder({"images": tower.preprocessor(["cat.jpg"])})
    ```
    """
    import keras_hub

    from keras_mm.models.vit.vision_transformer_encoder import (
        VisionTransformerEncoder,
    )

    backbone = keras_hub.models.Backbone.from_preset(folder)
    kwargs = encoder_kwargs_from_backbone(backbone, folder)
    size = kwargs["image_size"]
    if os.path.exists(os.path.join(folder, CONVERTER_FILE)):
        converter = keras_hub.layers.ViTImageConverter.from_preset(folder)
        images, mean, std = converter_preprocessing(converter, folder, size)
    else:
        # keras-hub ViT presets scale to [-1, 1]; the resize is an
        # `ImageConverter`'s default.
        mean, std = statistics_from_converter(1.0 / 127.5, -1.0)
        images = KerasHubImagePreprocessor((size, size))
    encoder = VisionTransformerEncoder(
        **kwargs, image_mean=mean, image_std=std, name="vit_image_encoder")
    copy_backbone_weights(backbone, encoder)
    return PretrainedTower(encoder, images, "image", SOURCE, folder)

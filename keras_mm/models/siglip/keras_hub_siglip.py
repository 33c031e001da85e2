"""keras-hub SigLIP presets (`save_to_preset` folders) read into keras_mm.

A preset folder holds `metadata.json` (with `keras_hub_version`),
`config.json` naming `SigLIPBackbone`, `model.weights.h5`, and the
preprocessing keras-hub saved beside it: `preprocessor.json` (a
`SigLIPPreprocessor`: sequence length, text canonicalisation, the image
converter), `tokenizer.json` with `assets/tokenizer/vocabulary.spm`, and
`image_converter.json`. keras-hub itself reads the folder; its variables
are renamed to Hugging Face's names and assigned through the same
`hf_siglip_entries` as a Hugging Face folder.
"""

import os

import numpy as np

from keras_mm.models import weight_mapping as wm
from keras_mm.models.clip.clip_model import set_logit_scale
from keras_mm.models.siglip.hf_siglip import hf_siglip_entries
from keras_mm.models.keras_hub_image_preprocessor import (
    converter_preprocessing,
)
from keras_mm.models.keras_hub_preset_folder import float32_numpy
from keras_mm.models.keras_hub_preset_folder import keras_hub_backbone_class
from keras_mm.models.siglip.siglip_model import build_siglip
from keras_mm.models.siglip.siglip_text_preprocessor import (
    SigLIPTextPreprocessor,
)

# keras-hub activation names -> keras_mm's.
KERAS_HUB_ACTIVATIONS = {"gelu_approximate": "gelu_tanh", "gelu": "gelu"}


def is_keras_hub_siglip_preset(path):
    return keras_hub_backbone_class(path) == "SigLIPBackbone"


def _attention(mha):
    """q, k, v, out `(out, in)` weights and biases of a Keras
    `MultiHeadAttention`, as torch stores them."""
    tensors = {}
    for name, dense in (("q", mha._query_dense), ("k", mha._key_dense),
                        ("v", mha._value_dense)):
        kernel = float32_numpy(dense.kernel)  # (D, heads, head_dim)
        tensors[name + ".weight"] = kernel.reshape(kernel.shape[0], -1).T
        tensors[name + ".bias"] = float32_numpy(dense.bias).reshape(-1)
    kernel = float32_numpy(mha._output_dense.kernel)  # (heads, head_dim, D)
    tensors["out.weight"] = kernel.reshape(-1, kernel.shape[-1]).T
    tensors["out.bias"] = float32_numpy(mha._output_dense.bias)
    return tensors


def _dense(name, layer):
    return {f"{name}.weight": float32_numpy(layer.kernel).T,
            f"{name}.bias": float32_numpy(layer.bias)}


def _norm(name, layer):
    return {f"{name}.weight": float32_numpy(layer.gamma),
            f"{name}.bias": float32_numpy(layer.beta)}


def _block(prefix, block):
    attention = _attention(block.self_attn)
    tensors = {f"{prefix}self_attn.{k[0]}_proj.{k[2:]}" if k[0] in "qkv"
               else f"{prefix}self_attn.out_proj.{k[4:]}": v
               for k, v in attention.items()}
    tensors.update(_norm(prefix + "layer_norm1", block.layer_norm1))
    tensors.update(_norm(prefix + "layer_norm2", block.layer_norm2))
    tensors.update(_dense(prefix + "mlp.fc1", block.mlp.fc1))
    tensors.update(_dense(prefix + "mlp.fc2", block.mlp.fc2))
    return tensors


def hf_tensors_from_backbone(backbone):
    """A keras-hub `SigLIPBackbone`'s weights under Hugging Face's
    `SiglipModel` names and layouts."""
    vision, text = backbone.vision_encoder, backbone.text_encoder
    v, t = "vision_model.", "text_model."
    patch = vision.embedding.patch_embedding
    tensors = {
        # HWIO -> OIHW.
        v + "embeddings.patch_embedding.weight": np.transpose(
            float32_numpy(patch.kernel), (3, 2, 0, 1)),
        v + "embeddings.patch_embedding.bias": float32_numpy(patch.bias),
        v + "embeddings.position_embedding.weight": float32_numpy(
            vision.embedding.position_embedding.embeddings),
        **_norm(v + "post_layernorm", vision.post_layer_norm),
        t + "embeddings.token_embedding.weight": float32_numpy(
            text.embedding.token_embedding.embeddings),
        t + "embeddings.position_embedding.weight": float32_numpy(
            text.embedding.position_embedding.embeddings),
        **_norm(t + "final_layer_norm", text.post_layer_norm),
        **_dense(t + "head", text.head),
        "logit_scale": float32_numpy(backbone.siglip_head.logit_scale).reshape(1),
        "logit_bias": float32_numpy(backbone.siglip_head.logit_bias).reshape(1),
    }
    head, h = vision.head, v + "head."
    attention = _attention(head.attention)
    tensors[h + "probe"] = float32_numpy(head.probe)
    tensors[h + "attention.in_proj_weight"] = np.concatenate(
        [attention[f"{n}.weight"] for n in "qkv"], axis=0)
    tensors[h + "attention.in_proj_bias"] = np.concatenate(
        [attention[f"{n}.bias"] for n in "qkv"], axis=0)
    tensors[h + "attention.out_proj.weight"] = attention["out.weight"]
    tensors[h + "attention.out_proj.bias"] = attention["out.bias"]
    tensors.update(_norm(h + "layernorm", head.layer_norm))
    tensors.update(_dense(h + "mlp.fc1", head.mlp.fc1))
    tensors.update(_dense(h + "mlp.fc2", head.mlp.fc2))
    for prefix, encoder in ((v, vision), (t, text)):
        for i, block in enumerate(encoder.encoder_layers):
            tensors.update(_block(f"{prefix}encoder.layers.{i}.", block))
    return tensors


def _activation(name, source):
    if name not in KERAS_HUB_ACTIVATIONS:
        raise ValueError(
            f"{source}: activation {name!r} is not supported; supported: "
            + ", ".join(sorted(KERAS_HUB_ACTIVATIONS)))
    return KERAS_HUB_ACTIVATIONS[name]


def siglip_kwargs_from_backbone(backbone, source):
    """`build_siglip` arguments matching a keras-hub `SigLIPBackbone`."""
    vision, text = backbone.vision_encoder, backbone.text_encoder
    height, width, channels = vision.image_shape
    if height != width or channels != 3:
        raise ValueError(f"{source}: only square RGB images are supported "
                         f"(image_shape={vision.image_shape})")
    # keras-hub fixes the vision tower's final norm at 1e-6.
    if vision.post_layer_norm.epsilon != vision.layer_norm_epsilon:
        raise ValueError(
            f"{source}: the vision tower's layer_norm_epsilon "
            f"{vision.layer_norm_epsilon} differs from its final norm's "
            f"{vision.post_layer_norm.epsilon}; not supported")
    if text.embedding_dim != text.hidden_dim:
        raise ValueError(f"{source}: text embedding_dim "
                         f"{text.embedding_dim} != hidden_dim "
                         f"{text.hidden_dim} is not supported")
    if text.projection_dim != vision.hidden_dim:
        raise ValueError(
            f"{source}: text projection_dim {text.projection_dim} differs "
            f"from the image width {vision.hidden_dim}")

    def tower(encoder):
        return dict(hidden_dim=encoder.hidden_dim,
                    num_layers=encoder.num_layers,
                    num_heads=encoder.num_heads,
                    intermediate_dim=encoder.intermediate_dim,
                    activation=_activation(encoder.intermediate_activation,
                                           source),
                    layer_norm_epsilon=encoder.layer_norm_epsilon)

    return dict(
        vision=dict(image_size=height, patch_size=vision.patch_size,
                    **tower(vision)),
        text=dict(vocabulary_size=text.vocabulary_size,
                  sequence_length=text.max_sequence_length, **tower(text)),
    )


def preprocessors_from_preset(folder, sequence_length):
    """keras-hub's tokenizer and image converter of the preset, as
    keras_mm preprocessors; also the image mean and std."""
    import keras_hub

    if not os.path.exists(os.path.join(folder, "tokenizer.json")):
        raise FileNotFoundError(
            f"No tokenizer.json in {folder} (the preset's SigLIPTokenizer)")
    if os.path.exists(os.path.join(folder, "preprocessor.json")):
        preprocessor = keras_hub.models.SigLIPPreprocessor.from_preset(folder)
        tokenizer = preprocessor.tokenizer
        converter = preprocessor.image_converter
        canonicalize = preprocessor.canonicalize_text
        sequence_length = preprocessor.sequence_length
    else:
        tokenizer = keras_hub.models.SigLIPTokenizer.from_preset(folder)
        converter, canonicalize = None, True
    if converter is None:
        if not os.path.exists(os.path.join(folder, "image_converter.json")):
            raise FileNotFoundError(
                f"No image_converter.json in {folder} (the preset's image "
                "resize and scaling)")
        converter = keras_hub.layers.SigLIPImageConverter.from_preset(folder)
    text = SigLIPTextPreprocessor(
        tokenizer, sequence_length,
        end_token=tokenizer.end_token, pad_token=tokenizer.pad_token,
        lower_case="ascii" if canonicalize else False,
        remove_punctuation=canonicalize, normalize_whitespace=canonicalize)
    images, mean, std = converter_preprocessing(converter, folder)
    return text, images, tuple(mean), tuple(std)


def load_keras_hub_siglip(folder):
    """Builds a SigLIP `ContrastiveModel` from a keras-hub preset folder.

    Args:
        folder: str. A `SigLIPBackbone.save_to_preset` folder, with the
            tokenizer (and preprocessor) saved beside it.

    Returns:
        `keras_mm.tasks.ContrastiveModel` (loss `"siglip"`) with
        `preprocessors` reproducing keras-hub's `SigLIPPreprocessor`.

    Example:
    ```python
    model = keras_mm.models.load_pretrained("siglip_preset/")
    model.embed("text", ["a photo of a cat"])
    ```
    """
    import keras_hub

    backbone = keras_hub.models.SigLIPBackbone.from_preset(folder)
    kwargs = siglip_kwargs_from_backbone(backbone, folder)
    text, images, mean, std = preprocessors_from_preset(
        folder, kwargs["text"]["sequence_length"])
    if text.sequence_length != kwargs["text"]["sequence_length"]:
        raise ValueError(
            f"{folder}: the preprocessor's sequence_length "
            f"{text.sequence_length} differs from the text tower's "
            f"{kwargs['text']['sequence_length']}")
    kwargs["vision"].update(image_mean=mean, image_std=std)
    model = build_siglip(**kwargs,
                         preprocessors={"text": text, "image": images})
    tensors = hf_tensors_from_backbone(backbone)
    set_logit_scale(model, tensors["logit_scale"].reshape(()),
                    tensors["logit_bias"].reshape(()))
    wm.assign(hf_siglip_entries(model), tensors, source=folder)
    return model

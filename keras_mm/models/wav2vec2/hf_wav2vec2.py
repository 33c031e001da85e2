"""Loading a local Hugging Face wav2vec 2.0 folder as an audio tower.

The folder is what `Wav2Vec2Model.save_pretrained` (or a task model's,
e.g. `Wav2Vec2ForCTC`, whose tensors sit under `wav2vec2.`) plus
`Wav2Vec2FeatureExtractor.save_pretrained` write: `config.json`,
`model.safetensors` (or `pytorch_model.bin`) and
`preprocessor_config.json`. Heads and the pretraining-only tensors
(`masked_spec_embed`, quantizer) are ignored.
"""

import numpy as np

from keras_mm.layers.activations import checkpoint_activation
from keras_mm.models.checkpoint_format import CheckpointFormat
from keras_mm.models.hf_audio_folder import load_hf_audio_tower
from keras_mm.models.hf_folder import hf_tower_kwargs
from keras_mm.models.hf_tensor_reader import HFTensorReader
from keras_mm.models.hf_tensor_reader import hf_model_type
from keras_mm.models.hf_tensor_reader import tensor_prefix

SOURCE = "huggingface wav2vec2"
_POSITION_CONV = "encoder.pos_conv_embed.conv."
# Weight-norm parameters (g, v) as old and new torch versions name them.
_WEIGHT_NORM_NAMES = (
    ("parametrizations.weight.original0", "parametrizations.weight.original1"),
    ("weight_g", "weight_v"),
)


def is_hf_wav2vec2_folder(path):
    """Whether `path` is a folder whose `config.json` says `wav2vec2`."""
    return hf_model_type(path) == "wav2vec2"


def encoder_kwargs_from_hf(config):
    """`Wav2Vec2AudioEncoder` arguments from a wav2vec2 `config.json`."""
    return dict(
        conv_dims=list(config["conv_dim"]),
        conv_kernels=list(config["conv_kernel"]),
        conv_strides=list(config["conv_stride"]),
        conv_bias=config.get("conv_bias", False),
        feature_norm=config.get("feat_extract_norm", "group"),
        num_conv_pos_embeddings=config.get("num_conv_pos_embeddings", 128),
        num_conv_pos_embedding_groups=config.get(
            "num_conv_pos_embedding_groups", 16),
        pre_norm=config.get("do_stable_layer_norm", False),
        feature_activation=checkpoint_activation(
            config.get("feat_extract_activation", "gelu"),
            "wav2vec2 feat_extract_activation"),
        **hf_tower_kwargs(config, "wav2vec2 config.json", "gelu", 1e-5),
    )


def _position_conv_kernel(reader, shape):
    """The positional conv's torch weight `(out, in / groups, kernel)`,
    its weight norm folded in: `g * v / |v|`, the norm over all axes but
    the kernel axis (`weight_norm(dim=2)`)."""
    for g_name, v_name in _WEIGHT_NORM_NAMES:
        if reader.has(_POSITION_CONV + g_name):
            g = reader.get(_POSITION_CONV + g_name, (1, 1, shape[2]))
            v = reader.get(_POSITION_CONV + v_name, shape).astype("float64")
            norm = np.sqrt(np.sum(v ** 2, axis=(0, 1), keepdims=True))
            return g * v / norm
    # A plain kernel (a checkpoint saved with the weight norm removed).
    return reader.get(_POSITION_CONV + "weight", shape)


def assign_hf_wav2vec2_weights(encoder, tensors, source="checkpoint"):
    """Copies a wav2vec2 checkpoint's tensors into `encoder`.

    Raises `keras_mm.checkpoints.CheckpointMismatchError` naming the first
    missing tensor or the first one whose shape does not fit.
    """
    # `""` (Wav2Vec2Model) or `"wav2vec2."` (task models).
    prefix = tensor_prefix(
        tensors, "feature_projection.projection.weight", default="")
    reader = HFTensorReader(tensors, prefix, source)
    for i in range(len(encoder.conv_dims)):
        conv = f"feature_extractor.conv_layers.{i}."
        reader.assign_dense(conv + "conv",
                            encoder.get_layer(f"feature_conv_{i}"))
        if encoder.feature_norm == "layer" or i == 0:
            reader.assign_norm(conv + "layer_norm",
                               encoder.get_layer(f"feature_norm_{i}"))
    reader.assign_norm("feature_projection.layer_norm",
                       encoder.get_layer("projection_norm"))
    reader.assign_dense("feature_projection.projection",
                        encoder.get_layer("projection"))
    position_conv = encoder.get_layer("position_conv")
    kernel = _position_conv_kernel(
        reader, tuple(position_conv.kernel.shape)[::-1])
    position_conv.kernel.assign(
        np.transpose(kernel).astype(position_conv.kernel.dtype))
    reader.assign(_POSITION_CONV + "bias", position_conv.bias)
    norm = "final_norm" if encoder.pre_norm else "encoder_norm"
    reader.assign_norm("encoder.layer_norm", encoder.get_layer(norm))
    for i in range(encoder.num_layers):
        block = encoder.get_layer(f"block_{i}")
        layer = f"encoder.layers.{i}."
        if encoder.pre_norm:  # TransformerBlock: fused QKV.
            reader.assign_fused_qkv(layer + "attention", block.qkv,
                                    encoder.hidden_dim)
            mlp_in, mlp_out = block.mlp_in, block.mlp_out
            attention_norm, mlp_norm = block.attention_norm, block.mlp_norm
        else:  # BertBlock: separate projections.
            for part, dense in (("q_proj", block.query),
                                ("k_proj", block.key),
                                ("v_proj", block.value)):
                reader.assign_dense(f"{layer}attention.{part}", dense)
            mlp_in, mlp_out = block.intermediate, block.output_dense
            attention_norm, mlp_norm = block.attention_norm, block.output_norm
        reader.assign_dense(layer + "attention.out_proj",
                            block.attention_output)
        reader.assign_norm(layer + "layer_norm", attention_norm)
        reader.assign_dense(layer + "feed_forward.intermediate_dense",
                            mlp_in)
        reader.assign_dense(layer + "feed_forward.output_dense", mlp_out)
        reader.assign_norm(layer + "final_layer_norm", mlp_norm)


def load_hf_wav2vec2(folder, dtype=None):
    """Builds a `Wav2Vec2AudioEncoder` and its preprocessor from a folder.

    Args:
        folder: str. What `save_pretrained` wrote (module docstring);
            nothing is downloaded.
        dtype: optional dtype policy of the encoder.

    Returns:
        An audio `keras_mm.models.PretrainedTower`. Its encoder reads
        16 kHz waveforms of any length; its `preprocessor` normalises each
        clip where `do_normalize` says so.

    Example:
    ```python
    tower = keras_mm.models.wav2vec2.load_hf_wav2vec2("wav2vec2-base/")
    clips = [np.zeros(16000, "float32"), np.zeros(8000, "float32")]
    tower.encoder(tower.preprocessor(clips))["pooled_output"]  # (2, 768)
    ```
    """
    from keras_mm.models.wav2vec2.wav2vec2_audio_encoder import (
        Wav2Vec2AudioEncoder,
    )
    from keras_mm.models.wav2vec2.wav2vec2_audio_preprocessor import (
        Wav2Vec2AudioPreprocessor,
    )

    return load_hf_audio_tower(
        folder, Wav2Vec2AudioEncoder, Wav2Vec2AudioPreprocessor,
        encoder_kwargs_from_hf, assign_hf_wav2vec2_weights, SOURCE,
        "wav2vec2_audio_encoder", dtype)


FORMATS = [
    CheckpointFormat(name=SOURCE, detect=is_hf_wav2vec2_folder,
                     load=load_hf_wav2vec2),
]

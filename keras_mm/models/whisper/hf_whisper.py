"""Loading a local Hugging Face Whisper folder as an audio tower.

The folder is what `WhisperModel.save_pretrained` (or
`WhisperForConditionalGeneration`'s) plus `WhisperFeatureExtractor
.save_pretrained` write: `config.json`, `model.safetensors` (or
`pytorch_model.bin`) and `preprocessor_config.json`. Only the encoder's
tensors (`encoder.*`, `model.encoder.*`) are read; the decoder is ignored.
"""

import os

from keras_mm.checkpoints.tensor_files import read_tensors
from keras_mm.models.checkpoint_format import CheckpointFormat
from keras_mm.models.hf_tensor_reader import HFTensorReader
from keras_mm.models.hf_tensor_reader import hf_model_type
from keras_mm.models.hf_tensor_reader import read_json
from keras_mm.models.pretrained_tower import PretrainedTower

SOURCE = "huggingface whisper"
# Hugging Face `activation_function` -> the Keras activation of that name.
_ACTIVATIONS = {"gelu": "gelu", "relu": "relu", "silu": "silu",
                "swish": "silu"}


def is_hf_whisper_folder(path):
    """Whether `path` is a folder whose `config.json` says `whisper`."""
    return hf_model_type(path) == "whisper"


def encoder_kwargs_from_hf(config):
    """`WhisperAudioEncoder` arguments from a Whisper `config.json`."""
    activation = config.get("activation_function", "gelu")
    if activation not in _ACTIVATIONS:
        raise ValueError(
            f"Whisper activation_function {activation!r} is not supported "
            f"(supported: {sorted(_ACTIVATIONS)})")
    return dict(
        num_mel_bins=config["num_mel_bins"],
        max_source_positions=config["max_source_positions"],
        hidden_dim=config["d_model"],
        num_layers=config["encoder_layers"],
        num_heads=config["encoder_attention_heads"],
        intermediate_dim=config["encoder_ffn_dim"],
        activation=_ACTIVATIONS[activation],
        # Whisper's LayerNorms are torch's default.
        layer_norm_epsilon=1e-5,
    )


def _encoder_prefix(tensors):
    """`"encoder."` (WhisperModel) or `"model.encoder."` (generation)."""
    for name in tensors:
        if name.endswith("encoder.conv1.weight"):
            return name[: -len("conv1.weight")]
    return "encoder."


def assign_hf_whisper_weights(encoder, tensors, source="checkpoint"):
    """Copies a Whisper checkpoint's encoder tensors into `encoder`.

    Raises `keras_mm.checkpoints.CheckpointMismatchError` naming the first
    missing tensor or the first one whose shape does not fit.
    """
    reader = HFTensorReader(tensors, _encoder_prefix(tensors), source)
    reader.assign_dense("conv1", encoder.get_layer("conv1"))
    reader.assign_dense("conv2", encoder.get_layer("conv2"))
    reader.assign("embed_positions.weight",
                  encoder.get_layer("position_embedding").embeddings)
    for i in range(encoder.num_layers):
        block = encoder.get_layer(f"block_{i}")
        layer = f"layers.{i}."
        reader.assign_fused_qkv(layer + "self_attn", block.qkv,
                                encoder.hidden_dim, key_bias=False)
        reader.assign_dense(layer + "self_attn.out_proj",
                            block.attention_output)
        reader.assign_norm(layer + "self_attn_layer_norm",
                           block.attention_norm)
        reader.assign_norm(layer + "final_layer_norm", block.mlp_norm)
        reader.assign_dense(layer + "fc1", block.mlp_in)
        reader.assign_dense(layer + "fc2", block.mlp_out)
    reader.assign_norm("layer_norm", encoder.get_layer("final_norm"))


def load_hf_whisper(folder, dtype=None):
    """Builds a `WhisperAudioEncoder` and its preprocessor from a folder.

    Args:
        folder: str. A Hugging Face Whisper folder (see the module
            docstring); nothing is downloaded.
        dtype: optional dtype policy of the encoder.

    Returns:
        `keras_mm.models.PretrainedTower` with modality `"audio"`: its
        `preprocessor` maps 16 kHz waveforms to the encoder's inputs.

    Example:
    ```python
    tower = keras_mm.models.whisper.load_hf_whisper("whisper-tiny/")
    inputs = tower.preprocessor([np.zeros(16000, "float32")])
    embedding = tower.encoder(inputs)["pooled_output"]  # (1, 384)
    ```
    """
    from keras_mm.models.whisper.whisper_audio_encoder import (
        WhisperAudioEncoder,
    )
    from keras_mm.models.whisper.whisper_audio_preprocessor import (
        WhisperAudioPreprocessor,
    )

    if not os.path.isdir(folder):
        raise FileNotFoundError(f"No checkpoint folder at {folder}")
    kwargs = encoder_kwargs_from_hf(read_json(folder, "config.json"))
    read_json(folder, "preprocessor_config.json")  # Names it when missing.
    preprocessor = WhisperAudioPreprocessor.from_preprocessor_config(
        os.path.join(folder, "preprocessor_config.json"))
    frames = 2 * kwargs["max_source_positions"]
    if (preprocessor.num_mel_bins, preprocessor.num_frames) != (
            kwargs["num_mel_bins"], frames):
        raise ValueError(
            f"{folder}: preprocessor_config.json makes features of "
            f"{preprocessor.num_mel_bins} mel bins x "
            f"{preprocessor.num_frames} frames but config.json's encoder "
            f"takes {kwargs['num_mel_bins']} x {frames} "
            "(feature_size, chunk_length * sampling_rate / hop_length vs "
            "num_mel_bins, 2 * max_source_positions)")
    encoder = WhisperAudioEncoder(**kwargs, dtype=dtype,
                                  name="whisper_audio_encoder")
    assign_hf_whisper_weights(encoder, read_tensors(folder), source=folder)
    return PretrainedTower(encoder=encoder, preprocessor=preprocessor,
                           modality="audio", source=SOURCE, path=folder)


FORMATS = [
    CheckpointFormat(name=SOURCE, detect=is_hf_whisper_folder,
                     load=load_hf_whisper),
]

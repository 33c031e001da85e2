"""Loading a local Hugging Face Whisper folder as an audio tower.

The folder is what `WhisperModel.save_pretrained` (or
`WhisperForConditionalGeneration`'s) plus `WhisperFeatureExtractor
.save_pretrained` write: `config.json`, `model.safetensors` (or
`pytorch_model.bin`) and `preprocessor_config.json`. Only the encoder's
tensors (`encoder.*`, `model.encoder.*`) are read; the decoder is ignored.
"""

from keras_mm.layers.activations import checkpoint_activation
from keras_mm.models.checkpoint_format import CheckpointFormat
from keras_mm.models.hf_audio_folder import load_hf_audio_tower
from keras_mm.models.hf_folder import hf_tower_sizes
from keras_mm.models.hf_tensor_reader import HFTensorReader
from keras_mm.models.hf_tensor_reader import hf_model_type
from keras_mm.models.hf_tensor_reader import tensor_prefix

SOURCE = "huggingface whisper"


def is_hf_whisper_folder(path):
    """Whether `path` is a folder whose `config.json` says `whisper`."""
    return hf_model_type(path) == "whisper"


def encoder_kwargs_from_hf(config):
    """`WhisperAudioEncoder` arguments from a Whisper `config.json`."""
    return dict(
        num_mel_bins=config["num_mel_bins"],
        max_source_positions=config["max_source_positions"],
        **hf_tower_sizes(config, ("d_model", "encoder_layers",
                                  "encoder_attention_heads",
                                  "encoder_ffn_dim")),
        activation=checkpoint_activation(
            config.get("activation_function", "gelu"),
            "Whisper activation_function"),
        # Whisper's LayerNorms are torch's default.
        layer_norm_epsilon=1e-5,
    )


def assign_hf_whisper_weights(encoder, tensors, source="checkpoint"):
    """Copies a Whisper checkpoint's encoder tensors into `encoder`.

    Raises `keras_mm.checkpoints.CheckpointMismatchError` naming the first
    missing tensor or the first one whose shape does not fit.
    """
    # `"encoder."` (WhisperModel) or `"model.encoder."` (generation).
    prefix = tensor_prefix(tensors, "encoder.conv1.weight", default="")
    reader = HFTensorReader(tensors, prefix + "encoder.", source)
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
        `preprocessor` turns 16 kHz waveforms into log-mel features of the
        encoder's fixed window (`chunk_length`, 30 s), padding or cutting.

    Example:
    ```python
    tower = keras_mm.models.whisper.load_hf_whisper("whisper-tiny/")
    features = tower.preprocessor([np.zeros(16000, "float32")])
    tower.encoder(features)["pooled_output"].shape  # (1, 384)
    ```
    """
    from keras_mm.models.whisper.whisper_audio_encoder import (
        WhisperAudioEncoder,
    )
    from keras_mm.models.whisper.whisper_audio_preprocessor import (
        WhisperAudioPreprocessor,
    )

    return load_hf_audio_tower(
        folder, WhisperAudioEncoder, WhisperAudioPreprocessor,
        encoder_kwargs_from_hf, assign_hf_whisper_weights, SOURCE,
        "whisper_audio_encoder", dtype, check=_check_frames)


def _check_frames(folder, kwargs, preprocessor):
    """The features' size must be the encoder's input size."""
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


FORMATS = [
    CheckpointFormat(name=SOURCE, detect=is_hf_whisper_folder,
                     load=load_hf_whisper),
]

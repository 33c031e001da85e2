"""Loading a local Hugging Face-format BERT folder into `BertTextEncoder`.

A folder holds `config.json`, weights (`model.safetensors` or
`pytorch_model.bin`) and `vocab.txt`; a sentence-transformers folder adds
`modules.json` and `1_Pooling/config.json`, which decide the pooling and the
normalisation (read by `sentence_transformers.py`). The checkpoint's own config decides every architectural
detail: activation (`hidden_act`: exact or tanh GELU), layer norm epsilon,
sizes. Nothing is downloaded.
"""

import os

import numpy as np

from keras_mm.checkpoints.checkpoint_mismatch_error import (
    CheckpointMismatchError,
)
from keras_mm.checkpoints.tensor_files import read_tensors
from keras_mm.models.bert.loaded_checkpoint import LoadedCheckpoint
from keras_mm.models.bert.sentence_transformers import (
    read_sentence_transformers,
)
from keras_mm.models.hf_folder import hf_tower_sizes
from keras_mm.models.hf_folder import read_json
from keras_mm.models.hf_tensor_reader import tensor_prefix

SUPPORTED_MODEL_TYPES = ("bert",)


def is_hf_format_folder(folder):
    """Whether `folder` is a Hugging Face or sentence-transformers one
    (of any `model_type`; `load_hf_bert` names an unsupported one)."""
    config = os.path.join(folder, "config.json")
    if os.path.exists(os.path.join(folder, "modules.json")):
        return True
    return os.path.exists(config) and "model_type" in read_json(config)


def encoder_kwargs_from_hf(config):
    """`BertTextEncoder` arguments from a Hugging Face BERT `config.json`."""
    model_type = config.get("model_type")
    if model_type not in SUPPORTED_MODEL_TYPES:
        raise ValueError(
            f"model_type {model_type!r} is not supported; supported: "
            f"{SUPPORTED_MODEL_TYPES}"
        )
    if config.get("position_embedding_type", "absolute") != "absolute":
        raise ValueError("Only absolute position embeddings are supported; "
                         f"got {config['position_embedding_type']!r}")
    return dict(
        vocabulary_size=config["vocab_size"],
        sequence_length=config["max_position_embeddings"],
        **hf_tower_sizes(config),
        activation=config.get("hidden_act", "gelu"),
        layer_norm_epsilon=config.get("layer_norm_eps", 1e-12),
        type_vocabulary_size=config.get("type_vocab_size", 2),
    )


def hf_weight_names(encoder):
    """`[(checkpoint name, variable, transpose)]` for a `BertTextEncoder`."""
    pairs = [
        ("embeddings.word_embeddings.weight",
         encoder.get_layer("token_embedding").embeddings, False),
        ("embeddings.position_embeddings.weight",
         encoder.get_layer("position_embedding").embeddings, False),
        ("embeddings.token_type_embeddings.weight",
         encoder.get_layer("segment_embedding").embeddings, False),
    ]
    pairs += _norm("embeddings.LayerNorm", encoder.get_layer("embeddings_norm"))
    for i in range(encoder.num_layers):
        block = encoder.get_layer(f"block_{i}")
        prefix = f"encoder.layer.{i}."
        for name, layer in (
            ("attention.self.query", block.query),
            ("attention.self.key", block.key),
            ("attention.self.value", block.value),
            ("attention.output.dense", block.attention_output),
            ("intermediate.dense", block.intermediate),
            ("output.dense", block.output_dense),
        ):
            pairs += _dense(prefix + name, layer)
        pairs += _norm(prefix + "attention.output.LayerNorm",
                       block.attention_norm)
        pairs += _norm(prefix + "output.LayerNorm", block.output_norm)
    if encoder.pooling == "pooler":
        pairs += _dense("pooler.dense", encoder.get_layer("pooler"))
    return pairs


def _dense(name, layer):
    # torch Linear stores (out, in); Keras Dense stores (in, out).
    return [(f"{name}.weight", layer.kernel, True),
            (f"{name}.bias", layer.bias, False)]


def _norm(name, layer):
    return [(f"{name}.weight", layer.gamma, False),
            (f"{name}.bias", layer.beta, False)]


# Older checkpoints name LayerNorm parameters gamma/beta.
_ALIASES = {".weight": ".gamma", ".bias": ".beta"}


def _find(tensors, prefix, name):
    candidates = [prefix + name]
    for new, old in _ALIASES.items():
        if "LayerNorm" in name and name.endswith(new):
            candidates.append(prefix + name[: -len(new)] + old)
    for candidate in candidates:
        if candidate in tensors:
            return tensors[candidate]
    return None


def _prefix(tensors):
    """`""` or e.g. `"bert."` (BertForMaskedLM and friends)."""
    return tensor_prefix(tensors, "embeddings.word_embeddings.weight",
                         default="")


def assign_hf_weights(encoder, tensors, source="checkpoint"):
    """Copies Hugging Face-named `tensors` into `encoder`.

    Raises `CheckpointMismatchError` naming the first missing tensor or the
    first tensor whose shape does not fit.
    """
    prefix = _prefix(tensors)
    for name, variable, transpose in hf_weight_names(encoder):
        value = _find(tensors, prefix, name)
        expected = tuple(variable.shape)
        if value is None:
            raise CheckpointMismatchError(
                f"{source} is missing tensor '{prefix + name}' (the model "
                f"expects shape {expected})", tensor_name=prefix + name,
            )
        value = np.transpose(value) if transpose else value
        if tuple(value.shape) != expected:
            found = value.shape[::-1] if transpose else value.shape
            want = expected[::-1] if transpose else expected
            raise CheckpointMismatchError(
                f"{source}: tensor '{prefix + name}' has shape "
                f"{tuple(found)} but the model expects {tuple(want)}",
                tensor_name=prefix + name,
            )
        variable.assign(value.astype(variable.dtype))


def load_hf_bert(folder, sequence_length=None, pooling=None, normalize=None):
    """Builds a `BertTextEncoder` from a local Hugging Face-format folder.

    Args:
        folder: str. Holds `config.json`, `model.safetensors` (or
            `pytorch_model.bin`) and `vocab.txt`; or a sentence-transformers
            folder with `modules.json`.
        sequence_length: int. Tokenizer output length; defaults to the
            sentence-transformers `max_seq_length`, else
            `min(max_position_embeddings, 512)`.
        pooling: str. Overrides the pooling (`"pooler"`, `"cls"`, `"mean"`);
            defaults to the sentence-transformers config, else BERT's pooler
            when the checkpoint has one, else `"cls"`.
        normalize: bool. Overrides the normalisation of the pooled output.

    Returns:
        `keras_mm.checkpoints.LoadedCheckpoint`.

    Example:
    ```python
    checkpoint = keras_mm.models.bert.load_hf_bert("bert_tiny/")
    checkpoint.embed_texts(["hello world"]).shape  # (1, hidden_dim)
    ```
    """
    from keras_mm.data.text_preprocessor import TextPreprocessor
    from keras_mm.models.bert.bert_text_encoder import BertTextEncoder

    if not os.path.isdir(folder):
        raise FileNotFoundError(f"No checkpoint folder at {folder}")
    transformer, st_pooling, st_normalize, st_length = (
        read_sentence_transformers(folder)
    )
    source = "sentence-transformers" if st_pooling else "huggingface"
    config_path = os.path.join(transformer, "config.json")
    if not os.path.exists(config_path):
        raise FileNotFoundError(f"No config.json at {config_path}")
    kwargs = encoder_kwargs_from_hf(read_json(config_path))
    tensors = read_tensors(transformer)
    if pooling is None:
        pooling = st_pooling
    if pooling is None:
        pooling = ("pooler" if any(n.endswith("pooler.dense.weight")
                                   for n in tensors) else "cls")
    normalize = st_normalize if normalize is None else normalize
    encoder = BertTextEncoder(**kwargs, pooling=pooling, normalize=normalize,
                              name="bert_text_encoder")
    assign_hf_weights(encoder, tensors, source=transformer)

    preprocessor = None
    vocab = os.path.join(transformer, "vocab.txt")
    if os.path.exists(vocab):
        tokenizer_config = os.path.join(transformer, "tokenizer_config.json")
        tokenizer_config = (read_json(tokenizer_config)
                            if os.path.exists(tokenizer_config) else {})
        lowercase = tokenizer_config.get("do_lower_case", True)
        # transformers' BertTokenizer strips accents whenever it lowercases,
        # unless `strip_accents` says otherwise.
        strip_accents = tokenizer_config.get("strip_accents")
        strip_accents = lowercase if strip_accents is None else strip_accents
        length = sequence_length or st_length or min(
            kwargs["sequence_length"], 512
        )
        preprocessor = TextPreprocessor.from_vocabulary_file(
            vocab, sequence_length=min(length, kwargs["sequence_length"]),
            lowercase=lowercase, strip_accents=strip_accents,
        )
    return LoadedCheckpoint(encoder, preprocessor, source, folder)

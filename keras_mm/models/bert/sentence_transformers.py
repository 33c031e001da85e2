"""Reading a sentence-transformers folder's modules: which folder holds
the transformer, how it pools, whether it normalises, its sequence length.

The transformer itself (BERT or RoBERTa) is loaded by its family's
loader; this file only reads `modules.json`, `1_Pooling/config.json` and
`sentence_bert_config.json`.
"""

import os

from keras_mm.models.hf_folder import read_json

ST_POOLING = "sentence_transformers.models.Pooling"
ST_NORMALIZE = "sentence_transformers.models.Normalize"
ST_TRANSFORMER = "sentence_transformers.models.Transformer"


def read_sentence_transformers(folder):
    """Reads `modules.json`: `(transformer_folder, pooling, normalize, length)`.

    For a plain Hugging Face folder: `(folder, None, False, None)`.

    Example:
    ```python
    from keras_mm.models.bert.sentence_transformers import (
        read_sentence_transformers)
    read_sentence_transformers("all-MiniLM-L6-v2/")
    # ("all-MiniLM-L6-v2/", "mean", True, 256)
    ```
    """
    modules_path = os.path.join(folder, "modules.json")
    if not os.path.exists(modules_path):
        return folder, None, False, None
    transformer, pooling, normalize = folder, None, False
    for module in read_json(modules_path):
        kind = module.get("type", "")
        path = os.path.join(folder, module.get("path", ""))
        if kind == ST_TRANSFORMER:
            transformer = path
        elif kind == ST_POOLING:
            pooling = _pooling_mode(read_json(os.path.join(path,
                                                            "config.json")))
        elif kind == ST_NORMALIZE:
            normalize = True
        else:
            raise ValueError(
                f"{modules_path}: sentence-transformers module {kind!r} is "
                "not supported (supported: Transformer, Pooling, Normalize)"
            )
    length = None
    st_config = os.path.join(transformer, "sentence_bert_config.json")
    if os.path.exists(st_config):
        length = read_json(st_config).get("max_seq_length")
    return transformer, pooling, normalize, length


def _pooling_mode(config):
    if config.get("pooling_mode"):  # Newer files spell the mode directly.
        mode = config["pooling_mode"]
        names = {"mean": "mean", "cls": "cls"}
        if mode not in names:
            raise ValueError(f"Pooling mode {mode!r} is not supported "
                             "(supported: mean, cls)")
        return names[mode]
    modes = [k for k, v in config.items()
             if k.startswith("pooling_mode_") and v]
    if modes == ["pooling_mode_mean_tokens"]:
        return "mean"
    if modes == ["pooling_mode_cls_token"]:
        return "cls"
    raise ValueError(f"Pooling {modes} is not supported (supported: "
                     "pooling_mode_mean_tokens or pooling_mode_cls_token)")


def transformer_folder(path):
    """The folder holding `config.json`: `path` itself, or the one a
    sentence-transformers folder names in `modules.json`."""
    if os.path.exists(os.path.join(path, "modules.json")):
        try:
            return read_sentence_transformers(path)[0]
        except (OSError, ValueError, KeyError):
            return path
    return path

"""A model's preprocessors as files: a Keras config plus asset files.

Each modality's preprocessor is written to `preprocessing/<modality>.json`
(its `keras.saving.serialize_keras_object` config) and every layer inside
it that has assets (a keras-hub tokenizer's `vocabulary.txt`,
`vocabulary.json` + `merges.txt` or `vocabulary.spm`) writes them to
`preprocessing/<modality>/<layer name>/`, as Keras' own `.keras` saving
does. `load_preprocessors` rebuilds them in Python; a mobile app reads the
same asset files, described in `export.json` (`describe_preprocessor`).
"""

import json
import os

from keras_mm.backend import keras_compat

PREPROCESSING_DIR = "preprocessing"


def _asset_layers(preprocessor):
    """`(name, layer)` of each layer inside `preprocessor` with assets."""
    import keras

    if not isinstance(preprocessor, keras.layers.Layer):
        return []  # An ImagePreprocessor.
    return [(layer.name, layer)
            for layer in keras_compat.flatten_layers(preprocessor)
            if callable(getattr(layer, "save_assets", None))]


def save_preprocessors(preprocessors, folder):
    """Writes each preprocessor's config and assets under `folder`.

    Args:
        preprocessors: `{modality: preprocessor}`; each must be
            Keras-serialisable (keras_mm's preprocessors all are).
        folder: str. The export folder; files go to
            `folder/preprocessing/`.

    Returns:
        `{modality: {"config": relative path, "files": {file name:
        relative path}}}`.

    Example:
    ```python
    files = save_preprocessors(model.preprocessors, "export/")
    files["text"]["files"]  # {'vocabulary.json': 'preprocessing/text/...'}
    ```
    """
    import keras

    written = {}
    for modality, preprocessor in preprocessors.items():
        config_path = os.path.join(PREPROCESSING_DIR, f"{modality}.json")
        os.makedirs(os.path.join(folder, PREPROCESSING_DIR), exist_ok=True)
        with open(os.path.join(folder, config_path), "w",
                  encoding="utf-8") as f:
            json.dump(keras.saving.serialize_keras_object(preprocessor), f,
                      indent=1)
        files = {}
        for name, layer in _asset_layers(preprocessor):
            relative = os.path.join(PREPROCESSING_DIR, modality, name)
            directory = os.path.join(folder, relative)
            os.makedirs(directory, exist_ok=True)
            layer.save_assets(directory)
            for file_name in sorted(os.listdir(directory)):
                files[file_name] = os.path.join(relative, file_name)
            if not os.listdir(directory):
                os.rmdir(directory)
        written[modality] = {"config": config_path, "files": files}
    return written


def load_preprocessors(folder, modalities=None):
    """Rebuilds the preprocessors `save_preprocessors` wrote.

    Args:
        folder: str. The export folder.
        modalities: which ones; default every `preprocessing/*.json`.

    Returns:
        `{modality: preprocessor}`.

    Example:
    ```python
    preprocessors = load_preprocessors("export/")
    preprocessors["text"](["a photo of a cat"])["token_ids"]
    ```
    """
    import keras

    import keras_mm

    keras_mm.import_all()  # Registers the serialisable classes.
    directory = os.path.join(folder, PREPROCESSING_DIR)
    if modalities is None:
        modalities = sorted(name[:-len(".json")]
                            for name in os.listdir(directory)
                            if name.endswith(".json"))
    result = {}
    for modality in modalities:
        path = os.path.join(directory, f"{modality}.json")
        if not os.path.exists(path):
            raise FileNotFoundError(f"No {modality} preprocessing at {path}")
        with open(path, encoding="utf-8") as f:
            preprocessor = keras.saving.deserialize_keras_object(json.load(f))
        for name, layer in _asset_layers(preprocessor):
            assets = os.path.join(directory, modality, name)
            if os.path.isdir(assets):
                layer.load_assets(assets)
        result[modality] = preprocessor
    return result


def _packer_ids(preprocessor):
    """`{start_id, end_id, pad_id}` of the preprocessor's packer."""
    def single(value):  # keras-hub keeps start/end ids as lists.
        if isinstance(value, (list, tuple)) and len(value) == 1:
            return value[0]
        return value

    preprocessor(["a"])  # Builds a lazily made packer.
    for layer in keras_compat.flatten_layers(preprocessor):
        if type(layer).__name__ == "StartEndPacker":
            return {"start_id": single(layer.start_value),
                    "end_id": single(layer.end_value),
                    "pad_id": single(layer.pad_value)}
    return {}


def _tokenizer(preprocessor):
    for layer in keras_compat.flatten_layers(preprocessor,
                                             include_self=False):
        if callable(getattr(layer, "get_vocabulary", None)):
            return layer
    return None


def tower_normalization(encoder):
    """How an image encoder rescales its `[0, 255]` pixels, in-graph:
    `{"mean", "std"}` (`ImageNormalization`) or `{"scale", "offset"}`
    (`keras.layers.Rescaling`); `{}` when it has neither."""
    from keras_mm.export.exportability import iter_layers

    for layer in iter_layers(encoder):
        if type(layer).__name__ == "ImageNormalization":
            return {"inside_tower": True, "mean": layer.mean,
                    "std": layer.std}
        if type(layer).__name__ == "Rescaling":
            return {"inside_tower": True, "scale": float(layer.scale),
                    "offset": float(layer.offset)}
    return {}


def describe_preprocessor(modality, preprocessor, encoder=None):
    """What a mobile app needs to preprocess like the model, as JSON.

    Text: the tokenizer's class, vocabulary size, sequence length, the
    start / end / padding ids and lower-casing. Images: the preprocessor's
    resize and crop (its config), channel order and value range, and (from
    `encoder`) the normalisation, which runs inside the exported tower.

    Example:
    ```python
    describe_preprocessor("text", model.preprocessors["text"])
    # {'class_name': 'CLIPTextPreprocessor', 'tokenizer': 'CLIPTokenizer',
    #  'sequence_length': 77, 'start_id': 49406, ...}
    ```
    """
    description = {"class_name": type(preprocessor).__name__}
    if modality == "text":
        tokenizer = _tokenizer(preprocessor)
        lowercase = getattr(preprocessor, "lowercase",
                            getattr(preprocessor, "lower_case", None))
        description.update({
            "tokenizer": type(tokenizer).__name__ if tokenizer else None,
            "vocabulary_size": (len(tokenizer.get_vocabulary())
                                if tokenizer else None),
            "sequence_length": getattr(preprocessor, "sequence_length",
                                       None),
            "lowercase": lowercase,
            **_packer_ids(preprocessor),
        })
        return description
    config = preprocessor.get_config()
    description.update(config)
    if modality == "image":
        description.update({
            "channels": "RGB", "layout": "NHWC", "dtype": "float32",
            "value_range": [0, 255],
            "normalization": (tower_normalization(encoder)
                              if encoder is not None else {})})
    return description

"""Named model presets: one small JSON file per preset in this folder.

Each file `<name>.json` holds `{"class_name": ..., "config": {...},
"metadata": {...}}`, shaped like open_clip's `model_configs`. A nested
object is written `{"class_name": "VisionTransformerEncoder", "config":
{...}}`; keras_mm classes need no `registered_name`. Adding a preset means
adding a file; nothing here lists names.
"""

import copy
import glob
import json
import os

PRESET_DIR = os.path.dirname(os.path.abspath(__file__))
PACKAGE = "keras_mm"
SEPARATOR = "__"


def _preset_path(name):
    return os.path.join(PRESET_DIR, f"{name}.json")


def list_presets():
    """Sorted names of every preset shipped with keras_mm.

    Example:
    ```python
    keras_mm.presets.list_presets()  # ['audio-clip-tiny', 'clip-bench', ...]
    ```
    """
    return sorted(
        os.path.splitext(os.path.basename(path))[0]
        for path in glob.glob(os.path.join(PRESET_DIR, "*.json"))
    )


def get_preset(name):
    """The raw preset dict (`class_name`, `config`, `metadata`), a copy."""
    path = _preset_path(name)
    if not os.path.exists(path):
        raise ValueError(
            f"Unknown preset {name!r}. Available: {list_presets()}"
        )
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def preset_metadata(name):
    """The preset's `metadata` dict (description, params, weights...)."""
    return get_preset(name).get("metadata", {})


def _is_object(value):
    return isinstance(value, dict) and "class_name" in value and (
        "config" in value
    )


def _merge(target, override, path):
    """Deep-merges `override` into `target` (a config dict), in place."""
    for key, value in override.items():
        where = f"{path}{SEPARATOR}{key}" if path else key
        if _is_object(target) and key not in ("class_name", "config"):
            target = target["config"]
        if key not in target:
            raise ValueError(
                f"Override {where!r} matches nothing in the preset. "
                f"Available here: {sorted(target)}"
            )
        current = target[key]
        if isinstance(value, dict) and isinstance(current, dict) and not (
            _is_object(value)
        ):
            _merge(current, value, where)
        else:
            target[key] = value


def _expand(overrides):
    """`{"encoders__text__vocabulary_size": 9}` → nested dicts."""
    nested = {}
    for key, value in overrides.items():
        parts = key.split(SEPARATOR)
        node = nested
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        if isinstance(value, dict) and isinstance(node.get(parts[-1]), dict):
            _union(node[parts[-1]], value)
        else:
            node[parts[-1]] = value
    return nested


def _union(target, value):
    for key, item in value.items():
        if isinstance(item, dict) and isinstance(target.get(key), dict):
            _union(target[key], item)
        else:
            target[key] = item


def _register_names(value):
    """Adds `registered_name` to keras_mm objects so Keras finds them."""
    import keras

    if isinstance(value, list):
        return [_register_names(v) for v in value]
    if not isinstance(value, dict):
        return value
    value = {k: _register_names(v) for k, v in value.items()}
    if _is_object(value) and "registered_name" not in value:
        registered = f"{PACKAGE}>{value['class_name']}"
        if keras.saving.get_registered_object(registered) is not None:
            value["registered_name"] = registered
            value.setdefault("module", None)
    return value


def from_preset(name, **overrides):
    """Builds the model of a named preset, with optional config overrides.

    Args:
        name: str. A name from `list_presets()`.
        **overrides: config values to replace. A key reaches into nested
            configs with `__` (`encoders__text__vocabulary_size=500`) or a
            dict value is merged (`encoders={"text": {"num_layers": 1}}`).
            A key that matches nothing raises `ValueError`.

    Returns:
        The model (randomly initialised; presets hold no weights).

    Example:
    ```python
    model = keras_mm.presets.from_preset("clip-tiny", projection_dim=32)
    model = keras_mm.presets.from_preset(
        "clip-bench", encoders__text__vocabulary_size=1000)
    ```
    """
    import keras

    import keras_mm

    keras_mm.import_all()  # Registers every class a preset may name.
    preset = get_preset(name)
    config = copy.deepcopy(preset["config"])
    _merge(config, _expand(overrides), "")
    registered = f"{PACKAGE}>{preset['class_name']}"
    cls = keras.saving.get_registered_object(registered)
    if cls is None:
        raise ValueError(
            f"Preset {name!r} names class {preset['class_name']!r}, which "
            "keras_mm does not register."
        )
    return cls.from_config(_register_names(config))

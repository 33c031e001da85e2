"""Checks the tower names of `--freeze`, `--remat` and `--lora-towers`
before a model is built, so a typo fails at once."""

from keras_mm.cli.errors import UsageError

TOWER_OPTIONS = ("freeze", "remat", "lora_towers")


def check_tower_names(values, towers, command="keras-mm train"):
    """Raises UsageError naming the flag when one of `TOWER_OPTIONS` in
    `values` (a mapping, or an object with those attributes) names a tower
    not in `towers`.

    Example:
    ```python
    check_tower_names({"freeze": ("image",)}, ("image", "text"))  # passes
    ```
    """
    for key in TOWER_OPTIONS:
        given = (values.get(key) if isinstance(values, dict)
                 else getattr(values, key, None)) or ()
        if isinstance(given, str):
            given = given.split(",")
        unknown = [name for name in given if name and name not in towers]
        if unknown:
            raise UsageError(
                f"{command}: --{key.replace('_', '-')} names "
                f"{', '.join(repr(n) for n in unknown)}; this model's "
                f"towers are {', '.join(towers)}")

"""The seeds of the built-in data's named splits, for every application.

A run with seed `s` draws split `name` from seed `s * 10 + offset`: the
splits of one run never overlap, and neighbouring runs differ. The
quickstart, the built-in recipes, `keras-mm eval/export/serve ... builtin`
and `write_to_disk` all draw their splits here, so `builtin:test` is the
same data everywhere.
"""

from keras_mm.datasets.shapes import make_image_text_pairs

SPLIT_OFFSETS = {
    "train": 0,
    "validation": 1,
    "test": 2,
    # The staged recipe's single-shape scenes for its fine-tuning stage.
    "fine_tune_train": 5,
    "fine_tune_validation": 6,
}
# Any other split name (e.g. a custom `write_to_disk` size key).
OTHER_SPLIT_OFFSET = 3


def split_seed(split, seed=0):
    """The generator seed of the built-in split `split` in run `seed`.

    Example:
    ```python
    keras_mm.datasets.splits.split_seed("test", seed=1)  # 12
    ```
    """
    return seed * 10 + SPLIT_OFFSETS.get(split, OTHER_SPLIT_OFFSET)


def image_text_split(split, num_samples, image_size=32, seed=0):
    """`make_image_text_pairs` for the built-in split `split` of run `seed`.

    Example:
    ```python
    test = keras_mm.datasets.splits.image_text_split("test", 64)
    len(test["captions"])  # 64
    ```
    """
    return make_image_text_pairs(num_samples, image_size,
                                 seed=split_seed(split, seed))

"""`keras-mm eval ... builtin[:split]`: a built-in split as evaluation data.

The quickstart's splits (`keras_mm.datasets.splits`), drawn at the model's
image size, with the shapes' 24 "<colour> <shape>" zero-shot classes and
the built-in captions' wording as templates.
"""

from keras_mm.datasets import shapes
from keras_mm.datasets.splits import image_text_split
from keras_mm.evaluation.eval_data import InMemoryPairs

BUILTIN = "builtin"
BUILTIN_SPLITS = ("train", "validation", "test")


def is_builtin(spec):
    """Whether `spec` names the built-in data (`builtin` or `builtin:SPLIT`)."""
    return isinstance(spec, str) and spec.partition(":")[0] == BUILTIN


def builtin_eval_data(spec, num_samples=None, seed=0):
    """The built-in split named by `spec` as `InMemoryPairs`.

    Single-shape images carry `meta["label"]` ("<colour> <shape>").

    Example:
    ```python
    data = builtin_eval_data("builtin:test", num_samples=32)
    keras_mm.evaluation.evaluate_model("quickstart_out", data, "eval_out")
    ```
    """
    from keras_mm.data.pair import Pair

    split = spec.partition(":")[2] or "test"
    if split not in BUILTIN_SPLITS:
        raise ValueError(f"Unknown built-in split {split!r}; use one of "
                         f"{sorted(BUILTIN_SPLITS)}, e.g. builtin:test")

    def draw(image_size):
        data = image_text_split(split, num_samples or 64, image_size, seed)
        pairs = []
        for i, (image, caption) in enumerate(zip(data["images"],
                                                 data["captions"])):
            scene = data["objects"][i]
            meta = ({"label": f"{scene[0]['color']} {scene[0]['shape']}"}
                    if len(scene) == 1 else {})
            pairs.append(Pair(image, caption, f"builtin:{split}, item {i}",
                              "image", meta))
        return pairs

    return InMemoryPairs(
        spec, draw,
        class_names=[f"{c} {s}" for c in shapes.COLORS for s in shapes.SHAPES],
        templates=[f"a {size} {{}} in the {cell}"
                   for size in shapes.SIZES for cell in shapes.CELLS],
    )

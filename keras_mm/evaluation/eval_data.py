"""The pairs an evaluation runs on: the user's data, or the built-in
shapes when asked for by name (`builtin[:split]`)."""

import numpy as np

# Seeds of the built-in splits, as `keras_mm.quickstart` draws them.
BUILTIN_SPLITS = {"train": 0, "validation": 1, "test": 2}


def is_builtin(spec):
    return spec.partition(":")[0] == "builtin"


def builtin_pairs(spec, image_size, num_samples=None, seed=0):
    """The quickstart's built-in split named by `spec` as `Pair`s (pixel
    arrays as media), plus its zero-shot task.

    Single-shape images carry `meta["label"]` ("<colour> <shape>").

    Returns:
        `(pairs, task)`: `task` holds the 24 `class_names` and the
        built-in captions' `templates`.
    """
    from keras_mm.data.pair import Pair
    from keras_mm.datasets import shapes

    split = spec.partition(":")[2] or "test"
    if split not in BUILTIN_SPLITS:
        raise ValueError(f"Unknown built-in split {split!r}; use one of "
                         f"{sorted(BUILTIN_SPLITS)}, e.g. builtin:test")
    data = shapes.make_image_text_pairs(
        num_samples or 64, image_size, seed=seed * 10 + BUILTIN_SPLITS[split])
    pairs = []
    for i, (image, caption) in enumerate(zip(data["images"],
                                             data["captions"])):
        scene = data["objects"][i]
        meta = ({"label": f"{scene[0]['color']} {scene[0]['shape']}"}
                if len(scene) == 1 else {})
        pairs.append(Pair(image, caption, f"builtin:{split}, item {i}",
                          "image", meta))
    task = {
        "class_names": [f"{c} {s}" for c in shapes.COLORS
                        for s in shapes.SHAPES],
        "templates": [f"a {size} {{}} in the {cell}"
                      for size in shapes.SIZES for cell in shapes.CELLS],
    }
    return pairs, task


def read_eval_pairs(path, num_samples=None, seed=0, **data_options):
    """The pairs of a manifest, COCO file, image folder or shards
    (`keras_mm.data.sources.read_pairs`), with the count of skipped rows.

    `num_samples` keeps that many pairs drawn at random (seeded), in their
    order, so a folder sorted by class keeps every class.

    Returns:
        `(pairs, skipped)`: `skipped` maps a reason to a count.
    """
    from keras_mm.data.error_report import ErrorReport
    from keras_mm.data.sources import read_pairs

    errors = ErrorReport(verbose=False)
    pairs = read_pairs(path, on_error="skip", report=errors, **data_options)
    return subsample(pairs, num_samples, seed), errors.totals()


def subsample(pairs, num_samples=None, seed=0):
    """At most `num_samples` of `pairs`, drawn at random, order kept."""
    if num_samples is None or len(pairs) <= num_samples:
        return list(pairs)
    keep = np.random.default_rng(seed).choice(len(pairs), num_samples,
                                              replace=False)
    return [pairs[i] for i in np.sort(keep)]

"""`keras-mm serve --index builtin`: the built-in test split, on disk.

The server indexes files only, so that every worker process can reload
the index from its source's name; the built-in split is written once as
PNG images and a `builtin.csv` manifest, which the server then indexes as
it would the user's own.
"""

import os

# The index holds the quickstart's test split at seed 0.
BUILTIN_INDEX_SIZE = 64
BUILTIN_DATA_FOLDER = "builtin_data"


def builtin_index_source(model, index_dir=None, image_size=32):
    """Writes the built-in test split (if absent); returns its manifest.

    Args:
        model: str. The served model (a file or folder): the data goes to
            `serve_index/builtin_data/` beside it, like the index itself.
        index_dir: str. Where the index goes instead of `serve_index/`.
        image_size: int. Side of the written images (the quickstart's).

    Example:
    ```python
    source = builtin_index_source("quickstart_out")
    keras_mm.serving.load_service("quickstart_out", index=source)
    ```
    """
    from keras_mm.serving.server import INDEX_FOLDER

    model_dir = model if os.path.isdir(model) else os.path.dirname(
        os.path.abspath(model))
    folder = os.path.join(index_dir or os.path.join(model_dir, INDEX_FOLDER),
                          BUILTIN_DATA_FOLDER)
    manifest = os.path.join(folder, "builtin.csv")
    if os.path.exists(manifest):  # Unchanged files keep the index valid.
        return manifest
    from PIL import Image

    from keras_mm.data.manifest import write_manifest
    from keras_mm.data.pair import Pair
    from keras_mm.datasets.splits import image_text_split

    data = image_text_split("test", BUILTIN_INDEX_SIZE, image_size)
    os.makedirs(os.path.join(folder, "images"), exist_ok=True)
    pairs = []
    for i, (image, caption) in enumerate(zip(data["images"],
                                             data["captions"])):
        path = os.path.join(folder, "images", f"{i:06d}.png")
        Image.fromarray(image).save(path)
        pairs.append(Pair(os.path.abspath(path), caption))
    # Written last, under a temporary name: a present manifest is complete.
    write_manifest(pairs, manifest + ".tmp.csv")
    os.replace(manifest + ".tmp.csv", manifest)
    return manifest

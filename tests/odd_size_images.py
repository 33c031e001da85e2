"""Image files of other sizes and aspect ratios than a tiny model's, and
keras-hub users' way of decoding them (the reference for keras-hub
presets)."""

import os

import numpy as np

# (height, width, format): wider, taller (JPEG), and the model's own size.
SIZES = ((30, 45, "PNG"), (52, 30, "JPEG"), (32, 32, "PNG"))


def write_odd_size_images(folder, sizes=SIZES, seed=7):
    """Random-pixel image files; returns their paths."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    paths = []
    for i, (height, width, kind) in enumerate(sizes):
        path = os.path.join(folder, f"odd_{i}.{kind.lower()}")
        Image.fromarray(rng.integers(0, 256, (height, width, 3),
                                     dtype=np.uint8)).save(path, kind)
        paths.append(path)
    return paths


def keras_hub_converted(converter, paths):
    """Each file as keras-hub users feed it (PIL -> uint8 -> float32)
    through the preset's `ImageConverter`, stacked."""
    import keras
    from PIL import Image

    out = []
    for path in paths:
        with Image.open(path) as image:
            pixels = np.asarray(image.convert("RGB")).astype("float32")
        out.append(keras.ops.convert_to_numpy(converter(pixels[None]))[0])
    return np.stack(out)


def unit(x):
    """Rows scaled to unit norm, float64."""
    import keras

    x = np.asarray(keras.ops.convert_to_numpy(x), np.float64)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)

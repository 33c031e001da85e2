"""A tiny self-contained CLIP (its own BPE tokenizer and image
preprocessing inside the `.keras` file) and a user-style PNG manifest.

Imported by the export, serving and CLI tests (`sys.path` insert of this
folder, as `tests/serving/test_pretrained_serving.py` does).
"""

import csv
import os

import numpy as np

COLORS = {"red": (220, 30, 30), "green": (30, 200, 40),
          "blue": (30, 40, 220), "yellow": (230, 220, 30)}
SHAPES = ("square", "stripe", "dot")


def build_self_contained_clip(sequence_length=8, image_size=32, seed=0):
    """A tiny `build_clip` model carrying `CLIPTextPreprocessor` (OpenAI's
    first 200 merges) and an `ImagePreprocessor` (resize + centre crop)."""
    import keras

    from keras_mm.models.clip.clip_model import build_clip
    from keras_mm.models.clip.clip_text_preprocessor import (
        CLIPTextPreprocessor,
    )
    from keras_mm.models.image_preprocessor import ImagePreprocessor

    keras.utils.set_random_seed(seed)
    text = CLIPTextPreprocessor.from_merges_file(
        sequence_length=sequence_length, num_merges=200)
    tower = dict(hidden_dim=16, num_layers=1, num_heads=2,
                 intermediate_dim=32)
    return build_clip(
        dict(image_size=image_size, patch_size=8, **tower),
        dict(vocabulary_size=len(text.tokenizer.get_vocabulary()),
             sequence_length=sequence_length, **tower),
        projection_dim=8,
        preprocessors={"text": text,
                       "image": ImagePreprocessor(image_size, image_size,
                                                  resample="bilinear")},
        name="tiny_clip")


def write_self_contained_clip(folder, sequence_length=8, seed=0):
    """Saves `build_self_contained_clip` as `folder/model.keras`."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.keras")
    build_self_contained_clip(sequence_length, seed=seed).save(path)
    return path


def _picture(color, shape, height, width):
    pixels = np.full((height, width, 3), 245, np.uint8)
    if shape == "square":
        pixels[height // 4:3 * height // 4, width // 4:3 * width // 4] = color
    elif shape == "stripe":
        pixels[:, width // 3:2 * width // 3] = color
    else:
        yy, xx = np.mgrid[:height, :width]
        inside = ((yy - height / 2) ** 2 + (xx - width / 2) ** 2
                  < (min(height, width) / 4) ** 2)
        pixels[inside] = color
    return pixels


def write_png_manifest(folder, num_pairs=12, name="pairs.csv"):
    """`folder/images/*.png` (sizes that need resize and crop) and an
    open_clip-style `filepath,title` CSV naming them; returns its path."""
    from PIL import Image

    os.makedirs(os.path.join(folder, "images"), exist_ok=True)
    rows = []
    combos = [(c, s) for s in SHAPES for c in COLORS]
    for i in range(num_pairs):
        color, shape = combos[i % len(combos)]
        height, width = (40, 52) if i % 2 else (48, 36)
        relative = os.path.join("images", f"{i:03d}.png")
        Image.fromarray(_picture(COLORS[color], shape, height, width)).save(
            os.path.join(folder, relative))
        rows.append({"filepath": relative, "title": f"a {color} {shape}"})
    path = os.path.join(folder, name)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ["filepath", "title"])
        writer.writeheader()
        writer.writerows(rows)
    return path

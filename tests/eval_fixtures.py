"""A tiny self-contained CLIP and a tiny folder of real PNG images of a few
classes, shared by the evaluation and `keras-mm eval` tests."""

import os

import numpy as np

CLASSES = ("blue_circle", "green_stripes", "red_square")
# Sizes that need the CLIP preprocessor's resize and centre crop.
SIZES = ((40, 52), (48, 36), (33, 33), (64, 40))


def _draw(name, height, width, rng):
    """A real picture of the class: its shape in its colour, some noise."""
    colour = {"red": (220, 30, 30), "green": (30, 200, 60),
              "blue": (30, 60, 220)}[name.split("_")[0]]
    y, x = np.mgrid[:height, :width]
    cy, cx = height / 2 + rng.normal(0, 2), width / 2 + rng.normal(0, 2)
    if name.endswith("circle"):
        mask = (y - cy) ** 2 + (x - cx) ** 2 < (min(height, width) / 3) ** 2
    elif name.endswith("square"):
        side = min(height, width) / 3
        mask = (abs(y - cy) < side) & (abs(x - cx) < side)
    else:
        mask = (x // 4) % 2 == 0
    image = np.full((height, width, 3), 235.0) + rng.normal(0, 8, (height,
                                                                   width, 3))
    image[mask] = colour
    return np.clip(image, 0, 255).astype("uint8")


def write_class_folder(folder, classes=CLASSES, per_class=len(SIZES)):
    """`folder/<class>/<i>.png`; returns `[(path, class), …]`."""
    from PIL import Image

    rng = np.random.default_rng(0)
    items = []
    for name in classes:
        os.makedirs(os.path.join(folder, name), exist_ok=True)
        for i in range(per_class):
            height, width = SIZES[i % len(SIZES)]
            path = os.path.join(folder, name, f"{i}.png")
            Image.fromarray(_draw(name, height, width, rng)).save(path)
            items.append((path, name))
    return items


def build_tiny_clip(seed=3):
    """A CLIP built by `keras_mm.models.clip.build_clip` that carries its
    own CLIP tokenizer (600 BPE merges, 16 tokens) and image
    preprocessor (resize to 32, centre crop 32); CLIP's mean/std
    normalisation is inside its image encoder."""
    import keras

    from keras_mm.models import ImagePreprocessor
    from keras_mm.models.clip import CLIPTextPreprocessor
    from keras_mm.models.clip import build_clip
    from keras_mm.models.clip.clip_model import OPENAI_MEAN
    from keras_mm.models.clip.clip_model import OPENAI_STD

    keras.utils.set_random_seed(seed)
    text = CLIPTextPreprocessor.from_merges_file(16, num_merges=600)
    return build_clip(
        dict(image_size=32, patch_size=8, hidden_dim=32, num_layers=1,
             num_heads=2, image_mean=OPENAI_MEAN, image_std=OPENAI_STD),
        dict(vocabulary_size=text.tokenizer.vocabulary_size(),
             sequence_length=16, hidden_dim=32, num_layers=1, num_heads=2),
        projection_dim=16,
        preprocessors={"text": text, "image": ImagePreprocessor(32, 32)})


def expected_zero_shot(model, paths, labels, class_names, templates):
    """Top-1 / top-5 computed directly with `model.embed`: open_clip's
    prompt ensembling (normalise each prompt, average, renormalise)."""
    images = model.embed("image", list(paths))
    weights = []
    for name in class_names:
        prompts = model.embed("text", [t.format(name.replace("_", " "))
                                       for t in templates])
        prompts /= np.linalg.norm(prompts, axis=1, keepdims=True)
        mean = prompts.mean(axis=0)
        weights.append(mean / np.linalg.norm(mean))
    scores = images @ np.stack(weights).T
    labels = np.array([list(class_names).index(label) for label in labels])
    order = np.argsort(-scores, axis=1, kind="stable")
    top1 = float(np.mean(order[:, 0] == labels))
    top5 = float(np.mean([labels[i] in order[i, :5]
                          for i in range(len(labels))]))
    return top1, top5, scores

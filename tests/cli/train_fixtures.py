"""Tiny inputs for `keras-mm train` tests: a PNG manifest of coloured
shapes and a tiny Hugging Face CLIP folder written by keras_mm."""

import csv
import os

import numpy as np

COLOURS = {"red": (220, 30, 30), "blue": (30, 30, 220)}
SHAPES = ("square", "circle")
TINY_BPE = os.path.join(os.path.dirname(__file__), "..", "models", "clip",
                        "fixtures", "tiny_bpe.txt.gz")


def _image(colour, shape, rng):
    from PIL import Image
    from PIL import ImageDraw

    height, width = rng.integers(28, 48, size=2)
    image = Image.new("RGB", (int(width), int(height)), (240, 240, 240))
    draw = ImageDraw.Draw(image)
    box = (4, 4, int(width) - 4, int(height) - 4)
    (draw.rectangle if shape == "square" else draw.ellipse)(
        box, fill=COLOURS[colour])
    return image


def write_pairs(folder, count=24, name="train.csv", columns=("filepath",
                                                             "title",
                                                             "label"),
                seed=0):
    """A `filepath,title,label` CSV of `count` PNG files; returns its
    path. The label is the colour, the caption "a <colour> <shape>"."""
    rng = np.random.default_rng(seed)
    images = os.path.join(folder, "images")
    os.makedirs(images, exist_ok=True)
    rows = []
    for i in range(count):
        colour = list(COLOURS)[i % 2]
        shape = SHAPES[(i // 2) % 2]
        path = os.path.join(images, f"{seed}_{i}.png")
        _image(colour, shape, rng).save(path)
        rows.append((path, f"a {colour} {shape}", colour))
    manifest = os.path.join(folder, name)
    with open(manifest, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows(rows)
    return manifest


def write_tiny_hf_clip(folder):
    """A tiny CLIP (32×32 images, 16 tokens, width 32) saved as a Hugging
    Face folder that `keras_mm.models.load_pretrained` reads."""
    import keras_mm
    from keras_mm.models.clip import CLIPTextPreprocessor
    from keras_mm.models.clip import build_clip

    text = CLIPTextPreprocessor.from_merges_file(16, TINY_BPE)
    tower = dict(hidden_dim=32, num_layers=1, num_heads=2,
                 intermediate_dim=64)
    model = build_clip(
        dict(image_size=32, patch_size=8, image_mean=[0.5] * 3,
             image_std=[0.25] * 3, **tower),
        dict(vocabulary_size=text.tokenizer.vocabulary_size(),
             sequence_length=16, **tower),
        projection_dim=16,
        preprocessors={"text": text,
                       "image": keras_mm.models.ImagePreprocessor(32, 32)})
    keras_mm.models.save_pretrained(model, folder, to="hf")
    return folder


def write_tones(folder, count=12, sample_rate=16000):
    """An `audio,transcript` CSV of `count` half-second WAV tones at three
    pitches; returns its path."""
    from keras_mm.data.media import write_wav

    os.makedirs(folder, exist_ok=True)
    rows = []
    times = np.arange(sample_rate // 2) / sample_rate
    for i in range(count):
        pitch = 220 * (1 + i % 3)
        path = os.path.join(folder, f"tone_{i}.wav")
        write_wav(path, 0.5 * np.sin(2 * np.pi * pitch * times),
                  sample_rate)
        rows.append((path, f"a tone at {pitch} hertz"))
    manifest = os.path.join(folder, "tones.csv")
    with open(manifest, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(("audio", "transcript"))
        writer.writerows(rows)
    return manifest

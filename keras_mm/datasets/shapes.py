"""Procedural image–caption pairs: coloured shapes on a 3×3 grid.

Each image holds one to three shapes. A caption names every shape's size,
colour, kind and grid cell in reading order, so two captions can differ in a
single attribute (a hard negative) and the caption is a function of the image.
"""

import numpy as np

COLORS = {
    "red": (230, 40, 40),
    "green": (40, 200, 60),
    "blue": (50, 90, 240),
    "yellow": (235, 225, 40),
    "purple": (170, 60, 220),
    "white": (240, 240, 240),
}
SHAPES = ("circle", "square", "triangle", "cross")
SIZES = ("small", "large")
CELLS = (
    "top left",
    "top",
    "top right",
    "left",
    "center",
    "right",
    "bottom left",
    "bottom",
    "bottom right",
)
# Probability of an image holding 1, 2 or 3 shapes.
COUNT_PROBABILITIES = (0.55, 0.3, 0.15)


def _shape_mask(kind, cy, cx, radius, size):
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    dy, dx = yy - cy, xx - cx
    if kind == "circle":
        return dy**2 + dx**2 <= radius**2
    if kind == "square":
        r = radius * 0.85
        return (np.abs(dy) <= r) & (np.abs(dx) <= r)
    if kind == "triangle":
        # Apex up; the half-width grows linearly from apex to base.
        top, bottom = -radius, radius
        inside_y = (dy >= top) & (dy <= bottom)
        half_width = (dy - top) / (2 * radius) * radius
        return inside_y & (np.abs(dx) <= half_width)
    if kind == "cross":
        arm = max(radius * 0.35, 0.8)
        box = (np.abs(dy) <= radius) & (np.abs(dx) <= radius)
        return box & ((np.abs(dy) <= arm) | (np.abs(dx) <= arm))
    raise ValueError(f"Unknown shape kind: {kind!r}")


def describe(objects):
    """The caption of a scene given as a list of attribute dicts."""
    parts = [
        f"a {o['size']} {o['color']} {o['shape']} in the {o['cell']}"
        for o in sorted(objects, key=lambda o: CELLS.index(o["cell"]))
    ]
    return " and ".join(parts)


def render(objects, image_size, rng):
    """Draws `objects` into a `(image_size, image_size, 3)` uint8 image."""
    image = rng.integers(0, 30, size=(image_size, image_size, 3))
    cell = image_size / 3.0
    for o in objects:
        row, col = divmod(CELLS.index(o["cell"]), 3)
        scale = 0.42 if o["size"] == "large" else 0.24
        radius = cell * scale
        jitter = cell * 0.5 - radius - 0.5
        cy = (row + 0.5) * cell + rng.uniform(-jitter, jitter)
        cx = (col + 0.5) * cell + rng.uniform(-jitter, jitter)
        mask = _shape_mask(o["shape"], cy, cx, radius, image_size)
        color = np.array(COLORS[o["color"]]) + rng.integers(-20, 21, size=3)
        image[mask] = np.clip(color, 0, 255)
    return image.astype(np.uint8)


def sample_scene(rng):
    """Draws a random scene: 1–3 shapes in distinct grid cells."""
    count = rng.choice(len(COUNT_PROBABILITIES), p=COUNT_PROBABILITIES) + 1
    cells = rng.choice(len(CELLS), size=count, replace=False)
    return [
        {
            "shape": SHAPES[rng.integers(len(SHAPES))],
            "color": list(COLORS)[rng.integers(len(COLORS))],
            "size": SIZES[rng.integers(len(SIZES))],
            "cell": CELLS[c],
        }
        for c in cells
    ]


def make_image_text_pairs(num_samples, image_size=32, seed=0):
    """Generates `num_samples` image–caption pairs, deterministic by `seed`.

    Returns:
        A dict with `"images"` (uint8, `(N, S, S, 3)`), `"captions"`
        (list of str) and `"objects"` (the scene attributes).

    Example:
    ```python
    pairs = keras_mm.datasets.shapes.make_image_text_pairs(4, seed=1)
    pairs["captions"][0]  # 'a small red circle in the top left'
    ```
    """
    if num_samples < 1:
        raise ValueError(f"num_samples must be >= 1. Received: {num_samples}")
    if image_size < 16:
        raise ValueError(f"image_size must be >= 16. Received: {image_size}")
    rng = np.random.default_rng(seed)
    images = np.empty((num_samples, image_size, image_size, 3), np.uint8)
    captions, scenes = [], []
    for i in range(num_samples):
        scene = sample_scene(rng)
        images[i] = render(scene, image_size, rng)
        captions.append(describe(scene))
        scenes.append(scene)
    return {"images": images, "captions": captions, "objects": scenes}


def caption_vocabulary():
    """Every word a shapes caption can use."""
    words = {"a", "in", "the", "and", "center"}
    for name in (*COLORS, *SHAPES, *SIZES, *CELLS):
        words.update(name.split())
    return sorted(words)

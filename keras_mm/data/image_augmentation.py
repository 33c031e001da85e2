"""Seeded image augmentation for tf.data pipelines (opt-in).

The seed's ImageDataGenerator list (rotation, shift, shear, zoom, flip) plus
a random resized crop. Every one of them is an affine map of the pixel
grid, so each image's maps are multiplied into one matrix and the image is
resampled once (`ImageProjectiveTransformV3`, bilinear, reflected edges):
one pass over the pixels instead of one per augmentation, and one
interpolation's blur instead of several.

Opt-in, never a default: the built-in shapes captions name positions
("in the top left"), so a flip or a rotation makes the caption wrong. Use
it for data whose captions do not depend on geometry.
"""

import math

# Columns of the per-image uniform draws.
_FLIP, _ANGLE, _SHIFT_X, _SHIFT_Y, _SHEAR_X, _SHEAR_Y = range(6)
_ZOOM_X, _ZOOM_Y, _AREA, _RATIO, _CROP_Y, _CROP_X = range(6, 12)
_DRAWS = 12
_LOG_RATIO = math.log(4 / 3)  # crop aspect ratios in [3/4, 4/3]


class ImageAugmentation:
    """Random geometric augmentation of a batch of images.

    Args:
        rotation: float. Max rotation, as a fraction of 2π (0: off).
        shift: float. Max translation, as a fraction of height/width.
        shear: float. Max shear factor.
        zoom: float. Max zoom in/out, as a fraction (height and width drawn
            apart, as Keras' `RandomZoom(zoom, zoom)`).
        flip: str or None. `"horizontal"`, `"vertical"`,
            `"horizontal_and_vertical"` or None; each image flipped with
            probability 1/2.
        crop_scale: tuple or None. `(min, max)` area fraction of a random
            resized crop (e.g. `(0.5, 1.0)`); None: off.
        seed: int. Same seed, same augmented batches.

    Call arguments:
        images: float32 `(B, H, W, 3)` in [0, 255], inside `tf.data`.

    Example:
    ```python
    augment = keras_mm.data.ImageAugmentation(rotation=0.05, flip=None,
                                              crop_scale=(0.6, 1.0), seed=1)
    ds = keras_mm.data.make_dataset(pairs, pre, augment=augment)
    ```
    """

    def __init__(self, rotation=0.0, shift=0.0, shear=0.0, zoom=0.0,
                 flip=None, crop_scale=None, seed=0):
        if flip not in (None, "horizontal", "vertical",
                        "horizontal_and_vertical"):
            raise ValueError("flip must be None, 'horizontal', 'vertical' or "
                             f"'horizontal_and_vertical'. Received: {flip!r}")
        self.rotation, self.shift, self.shear = rotation, shift, shear
        self.zoom, self.flip, self.crop_scale = zoom, flip, crop_scale
        self.seed = seed
        self._generator = None

    def transforms(self, draws, height, width):
        """The `(B, 8)` output-to-input pixel maps for `(B, 12)` uniform
        draws in [0, 1): flip, rotation, shift, shear, zoom, then the crop,
        applied to the image in that order."""
        import tensorflow as tf

        batch = tf.shape(draws)[0]
        one, zero = tf.ones([batch]), tf.zeros([batch])
        h, w = tf.cast(height, tf.float32), tf.cast(width, tf.float32)
        cx, cy = (w - 1) / 2, (h - 1) / 2

        def symmetric(column, bound):  # uniform in [-bound, bound)
            return (2 * draws[:, column] - 1) * bound

        def matrix(*rows):  # (B, 3, 3) from 6 entries; last row 0 0 1
            return tf.stack([tf.stack(rows[:3], 1), tf.stack(rows[3:], 1),
                             tf.stack([zero, zero, one], 1)], 1)

        def about_centre(a, b, c, d):  # [[a b] [c d]] around the centre
            return matrix(a, b, cx - a * cx - b * cy,
                          c, d, cy - c * cx - d * cy)

        maps = []
        if self.flip:
            flips = draws[:, _FLIP] < 0.5
            sign = tf.where(flips, -one, one)
            horizontal = "horizontal" in self.flip
            vertical = "vertical" in self.flip
            maps.append(about_centre(sign if horizontal else one, zero,
                                     zero, sign if vertical else one))
        if self.rotation:
            angle = symmetric(_ANGLE, self.rotation * 2 * math.pi)
            cos, sin = tf.cos(angle), tf.sin(angle)
            maps.append(about_centre(cos, -sin, sin, cos))
        if self.shift:
            dx = symmetric(_SHIFT_X, self.shift) * w
            dy = symmetric(_SHIFT_Y, self.shift) * h
            maps.append(matrix(one, zero, -dx, zero, one, -dy))
        if self.shear:
            maps.append(about_centre(one, symmetric(_SHEAR_X, self.shear),
                                     symmetric(_SHEAR_Y, self.shear), one))
        if self.zoom:
            zx = 1 + symmetric(_ZOOM_X, self.zoom)
            zy = 1 + symmetric(_ZOOM_Y, self.zoom)
            maps.append(about_centre(zx, zero, zero, zy))
        if self.crop_scale:
            low, high = self.crop_scale
            area = low + (high - low) * draws[:, _AREA]
            ratio = tf.exp(symmetric(_RATIO, _LOG_RATIO))
            crop_h = tf.clip_by_value(tf.sqrt(area / ratio), 0.05, 1.0)
            crop_w = tf.clip_by_value(tf.sqrt(area * ratio), 0.05, 1.0)
            y0 = draws[:, _CROP_Y] * (1 - crop_h) * (h - 1)
            x0 = draws[:, _CROP_X] * (1 - crop_w) * (w - 1)
            maps.append(matrix(crop_w, zero, x0, zero, crop_h, y0))
        combined = tf.eye(3, batch_shape=[batch])
        for m in maps:
            combined = tf.matmul(combined, m)
        return tf.reshape(combined, [batch, 9])[:, :8]

    def __call__(self, images):
        import tensorflow as tf

        return self.apply(images, self.draw(tf.shape(images)[0]))

    def draw(self, batch_size):
        """The `(batch_size, 12)` uniform draws of the next batch, from the
        seeded generator (draw in order; `apply` may then run in parallel)."""
        import tensorflow as tf

        if self._generator is None:
            self._generator = tf.random.Generator.from_seed(self.seed)
        return self._generator.uniform([batch_size, _DRAWS])

    def apply(self, images, draws):
        """`images` resampled through the maps of `(B, 12)` draws."""
        import tensorflow as tf

        shape = tf.shape(images)
        return tf.raw_ops.ImageProjectiveTransformV3(
            images=images,
            transforms=self.transforms(draws, shape[1], shape[2]),
            output_shape=shape[1:3], fill_value=0.0,
            interpolation="BILINEAR", fill_mode="REFLECT")

    def get_config(self):
        return {"rotation": self.rotation, "shift": self.shift,
                "shear": self.shear, "zoom": self.zoom, "flip": self.flip,
                "crop_scale": self.crop_scale, "seed": self.seed}

"""Seeded image augmentation for tf.data pipelines (opt-in).

The seed's ImageDataGenerator list (rotation, shift, shear, zoom, flip) as
Keras preprocessing layers, plus a random resized crop. Keras preprocessing
layers run as TensorFlow inside `tf.data` on every backend.

Opt-in, never a default: the built-in shapes captions name positions
("in the top left"), so a flip or a rotation makes the caption wrong. Use
it for data whose captions do not depend on geometry.
"""

import keras



class ImageAugmentation:
    """Random geometric augmentation of a batch of images.

    Args:
        rotation: float. Max rotation, as a fraction of 2π (0: off).
        shift: float. Max translation, as a fraction of height/width.
        shear: float. Max shear factor.
        zoom: float. Max zoom in/out, as a fraction.
        flip: str or None. `"horizontal"`, `"vertical"`,
            `"horizontal_and_vertical"` or None.
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
        self.rotation, self.shift, self.shear = rotation, shift, shear
        self.zoom, self.flip, self.crop_scale = zoom, flip, crop_scale
        self.seed = seed
        L = keras.layers
        self.layers = []
        if flip:
            self.layers.append(L.RandomFlip(flip, seed=seed))
        if rotation:
            self.layers.append(L.RandomRotation(rotation, fill_mode="reflect",
                                                seed=seed + 1))
        if shift:
            self.layers.append(L.RandomTranslation(shift, shift,
                                                   fill_mode="reflect",
                                                   seed=seed + 2))
        if shear:
            self.layers.append(L.RandomShear(shear, shear, seed=seed + 3))
        if zoom:
            self.layers.append(L.RandomZoom(zoom, zoom, fill_mode="reflect",
                                            seed=seed + 4))
        self._crop_generator = None

    def _random_resized_crop(self, images):
        import tensorflow as tf

        if self._crop_generator is None:
            self._crop_generator = tf.random.Generator.from_seed(self.seed)
        batch = tf.shape(images)[0]
        size = tf.shape(images)[1:3]
        low, high = self.crop_scale
        area = self._crop_generator.uniform([batch], low, high)
        log_ratio = self._crop_generator.uniform([batch], -0.2877, 0.2877)
        ratio = tf.exp(log_ratio)  # aspect ratio in [3/4, 4/3]
        h = tf.clip_by_value(tf.sqrt(area / ratio), 0.05, 1.0)
        w = tf.clip_by_value(tf.sqrt(area * ratio), 0.05, 1.0)
        y0 = self._crop_generator.uniform([batch]) * (1.0 - h)
        x0 = self._crop_generator.uniform([batch]) * (1.0 - w)
        boxes = tf.stack([y0, x0, y0 + h, x0 + w], axis=1)  # (B, 4)
        return tf.image.crop_and_resize(images, boxes, tf.range(batch), size)

    def __call__(self, images):
        for layer in self.layers:
            images = layer(images, training=True)
        if self.crop_scale:
            images = self._random_resized_crop(images)
        return images

    def get_config(self):
        return {"rotation": self.rotation, "shift": self.shift,
                "shear": self.shear, "zoom": self.zoom, "flip": self.flip,
                "crop_scale": self.crop_scale, "seed": self.seed}

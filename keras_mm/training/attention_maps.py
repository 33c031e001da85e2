"""Attention maps of one transformer block, logged to TensorBoard as images.

`TransformerBlock` attends through `keras.ops.dot_product_attention`, which
never materialises the attention weights. For a fixed probe batch this
module captures the block's inputs during an ordinary forward call, then
asks the block for its weights (`TransformerBlock.attention_weights`), so it
works on every backend and leaves the block untouched. The images are
written with `keras_mm.training.summary_writer` (the `tensorboard`
package).
"""

import os

import keras
import numpy as np

from keras_mm.backend import keras_compat
from keras_mm.api_export import keras_mm_export
from keras_mm.training.summary_writer import SummaryWriter


def find_layer(model, path):
    """The sublayer of `model` at `path`, e.g. `"text_encoder/block_0"`."""
    layer = model
    for part in path.split("/"):
        found = [sub for sub in keras_compat.flatten_layers(
                     layer, include_self=False)
                 if sub.name == part]
        if not found:
            raise ValueError(
                f"No layer {part!r} in {layer.name!r} (path {path!r}).")
        layer = found[0]
    return layer


def probe_attention(model, layer_path, x):
    """Runs `model` on `x` and returns `layer_path`'s attention weights."""
    block = find_layer(model, layer_path)
    captured = {}
    original = block.call
    wrapped = "call" in block.__dict__  # e.g. by `enable_remat`

    def capture(inputs, *args, **kwargs):
        captured["inputs"] = inputs
        captured["padding_mask"] = kwargs.get(
            "padding_mask", args[0] if args else None)
        return original(inputs, *args, **kwargs)

    block.call = capture
    try:
        model(x, training=False)
    finally:
        if wrapped:
            block.call = original
        else:  # Back to the class method.
            del block.call
    if "inputs" not in captured:
        raise ValueError(f"{layer_path!r} was not called by the model.")
    weights = block.attention_weights(captured["inputs"],
                                      captured["padding_mask"])
    return keras.ops.convert_to_numpy(weights)


def attention_images(weights, max_samples=2, scale=4):
    """`(samples * heads, T * scale, T * scale, 1)` float images in [0, 1].

    Each (query, key) map is divided by its maximum so that faint heads
    stay visible; pixels are upscaled by `scale` (nearest neighbour).
    """
    weights = np.asarray(weights, "float32")[:max_samples]
    maps = weights.reshape((-1,) + weights.shape[2:])
    maps = maps / np.maximum(maps.max(axis=(1, 2), keepdims=True), 1e-12)
    maps = np.repeat(np.repeat(maps, scale, axis=1), scale, axis=2)
    return maps[..., None]


def default_attention_layer(model):
    """The path of the last attention block of `model`'s first non-text
    encoder (e.g. `"image_encoder/block_1"`), or None without one."""
    encoders = getattr(model, "encoders", None) or {}
    for modality, encoder in encoders.items():
        if modality == "text":
            continue
        blocks = [layer for layer in keras_compat.flatten_layers(
                      encoder, include_self=False)
                  if hasattr(layer, "attention_weights")]
        if blocks:
            return f"{encoder.name}/{blocks[-1].name}"
    return None


@keras_mm_export
class AttentionMapLogger(keras.callbacks.Callback):
    """Writes a block's attention maps on a fixed probe batch to TensorBoard.

    At the start of training and after every `every_n_epochs` epochs, the
    attention weights of the block at `layer_path` on `probe_x` are written
    as images (tag `attention/<layer_path>`, one image per sample and head,
    queries down, keys across) to the run `log_dir/attention`, beside the
    `train`/`validation` runs of `keras.callbacks.TensorBoard(log_dir)` (a
    second writer on their folder would lose records).

    Args:
        probe_x: dict of arrays. A small fixed batch of model inputs.
        layer_path: str. Path of a `TransformerBlock`, e.g.
            `"image_encoder/block_0"`.
        log_dir: str. The TensorBoard log folder.
        every_n_epochs: int. How often to write.
        max_samples: int. Probe samples drawn.
        scale: int. Pixel upscaling of each map.

    Example:
    ```python
    logger = keras_mm.training.AttentionMapLogger(
        probe, "text_encoder/block_0", "logs")
    model.fit(x, epochs=2, callbacks=[logger])
    ```
    """

    def __init__(self, probe_x, layer_path, log_dir, every_n_epochs=1,
                 max_samples=2, scale=4):
        super().__init__()
        if every_n_epochs < 1:
            raise ValueError(
                f"every_n_epochs must be >= 1. Received: {every_n_epochs}")
        self.probe_x = probe_x
        self.layer_path = layer_path
        self.log_dir = log_dir
        self.every_n_epochs = every_n_epochs
        self.max_samples = max_samples
        self.scale = scale
        self._writer = None

    def write(self, step):
        if self._writer is None:
            self._writer = SummaryWriter(
                os.path.join(self.log_dir, "attention"))
        weights = probe_attention(self.model, self.layer_path, self.probe_x)
        images = attention_images(weights, self.max_samples, self.scale)
        self._writer.image(f"attention/{self.layer_path}", images, step)
        self._writer.flush()
        return images

    def on_train_begin(self, logs=None):
        # Once: `train` calls `fit` once per epoch.
        if self._writer is None:
            self.write(0)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs == 0:
            self.write(epoch + 1)

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.flush()

    def get_config(self):
        return {"layer_path": self.layer_path, "log_dir": self.log_dir,
                "every_n_epochs": self.every_n_epochs,
                "max_samples": self.max_samples, "scale": self.scale}

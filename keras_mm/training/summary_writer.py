"""TensorBoard event files written with the `tensorboard` package alone.

Scalars, images and histograms go through `tensorboard`'s own protobuf
helpers and event-file writer, in the same tensor-plus-plugin format
`tf.summary` writes, so every backend logs the same way and no
TensorFlow op runs (no eager context, no `tf.summary` default writer).
"""

import io
import time

import numpy as np

from keras_mm.dependency_error import MissingDependencyError


def _tensorboard():
    try:
        from tensorboard.compat.proto import event_pb2
        from tensorboard.summary.writer import event_file_writer
    except ImportError as error:
        raise MissingDependencyError(
            "TensorBoard logs need the tensorboard package: pip install "
            "'keras_mm[tensorboard]'") from error
    return event_pb2, event_file_writer


def png_bytes(image):
    """PNG bytes of a float `(h, w, c)` image in [0, 1] (or uint8), c in
    {1, 3, 4}."""
    from PIL import Image

    image = np.asarray(image)
    if image.dtype != np.uint8:
        image = np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def image_summary(tag, images):
    """A `Summary` of the image plugin: `[width, height, png, ...]`, as
    `tf.summary.image` writes it. `images`: `(n, h, w, c)`."""
    from tensorboard.compat.proto import summary_pb2
    from tensorboard.plugins.image import metadata
    from tensorboard.util import tensor_util

    images = np.asarray(images)
    height, width = int(images.shape[1]), int(images.shape[2])
    encoded = [str(width).encode(), str(height).encode()] + [
        png_bytes(image) for image in images]
    summary = summary_pb2.Summary()
    summary.value.add(
        tag=tag, metadata=metadata.create_summary_metadata(None, None),
        tensor=tensor_util.make_tensor_proto(np.array(encoded, dtype=object)))
    return summary


def histogram_summary(tag, values, buckets=30):
    """A `Summary` of the histogram plugin: `(buckets, 3)` rows of (left
    edge, right edge, count). `np.histogram` instead of tensorboard's
    `histogram_pb`, whose one-hot counting takes memory per value times
    buckets."""
    from tensorboard.compat.proto import summary_pb2
    from tensorboard.plugins.histogram import metadata
    from tensorboard.util import tensor_util

    values = np.asarray(values, "float64").ravel()
    values = values[np.isfinite(values)]
    if values.size == 0:
        rows = np.zeros((buckets, 3))
    else:
        counts, edges = np.histogram(values, bins=buckets)
        rows = np.stack([edges[:-1], edges[1:], counts], axis=1)
    summary = summary_pb2.Summary()
    summary.value.add(
        tag=tag, metadata=metadata.create_summary_metadata(None, None),
        tensor=tensor_util.make_tensor_proto(rows.astype("float64")))
    return summary


class SummaryWriter:
    """One TensorBoard run folder: scalars, images and histograms.

    Args:
        log_dir: str. The run's folder (created when missing).

    Example:
    ```python
    writer = keras_mm.training.summary_writer.SummaryWriter("logs/train")
    writer.scalar("epoch_loss", 0.5, step=1)
    writer.image("grid", np.zeros((1, 8, 8, 3)), step=1)
    writer.close()
    ```
    """

    def __init__(self, log_dir):
        self.log_dir = log_dir
        self._event_pb2, writer = _tensorboard()
        self._writer = writer.EventFileWriter(log_dir)

    def _add(self, summary, step):
        self._writer.add_event(self._event_pb2.Event(
            wall_time=time.time(), step=int(step), summary=summary))

    def scalar(self, tag, value, step):
        from tensorboard.plugins.scalar.summary_v2 import scalar_pb

        self._add(scalar_pb(tag, float(value)), step)

    def image(self, tag, images, step):
        """`images`: `(n, h, w, c)` floats in [0, 1] or uint8."""
        self._add(image_summary(tag, images), step)

    def histogram(self, tag, values, step, buckets=30):
        self._add(histogram_summary(tag, values, buckets), step)

    def flush(self):
        self._writer.flush()

    def close(self):
        self._writer.close()

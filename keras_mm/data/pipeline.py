"""One call from a reader's `Pair`s to the `tf.data.Dataset` that `fit` takes.

decode (parallel chunks, in Python: PIL / wave) → drop bad records (skip mode) →
cache → end-of-epoch report → shuffle → batch → tokenize → augment →
prefetch, with no autotuning thread (`keras_mm.data.autotune_thread`). Keras
consumes a `tf.data.Dataset` on every backend.
"""

import os

import numpy as np

from keras_mm.data.autotune_thread import without_autotune_thread
from keras_mm.data.chunked_decode import decode_in_chunks
from keras_mm.data.data_error_dataset import DataErrors
from keras_mm.data.data_error_dataset import raising_data_errors
from keras_mm.data.error_report import ErrorReport
from keras_mm.data.errors import DataError
from keras_mm.data.errors import check_on_error
from keras_mm.data.media import decode_image
from keras_mm.data.media import read_wav


def _fit_length(x, length):
    if len(x) >= length:
        return x[:length]
    return np.pad(x, (0, length - len(x)))


# Below this output size an image decode is mostly Python (PIL's header
# parsing holds the GIL), and a second decoding thread only contends for it:
# 32² PNGs decoded at ~8,000/s on one thread against ~5,000/s on two, while
# 320×240 photos resized to 224² went from ~480/s to ~830/s with two.
_SMALL_IMAGE = 64


def _decode_threads(modality, image_size):
    return 1 if modality == "image" and image_size <= _SMALL_IMAGE else None


def resample(x, rate, target):
    if rate == target or len(x) == 0:
        return x
    n = int(round(len(x) * target / rate))
    return np.interp(np.linspace(0, len(x) - 1, n), np.arange(len(x)), x)


def pair_columns(pairs):
    """`(paths, blobs, texts, sources)`: the string columns `tf.data`
    carries for `Pair`s (a path, or the encoded bytes of shard media)."""
    paths, blobs, texts, sources = [], [], [], []
    for p in pairs:
        is_path = isinstance(p.media, (str, os.PathLike))
        paths.append(str(p.media) if is_path else "")
        blobs.append(b"" if is_path else bytes(p.media))
        texts.append(p.text)
        sources.append(p.source or (str(p.media) if is_path else "<bytes>"))
    return paths, blobs, texts, sources


def make_dataset(pairs, preprocessor, batch_size=32, modality="image",
                 image_size=32, audio_length=16000, sample_rate=16000,
                 shuffle=None, seed=0, cache=False, augment=None,
                 on_error="raise", report=None, drop_remainder=False,
                 num_parallel_calls=None):
    """Turns `Pair`s into a batched dataset of model inputs.

    Args:
        pairs: a list of `Pair`, or a callable returning a fresh iterator of
            them each epoch (streaming, e.g. `lambda: iter_webdataset(s)`).
        preprocessor: `keras_mm.data.TextPreprocessor` or
            `ByteTextPreprocessor`.
        batch_size: int.
        modality: str. `"image"` → `"images"` float32 `(B, S, S, 3)` in
            [0, 255]; `"audio"` → `"audio"` float32 `(B, audio_length)`.
        image_size: int. Images are resized to `image_size²`.
        audio_length: int. Waveforms are cropped or zero-padded to this.
        sample_rate: int. Waveforms are resampled to this rate.
        shuffle: int or None. Shuffle buffer size (None: no shuffle).
        seed: int. Shuffle and augmentation seed.
        cache: bool. Cache decoded records in memory after the first epoch.
        augment: callable or None. Applied to each batch of media (float32),
            e.g. `keras_mm.data.ImageAugmentation(...)`. Opt-in: flips and
            rotations change what position words in captions mean.
        on_error: `"raise"` (a `DataError` naming file, line and reason
            stops iteration; `except keras_mm.data.DataError` catches it)
            or `"skip"` (bad records are dropped, counted in `report`, and
            the counts printed at the end of each epoch).
        report: `ErrorReport` or None (one that prints only epochs that
            skipped a record).
        num_parallel_calls: int or None. Chunks decoded at once, and
            batches tokenized and augmented at once (None: AUTOTUNE, but
            one decoding thread for images of 64 px or less).

    Returns:
        A `tf.data.Dataset` of dicts `{"images" | "audio", "token_ids",
        "padding_mask"}`.

    Example:
    ```python
    pairs = keras_mm.data.read_manifest("train.csv")
    pre = keras_mm.data.TextPreprocessor.from_corpus([p.text for p in pairs])
    ds = keras_mm.data.make_dataset(pairs, pre, batch_size=64, shuffle=1000)
    model.fit(ds, epochs=2)
    ```
    """
    import tensorflow as tf

    check_on_error(on_error)
    if modality not in ("image", "audio"):
        raise ValueError(f"modality must be 'image' or 'audio'. "
                         f"Received: {modality!r}")
    if report is None:
        report = ErrorReport(verbose="if_skipped")
    errors = DataErrors()
    parallel = num_parallel_calls or tf.data.AUTOTUNE
    string = tf.TensorSpec((), tf.string)
    if callable(pairs):
        def generate():
            for row in zip(*pair_columns(pairs())):
                yield row

        ds = tf.data.Dataset.from_generator(
            generate, output_signature=(string,) * 4)
    else:
        pairs = list(pairs)
        if not pairs:
            raise ValueError("make_dataset needs at least one pair.")
        ds = tf.data.Dataset.from_tensor_slices(tuple(
            tf.constant(c, tf.string) for c in pair_columns(pairs)))

    if modality == "image":
        shape, dtype = (image_size, image_size, 3), np.uint8
    else:
        shape, dtype = (audio_length,), np.float32

    def decode_row(path, blob, source):
        path, source = path.decode(), source.decode()
        try:
            if modality == "image":
                x = decode_image(path or blob, image_size, source=source)
            else:
                wave, rate = read_wav(path or blob, source=source)
                x = _fit_length(resample(wave, rate, sample_rate),
                                audio_length).astype(np.float32)
            return [x], True
        except DataError as error:
            if on_error == "raise":
                raise errors.record(error)
            report.add(error)
            return [np.zeros(shape, dtype)], False

    ds = decode_in_chunks(ds, decode_row, [(dtype, shape)], stateful=True,
                          num_parallel_calls=num_parallel_calls or
                          _decode_threads(modality, image_size))

    def is_ok(x, text, ok):
        return ok

    def drop_flag(x, text, ok):
        return x[0], text

    ds = ds.filter(is_ok).map(drop_flag)
    if cache:
        ds = ds.cache()

    def end_epoch():
        report.end_epoch(cached=cache)
        return True

    # An empty tail whose only effect is to print the report once the
    # epoch's records are all decoded.
    def run_end_epoch(_):
        return tf.py_function(end_epoch, [], tf.bool)

    def never(done):
        return tf.logical_not(done)

    def placeholder(_):
        return tf.zeros(shape, tf.as_dtype(dtype)), tf.constant("")

    tail = tf.data.Dataset.range(1).map(run_end_epoch).filter(never).map(
        placeholder)
    ds = ds.concatenate(tail)
    if shuffle:
        ds = ds.shuffle(shuffle, seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    key = "images" if modality == "image" else "audio"

    def to_inputs(x, text, draws=None):
        token_ids, padding_mask = preprocessor.tokenize_and_pack(text)
        x = tf.cast(x, tf.float32)
        if draws is not None:
            x = augment.apply(x, draws)
        elif augment is not None:
            x = augment(x)
        return {key: x, "token_ids": tf.cast(token_ids, tf.int32),
                "padding_mask": tf.cast(padding_mask, tf.bool)}

    if hasattr(augment, "draw") and hasattr(augment, "apply"):
        # The random draws are taken in order (a stateful generator: same
        # seed, same batches); the resampling, the costly part, in parallel.
        def with_draws(x, text):
            return x, text, augment.draw(tf.shape(x)[0])

        ds = ds.map(with_draws).map(to_inputs, num_parallel_calls=parallel,
                                    deterministic=True)
    elif augment is not None:  # draws inside: run it in order
        ds = ds.map(to_inputs)
    else:
        ds = ds.map(to_inputs, num_parallel_calls=parallel,
                    deterministic=True)
    return raising_data_errors(
        without_autotune_thread(ds.prefetch(tf.data.AUTOTUNE)), errors)

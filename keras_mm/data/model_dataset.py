"""The user's pairs as the inputs of a model, through the model's own
preprocessing.

A model that carries its preprocessors (`model.preprocessors`: a pretrained
checkpoint's tokenizer and image/audio preprocessing, or those a run
attached) turns raw files and captions into exactly what its encoders take,
the same way in training, `embed`, evaluation, export and serving. Media are
decoded in Python (PIL, wave, PyAV), a chunk of samples per call, inside
`tf.data`; captions are tokenized per batch in the `tf.data` graph.
"""

import io

import numpy as np

from keras_mm.data.autotune_thread import without_autotune_thread
from keras_mm.data.chunked_decode import decode_in_chunks
from keras_mm.data.data_error_dataset import DataErrors
from keras_mm.data.data_error_dataset import raising_data_errors
from keras_mm.data.error_report import ErrorReport
from keras_mm.data.errors import DataError
from keras_mm.data.errors import check_on_error
from keras_mm.data.pipeline import pair_columns

# What a decoder may raise on a bad file besides DataError.
_DECODE_ERRORS = (DataError, OSError, ValueError, SyntaxError)


def model_modality(model):
    """The one non-text modality of a two-tower contrastive model."""
    modalities = [m for m in getattr(model, "encoders", {}) if m != "text"]
    if len(modalities) != 1 or "text" not in model.encoders:
        raise ValueError(
            "Expected a two-tower model with a 'text' encoder and one media "
            f"encoder; this one has {sorted(getattr(model, 'encoders', {}))}")
    return modalities[0]


def model_preprocessor(model, modality):
    """`model.preprocessors[modality]`, or one clear error."""
    preprocessor = getattr(model, "preprocessors", {}).get(modality)
    if preprocessor is None:
        raise ValueError(
            f"The model has no {modality} preprocessor, so it cannot read "
            "files: start from a pretrained checkpoint, a preset or a "
            "`.keras` file saved by `keras-mm train`")
    return preprocessor


def _audio_rate(preprocessor):
    for name in ("sampling_rate", "sample_rate"):
        rate = getattr(preprocessor, name, None)
        if rate:
            return int(rate)
    return None


def media_loader(modality, preprocessor):
    """A function from one `Pair.media` (path, bytes or array) to what the
    preprocessor makes of it, with its batch axis removed: a dict of arrays
    keyed by output name, or `{None: array}` for a bare array."""
    rate = _audio_rate(preprocessor) if modality == "audio" else None
    reads_files = getattr(preprocessor, "reads_files", False)

    def load(media):
        if isinstance(media, (bytes, bytearray)) and modality == "image":
            media = io.BytesIO(media)
        elif modality == "audio" and rate and not reads_files:
            media = _waveform(media, rate)
        outputs = preprocessor([media])
        if not isinstance(outputs, dict):
            outputs = {None: outputs}
        return {k: np.asarray(v)[0] for k, v in outputs.items()}

    return load


def _waveform(media, rate):
    from keras_mm.data.audio_files import read_audio

    # WAV, FLAC and the containers PyAV reads, resampled to `rate`.
    return read_audio(media, rate)


def _probe(load, pairs):
    """The output names, dtypes and shapes, from the first good sample."""
    errors = []
    for pair in pairs:
        try:
            return {k: (v.dtype, v.shape) for k, v in load(pair.media).items()}
        except _DECODE_ERRORS as error:
            errors.append(f"{pair.source}: {error}")
            if len(errors) >= 16:
                break
    raise DataError(errors[0].split(":")[0] if errors else "<data>", None,
                    "no sample could be preprocessed"
                    + (f" (first: {errors[0]})" if errors else " (no pairs)"))


def model_dataset(pairs, model, batch_size=32, modality=None, shuffle=None,
                  seed=0, on_error="skip", report=None,
                  drop_remainder=False, num_parallel_calls=None):
    """A batched `tf.data.Dataset` of the model's inputs from `Pair`s.

    Args:
        pairs: a list of `Pair`, or a callable returning a fresh iterator
            of them (`keras_mm.data.stream_pairs`; the length is then
            unknown).
        model: a `ContrastiveModel` with `preprocessors` for its media
            modality and `"text"`.
        batch_size: int.
        modality: str or None (the model's media modality).
        shuffle: int or None. Shuffle buffer (a list is shuffled whole
            before decoding when set).
        seed: int. Shuffle seed; the order changes every epoch.
        on_error: `"skip"` (unreadable samples are dropped and counted in
            `report`) or `"raise"`.
        report: `keras_mm.data.ErrorReport` or None.

    Returns:
        A dataset of dicts holding exactly the encoders' input keys.

    Example:
    ```python
    model = keras_mm.models.load_pretrained("clip_folder/")
    pairs = keras_mm.data.read_pairs("train.csv")
    dataset = keras_mm.data.model_dataset(pairs, model, batch_size=32)
    model.compile(optimizer="adam")
    model.fit(dataset, epochs=1)
    ```
    """
    import tensorflow as tf

    check_on_error(on_error)
    report = (ErrorReport(verbose="if_skipped") if report is None
              else report)
    errors = DataErrors()
    modality = modality or model_modality(model)
    load = media_loader(modality, model_preprocessor(model, modality))
    text_preprocessor = model_preprocessor(model, "text")
    media_keys = list(model.encoders[modality].input_keys)
    text_keys = list(model.encoders["text"].input_keys)
    parallel = num_parallel_calls or tf.data.AUTOTUNE

    string = tf.TensorSpec((), tf.string)
    if callable(pairs):
        first = next(iter(pairs()), None)
        spec = _probe(load, [first] if first is not None else [])

        def generate():
            for row in zip(*pair_columns(pairs())):
                yield row

        dataset = tf.data.Dataset.from_generator(
            generate, output_signature=(string,) * 4)
    else:
        pairs = list(pairs)
        if not pairs:
            raise ValueError("model_dataset needs at least one pair.")
        spec = _probe(load, pairs)
        dataset = tf.data.Dataset.from_tensor_slices(tuple(
            tf.constant(c, tf.string) for c in pair_columns(pairs)))
        if shuffle:
            dataset = dataset.shuffle(len(pairs), seed=seed,
                                      reshuffle_each_iteration=True)
    names = list(spec)
    if names == [None]:
        names = [media_keys[0]]
        spec = {media_keys[0]: spec[None]}
    unknown = [k for k in media_keys if k not in spec]
    if unknown:
        raise ValueError(f"The {modality} preprocessor gives {names}, but "
                         f"the encoder takes {media_keys}")

    def decode_row(path, blob, source):
        path, source = path.decode(), source.decode()
        try:
            outputs = load(path or bytes(blob))
            outputs = {k or media_keys[0]: v for k, v in outputs.items()}
            arrays = [np.asarray(outputs[k], spec[k][0]) for k in names]
            for name, array in zip(names, arrays):
                if array.shape != spec[name][1]:
                    raise DataError(
                        source, None, f"{name} of shape {array.shape}, "
                        f"expected {spec[name][1]} like the first sample",
                        kind="undecodable")
            return arrays, True
        except _DECODE_ERRORS as error:
            if not isinstance(error, DataError):
                error = DataError(source, None, f"cannot read "
                                  f"{path or 'the sample'} ({error})",
                                  kind="undecodable")
            if on_error == "raise":
                raise errors.record(error)
            report.add(error)
            return [np.zeros(spec[k][1], spec[k][0]) for k in names], False

    def is_ok(media, text, ok):
        return ok

    def drop_flag(media, text, ok):
        return dict(zip(names, media)), text

    dataset = decode_in_chunks(
        dataset, decode_row, [spec[k] for k in names],
        num_parallel_calls=num_parallel_calls,
    ).filter(is_ok).map(drop_flag)
    if shuffle and callable(pairs):
        dataset = dataset.shuffle(shuffle, seed=seed,
                                  reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)

    def to_inputs(media, text):
        tokens = text_preprocessor.call(text)
        inputs = {k: media[k] for k in media_keys}
        inputs.update({k: tokens[k] for k in text_keys})
        return inputs

    dataset = dataset.map(to_inputs, num_parallel_calls=parallel,
                          deterministic=True)
    return raising_data_errors(
        without_autotune_thread(dataset.prefetch(tf.data.AUTOTUNE)), errors)

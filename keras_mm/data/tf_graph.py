"""The TensorFlow ops that text preprocessing runs, eagerly or in `tf.data`.

keras-hub's tokenizers and packers run in TensorFlow on every Keras
backend, and a preprocessor's `call` may be traced inside a `tf.data`
graph, where `keras.ops` (the active backend's ops) cannot run. The text
preprocessors of `keras_mm.models` and `keras_mm.data` take the few
TensorFlow ops they need around those layers from here.
"""

import numpy as np


def string_tensor(texts):
    """`texts` (str, list of str or string tensor) as a string tensor.

    Example:
    ```python
    string_tensor(["a red circle"]).shape  # (1,)
    ```
    """
    import tensorflow as tf

    return tf.convert_to_tensor(texts)


def text_model_inputs(token_ids, padding_mask=None):
    """`{"token_ids": int32, "padding_mask": bool}` tensors from a packer's
    outputs; no `padding_mask` means every token is attended to.

    Example:
    ```python
    inputs = text_model_inputs([[49406, 320, 49407]])
    inputs["padding_mask"].numpy()  # [[True, True, True]]
    ```
    """
    import tensorflow as tf

    token_ids = tf.cast(token_ids, "int32")
    if padding_mask is None:
        return {"token_ids": token_ids,
                "padding_mask": tf.ones_like(token_ids, "bool")}
    return {"token_ids": token_ids,
            "padding_mask": tf.cast(padding_mask, "bool")}


def canonicalize_text(texts, lower_case=True, remove_pattern=None,
                      normalize_whitespace=True):
    """Lower-cases, removes what `remove_pattern` matches, and collapses
    and strips whitespace, as big_vision canonicalises captions.

    Args:
        texts: string tensor.
        lower_case: `True` (Unicode), `"ascii"` (ASCII letters only) or
            `False`.
        remove_pattern: str or None. A regular expression (RE2) whose
            matches are deleted.
        normalize_whitespace: bool. Runs of whitespace become one space,
            none at either end.

    Example:
    ```python
    canonicalize_text(string_tensor(["  A  Cat! "]), remove_pattern="!")
    # [b"a cat"]
    ```
    """
    import tensorflow as tf

    if lower_case:
        texts = tf.strings.lower(
            texts, encoding="utf-8" if lower_case is True else "")
    if remove_pattern:
        texts = tf.strings.regex_replace(texts, remove_pattern, "")
    if normalize_whitespace:
        texts = tf.strings.regex_replace(texts, r"\s+", " ")
        texts = tf.strings.strip(texts)
    return texts


def ragged_rows(rows):
    """Lists of int as an int32 `tf.RaggedTensor` with one row each (what
    a keras-hub packer takes).

    Example:
    ```python
    ragged_rows([[5, 6, 7], [8]]).row_lengths().numpy()  # [3, 1]
    ```
    """
    import tensorflow as tf

    rows = [[int(t) for t in row] for row in rows]
    values = [t for row in rows for t in row]
    return tf.RaggedTensor.from_row_lengths(
        tf.constant(values, tf.int32, [len(values)]),
        tf.constant([len(row) for row in rows], tf.int64),
    )


def text_batches(texts, batch_size):
    """A `tf.data.Dataset` of `texts` (list of str) in batches, as
    keras-hub's vocabulary trainers read a corpus.

    Example:
    ```python
    next(iter(text_batches(["a", "b", "c"], 2))).shape  # (2,)
    ```
    """
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices(list(texts)).batch(batch_size)


def call_seeded(layer, values, seed=None):
    """Calls a keras-hub preprocessing layer on `values` (array-like) and
    returns its outputs as NumPy; TensorFlow's global seed is set first
    when `seed` is given, which makes its random draws reproducible.

    Example:
    ```python
    generator = keras_hub.layers.MaskedLMMaskGenerator(
        vocabulary_size=100, mask_selection_rate=0.5, mask_token_id=1)
    call_seeded(generator, np.full((2, 8), 7, "int32"), seed=0)
    ```
    """
    import keras
    import tensorflow as tf

    if seed is not None:
        tf.random.set_seed(seed)
    outputs = layer(tf.constant(values))
    return keras.tree.map_structure(np.asarray, outputs)

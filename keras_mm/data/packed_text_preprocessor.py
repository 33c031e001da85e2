"""What every keras_mm text preprocessor shares: packing ids into inputs."""

import keras
import numpy as np

from keras_mm.backend import keras_compat


def id_lists(token_ids):
    """A tokenizer's eager output (ragged tensor, tensor or lists) as a
    list of lists of int."""
    if hasattr(token_ids, "to_list"):  # tf.RaggedTensor
        token_ids = token_ids.to_list()
    elif hasattr(token_ids, "tolist"):  # dense NumPy array
        token_ids = token_ids.tolist()
    return [[int(t) for t in np.asarray(row).reshape(-1)]
            for row in token_ids]


def pack_id_lists(packer, token_ids):
    """Runs a keras-hub `StartEndPacker` on lists of ids, eagerly.

    Returns:
        `{"token_ids": int32, "padding_mask": bool}` NumPy arrays.
    """
    from keras_mm.data.tf_graph import ragged_rows

    ragged = ragged_rows(token_ids)
    packed, padding_mask = packer(ragged)
    return {"token_ids": np.asarray(packed).astype("int32"),
            "padding_mask": np.asarray(padding_mask).astype(bool)}


class PackedTextPreprocessor(keras.layers.Layer):
    """Base of the text preprocessors: texts -> `token_ids` + `padding_mask`.

    A subclass sets `self.tokenizer` (a keras-hub tokenizer), `self.packer`
    (a keras-hub `StartEndPacker`) and `tokenize_and_pack(texts)` (works in
    `tf.data` graphs); `tokenize`, `pack` and calling the layer come from
    here. `token_id_offset` is added to the tokenizer's ids (0 by default).
    """

    token_id_offset = 0

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Strings pass through untouched, as in keras-hub preprocessors.
        keras_compat.accept_non_tensor_inputs(self)

    def tokenize(self, texts):
        """Token ids of each text, unpacked: no `[CLS]`/`[SEP]`, no
        padding and no length limit.

        Args:
            texts: a str or a list of str.

        Returns:
            list (one per text) of lists of int.

        Example:
        ```python
        ids = pre.tokenize(["a red circle"])
        pre.pack(ids)["token_ids"]  # == pre(["a red circle"])["token_ids"]
        ```
        """
        if isinstance(texts, str):
            texts = [texts]
        offset = self.token_id_offset
        return [[t + offset for t in row]
                for row in id_lists(self.tokenizer(list(texts)))]

    def pack(self, token_ids):
        """Model inputs from lists of ids (e.g. from `tokenize`): adds
        `[CLS]`/`[SEP]`, pads or truncates to `sequence_length`.

        Returns:
            `{"token_ids": int32, "padding_mask": bool}` NumPy arrays of
            shape `(len(token_ids), sequence_length)`.
        """
        return pack_id_lists(self.packer, token_ids)

    def call(self, texts):
        if isinstance(texts, str):
            texts = [texts]
        token_ids, padding_mask = self.tokenize_and_pack(texts)
        return {"token_ids": token_ids, "padding_mask": padding_mask}

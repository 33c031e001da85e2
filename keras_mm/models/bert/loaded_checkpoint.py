"""What a checkpoint loader returns: an encoder and its tokenizer."""

import dataclasses

import numpy as np


@dataclasses.dataclass
class LoadedCheckpoint:
    """A text encoder filled from a checkpoint, with its preprocessor.

    Attributes:
        encoder: `keras_mm.models.BertTextEncoder` with the checkpoint's
            weights.
        preprocessor: `keras_mm.data.TextPreprocessor` built from the
            checkpoint's vocabulary, or `None` when it ships none.
        source: str. `"huggingface"`, `"sentence-transformers"` or
            `"keras-hub"`.
        path: str. The folder it was read from.

    Example:
    ```python
    checkpoint = keras_mm.checkpoints.load_checkpoint("all-MiniLM-L6-v2/")
    embeddings = checkpoint.embed_texts(["a red circle", "a blue square"])
    ```
    """

    encoder: object
    preprocessor: object
    source: str
    path: str

    def embed_texts(self, texts, batch_size=32):
        """Pooled outputs for a list of str, `(len(texts), hidden_dim)`."""
        if self.preprocessor is None:
            raise ValueError(
                f"The checkpoint at {self.path} has no vocabulary, so it "
                "cannot tokenize text."
            )
        rows = []
        for start in range(0, len(texts), batch_size):
            batch = self.preprocessor(list(texts[start:start + batch_size]))
            outputs = self.encoder.predict_on_batch({
                "token_ids": np.asarray(batch["token_ids"], "int32"),
                "padding_mask": np.asarray(batch["padding_mask"], "bool"),
            })
            rows.append(np.asarray(outputs["pooled_output"], "float32"))
        return np.concatenate(rows, axis=0)

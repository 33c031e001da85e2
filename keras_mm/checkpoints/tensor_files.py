"""Reading the tensors of a local checkpoint folder into NumPy arrays."""

from keras_mm.checkpoints.lazy_tensors import LazyTensors
from keras_mm.checkpoints.lazy_tensors import open_tensors  # noqa: F401


def read_tensors(folder):
    """Returns `{name: float32-or-int np.ndarray}` for a checkpoint folder.

    Safetensors files (`model.safetensors`, or every shard of a sharded
    checkpoint) are preferred; `pytorch_model.bin` is read when PyTorch is
    installed. Nothing is downloaded. Every tensor is in memory at once:
    loaders should prefer `open_tensors`, which reads one when asked.

    Example:
    ```python
    tensors = read_tensors("bert_tiny/")
    tensors["embeddings.word_embeddings.weight"].shape
    ```
    """
    return dict(LazyTensors(folder))

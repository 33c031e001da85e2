"""The error a loader raises when a checkpoint does not fit its model."""


class CheckpointMismatchError(ValueError):
    """A checkpoint lacks a tensor, or one has the wrong shape.

    The message names the tensor (as the checkpoint spells it), the shape
    the model expects and, for a mismatch, the shape found.

    Example:
    ```python
    try:
        keras_mm.checkpoints.load_checkpoint("my_bert/")
    except keras_mm.checkpoints.CheckpointMismatchError as error:
        print(error.tensor_name)
    ```
    """

    def __init__(self, message, tensor_name=None):
        super().__init__(message)
        self.tensor_name = tensor_name

"""Shared batching for runners of batch-1 exported towers."""

import numpy as np


class TowerRunner:
    """Runs an exported batch-1 tower on batches, one row at a time.

    Subclasses (`LiteRTRunner`, `OnnxRunner`) implement `run_one(sample)`,
    which takes a dict of batch-1 arrays and returns a `(1, D)` array;
    `__call__(inputs)` splits a batch into rows, runs each and stacks the
    outputs.

    Example:
    ```python
    class EchoRunner(keras_mm.export.TowerRunner):
        def run_one(self, sample):
            return sample["x"]

    EchoRunner()({"x": np.ones((3, 4))}).shape  # (3, 4)
    ```
    """

    def run_one(self, sample):
        raise NotImplementedError(
            f"{type(self).__name__} must implement `run_one(sample)`."
        )

    def __call__(self, inputs):
        count = len(next(iter(inputs.values())))
        rows = [
            self.run_one({k: np.asarray(v)[i:i + 1] for k, v in
                          inputs.items()})
            for i in range(count)
        ]
        return np.concatenate(rows, axis=0)

import keras
import numpy as np
import pytest

pytestmark = pytest.mark.skipif(keras.config.backend() != "torch",
                                reason="torch-only gradient bookkeeping")


def test_clear_drops_every_trainable_gradient():
    import torch

    from keras_mm.backend.torch import shared_path_gradients

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2),
                              keras.layers.Dense(2)])
    x = torch.tensor(np.ones((1, 3), "float32"))
    keras.ops.sum(model(x)).backward()
    assert all(v.value.grad is not None for v in model.trainable_variables)
    shared_path_gradients.clear(model)
    assert all(v.value.grad is None for v in model.trainable_variables)

import keras
import numpy as np
import pytest

pytestmark = pytest.mark.skipif(keras.config.backend() != "torch",
                                reason="torch-only gradient bookkeeping")


def test_clear_drops_every_trainable_gradient():
    import torch

    from keras_mm.backend.torch import shared_path_gradients

    inputs = keras.Input((3,))
    # Two layers with the same name give their variables the same path.
    first = keras.layers.Dense(2, name="same")
    second = keras.layers.Dense(2, name="same")
    model = keras.Model(inputs, [first(inputs), second(inputs)])
    x = torch.tensor(np.ones((1, 3), "float32"))
    sum(keras.ops.sum(y) for y in model(x)).backward()
    assert all(v.value.grad is not None for v in model.trainable_variables)
    shared_path_gradients.clear(model)
    assert all(v.value.grad is None for v in model.trainable_variables)

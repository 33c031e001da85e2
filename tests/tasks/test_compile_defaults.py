"""Every task compiles with keras_mm's defaults: AdamW without decay on
biases, norms and embeddings, XLA on TensorFlow, and a saved optimizer
that comes back with the `.keras` file."""

import keras
import numpy as np
import pytest
from tasks_testdata import SEQUENCE_LENGTH
from tasks_testdata import image_encoder
from tasks_testdata import preprocessor
from tasks_testdata import text_encoder

from keras_mm.tasks import CaptioningModel
from keras_mm.tasks import ContrastiveModel
from keras_mm.tasks import ImageTextMatchingModel
from keras_mm.tasks import MaskedImageModel
from keras_mm.tasks import MaskedLanguageModel
from keras_mm.optimizers.adamw import ScaledAdamW


def captioning():
    return CaptioningModel(image_encoder(), preprocessor().vocabulary_size,
                           SEQUENCE_LENGTH, hidden_dim=32, num_layers=1,
                           num_heads=2)


def contrastive():
    return ContrastiveModel({"image": image_encoder(), "text": text_encoder()},
                            projection_dim=16)


def matching():
    return ImageTextMatchingModel(
        {"image": image_encoder(pooling="mean"),
         "text": text_encoder(causal=False, pooling="mean")},
        projection_dim=16, num_heads=2, seed=0)


def masked_image():
    return MaskedImageModel(image_encoder(), mask_ratio=0.5, seed=0)


def masked_language():
    return MaskedLanguageModel(text_encoder(causal=False, pooling="mean"),
                               preprocessor().vocabulary_size)


TASKS = [captioning, contrastive, matching, masked_image, masked_language]


def training_data(task, shapes_test):
    data = {k: v[:32] for k, v in shapes_test.items()}
    if task is masked_image:
        return ({"images": data["images"]},)
    if task is masked_language:
        x, y, w = MaskedLanguageModel.mask_tokens(
            data, preprocessor().vocabulary_size, 4, seed=0)
        return x, y, w
    return (data,)


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.__name__)
def test_auto_optimizer_skips_decay_on_biases_norms_embeddings(task):
    model = task()
    model.compile()
    assert isinstance(model.optimizer, ScaledAdamW)
    model.optimizer.build(model.trainable_variables)
    decays = {v.path: model.optimizer._use_weight_decay(v)
              for v in model.trainable_variables}
    for path, uses_decay in decays.items():
        expected = path.endswith("/kernel")
        assert uses_decay == expected, path


# The contrastive towers' XLA fit is tested in tests/training/
# test_jit_defaults.py; matching adds nothing the captioner's cross-attention
# does not have, and each XLA compile costs tens of seconds.
@pytest.mark.parametrize("task", [captioning, masked_image, masked_language],
                         ids=lambda t: t.__name__)
def test_auto_jit_is_xla_on_tensorflow_and_fits(task, shapes_test,
                                                monkeypatch):
    monkeypatch.delenv("KERAS_MM_TF_XLA", raising=False)
    model = task()
    model.compile()
    if keras.config.backend() != "tensorflow":
        assert model.jit_compile == (keras.config.backend() == "jax")
        return  # Other backends keep Keras' own choice (tested by Keras).
    assert model.jit_compile is True
    x, *rest = training_data(task, shapes_test)
    y = rest[0] if rest else None
    weights = rest[1] if len(rest) > 1 else None
    history = model.fit(x, y, sample_weight=weights, batch_size=16,
                        epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


def test_saved_optimizer_and_its_state_come_back(tmp_path, shapes_test):
    model = masked_image()
    model.compile(optimizer=keras.optimizers.SGD(0.05))
    model.fit({"images": shapes_test["images"][:16]}, batch_size=8,
              epochs=1, verbose=0)
    path = str(tmp_path / "mim.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.optimizer, keras.optimizers.SGD)
    assert int(loaded.optimizer.iterations) == 2
    np.testing.assert_allclose(
        float(loaded.optimizer.learning_rate), 0.05, rtol=1e-6)

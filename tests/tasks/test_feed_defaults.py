"""FeedDefaults: the same training as Keras' own input path, fed through
datasets whose iterators close without waiting for tf.data's autotuner."""

import warnings

import keras
import numpy as np
import tensorflow as tf

from keras_mm.tasks.feed_defaults import FeedDefaults

ON_TF = keras.config.backend() == "tensorflow"


class Regressor(FeedDefaults, keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(8, activation="relu")
        self.out = keras.layers.Dense(1)

    def call(self, x):
        return self.out(self.hidden(x))


def _data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 5)).astype("float32")
    y = (x @ rng.normal(size=(5, 1))).astype("float32")
    w = rng.uniform(0.5, 2.0, size=(n,)).astype("float32")
    return x, y, w


def _twins():
    """Two models with the same weights: one fed by FeedDefaults, one by
    Keras' own `fit` (the mixin skipped)."""
    keras.utils.set_random_seed(0)
    a = Regressor()
    a(np.zeros((1, 5), "float32"))
    b = Regressor()
    b(np.zeros((1, 5), "float32"))
    b.set_weights(a.get_weights())
    for m in (a, b):
        m.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse",
                  metrics=["mae"])
    return a, b


def test_fit_evaluate_predict_match_keras_own_input_path():
    x, y, w = _data()
    fed, plain = _twins()
    kwargs = dict(batch_size=16, epochs=2, verbose=0, shuffle=False,
                  validation_split=0.25, sample_weight=w)
    h_fed = fed.fit(x, y, **kwargs).history
    h_plain = keras.Model.fit(plain, x, y, **kwargs).history
    assert set(h_fed) == set(h_plain) >= {"loss", "val_loss", "val_mae"}
    for key in h_plain:
        np.testing.assert_allclose(h_fed[key], h_plain[key], rtol=1e-5)
    for a, b in zip(fed.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        fed.evaluate(x, y, batch_size=16, verbose=0),
        keras.Model.evaluate(plain, x, y, batch_size=16, verbose=0),
        rtol=1e-5)
    p_fed = fed.predict(x, batch_size=16, verbose=0)
    assert p_fed.shape == (40, 1)  # the partial last batch is kept
    np.testing.assert_allclose(
        p_fed, keras.Model.predict(plain, x, batch_size=16, verbose=0),
        rtol=1e-5, atol=1e-6)


def test_class_weight_and_validation_arrays_match_keras():
    x, _, _ = _data()
    labels = (x[:, :1] > 0).astype("float32")
    fed, plain = _twins()
    kwargs = dict(batch_size=8, epochs=1, shuffle=False, verbose=0,
                  class_weight={0: 1.0, 1: 3.0},
                  validation_data=(x[:8], labels[:8]))
    h_fed = fed.fit(x, labels, **kwargs).history
    h_plain = keras.Model.fit(plain, x, labels, **kwargs).history
    np.testing.assert_allclose(h_fed["loss"], h_plain["loss"], rtol=1e-5)
    np.testing.assert_allclose(h_fed["val_loss"], h_plain["val_loss"],
                               rtol=1e-5)


def test_keras_receives_datasets_without_the_autotune_thread(monkeypatch):
    seen = {}
    real_fit = keras.Model.fit

    def spy(self, x=None, *args, **kwargs):
        seen["x"], seen["val"] = x, kwargs.get("validation_data")
        return real_fit(self, x, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", spy)
    x, y, _ = _data()
    fed, _ = _twins()
    fed.fit(x, y, batch_size=16, epochs=1, verbose=0,
            validation_data=(x[:8], y[:8]))
    if ON_TF:  # arrays go through tf.data only on TensorFlow
        for ds, batches in ((seen["x"], 3), (seen["val"], 1)):
            assert isinstance(ds, tf.data.Dataset)
            assert ds.options().autotune.enabled is False
            assert int(ds.cardinality()) == batches  # progress bars know
    else:
        assert seen["x"] is x
    user_ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(20)
    fed.fit(user_ds, epochs=1, verbose=0, shuffle=False,
            validation_data=(x[:8], y[:8]))
    assert seen["x"].options().autotune.enabled is False
    if ON_TF:  # array validation data beside a dataset is converted too
        assert seen["val"].options().autotune.enabled is False


def test_shuffled_arrays_train_without_keras_dataset_warning():
    x, y, _ = _data()
    fed, _ = _twins()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = fed.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert not [w for w in caught if "shuffle" in str(w.message)]
    assert history.history["loss"][1] < history.history["loss"][0]


def test_an_explicit_autotune_choice_reaches_keras(monkeypatch):
    seen = {}
    real_evaluate = keras.Model.evaluate

    def spy(self, x=None, *args, **kwargs):
        seen["x"] = x
        return real_evaluate(self, x, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "evaluate", spy)
    x, y, _ = _data()
    options = tf.data.Options()
    options.autotune.enabled = True
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(20).with_options(
        options)
    fed, _ = _twins()
    fed.evaluate(ds, verbose=0)
    assert seen["x"].options().autotune.enabled is True


def test_every_task_model_feeds_this_way():
    from keras_mm import tasks

    for name in ("CaptioningModel", "ContrastiveModel",
                 "ImageTextMatchingModel", "MaskedImageModel",
                 "MaskedLanguageModel"):
        assert issubclass(getattr(tasks, name), FeedDefaults), name


def test_a_fit_that_fails_before_its_first_step_keeps_the_weights():
    # Keras' jax trainer detaches the weights as the first step begins; a
    # first batch that cannot be read must not leave the model without them.
    x, y, _ = _data()
    model, _ = _twins()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    before = [np.array(w) for w in model.get_weights()]

    def fail(x, y):
        raise ValueError("unreadable first batch")

    def unreadable():  # a dataset whose first element cannot be read
        def read(a, b):
            a, b = tf.numpy_function(fail, [a, b], [tf.float32, tf.float32])
            return tf.ensure_shape(a, (None, 5)), tf.ensure_shape(b, (None, 1))

        return tf.data.Dataset.from_tensor_slices((x, y)).batch(16).map(read)

    for call in (lambda: model.fit(unreadable(), epochs=1, verbose=0),
                 lambda: model.evaluate(unreadable(), verbose=0)):
        try:
            call()
        except Exception as error:  # TensorFlow's error, naming ours
            assert "unreadable first batch" in str(error)
        else:
            raise AssertionError("the unreadable batch was not raised")
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(model.evaluate(x, y, verbose=0)[0])

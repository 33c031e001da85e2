"""without_autotune_thread: autotuning off unless the options chose."""

import numpy as np
import pytest
import tensorflow as tf

from keras_mm.data.autotune_thread import without_autotune_thread


def _range_batches():
    return tf.data.Dataset.range(10).map(
        lambda i: i * 2, num_parallel_calls=tf.data.AUTOTUNE).batch(
            4).prefetch(tf.data.AUTOTUNE)


def test_turns_autotuning_off_and_keeps_the_elements():
    ds = _range_batches()
    assert ds.options().autotune.enabled is None  # tf.data's default: on
    quick = without_autotune_thread(ds)
    assert quick.options().autotune.enabled is False
    got = [b.numpy().tolist() for b in quick]
    assert got == [[0, 2, 4, 6], [8, 10, 12, 14], [16, 18]]


@pytest.mark.parametrize("chosen", [True, False])
def test_keeps_an_explicit_choice(chosen):
    options = tf.data.Options()
    options.autotune.enabled = chosen
    ds = _range_batches().with_options(options)
    assert without_autotune_thread(ds).options().autotune.enabled is chosen


def test_later_transformations_keep_the_option():
    ds = without_autotune_thread(_range_batches()).map(lambda b: b + 1)
    assert ds.options().autotune.enabled is False
    assert np.concatenate(list(ds.as_numpy_iterator()))[0] == 1

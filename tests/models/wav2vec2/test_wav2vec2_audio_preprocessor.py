import numpy as np

from keras_mm.models.wav2vec2 import Wav2Vec2AudioPreprocessor


def _waves():
    rng = np.random.default_rng(0)
    return [(1.0 + rng.normal(size=n)).astype("float32") for n in (5, 8)]


def test_without_a_mask_padding_counts_in_the_statistics():
    values = Wav2Vec2AudioPreprocessor()(_waves())["input_values"]
    assert values.shape == (2, 8) and values.dtype == np.float32
    np.testing.assert_allclose(values.mean(axis=1), 0.0, atol=1e-6)
    assert np.all(values[0, 5:] != 0.0)  # Normalised padding, as HF.


def test_with_a_mask_padding_stays_padding():
    preprocessor = Wav2Vec2AudioPreprocessor(return_attention_mask=True)
    values = preprocessor(_waves())["input_values"]
    np.testing.assert_array_equal(values[0, 5:], 0.0)
    np.testing.assert_allclose(values[0, :5].mean(), 0.0, atol=1e-6)
    np.testing.assert_allclose(values[0, :5].std(), 1.0, atol=1e-5)


def test_without_normalisation_only_pads():
    preprocessor = Wav2Vec2AudioPreprocessor(do_normalize=False)
    waves = _waves()
    values = preprocessor(waves)["input_values"]
    np.testing.assert_array_equal(values[0, :5], waves[0])
    np.testing.assert_array_equal(values[0, 5:], 0.0)
    one = preprocessor(waves[1])["input_values"]
    np.testing.assert_array_equal(one, values[1:])


def test_config_round_trip():
    preprocessor = Wav2Vec2AudioPreprocessor(do_normalize=False)
    clone = Wav2Vec2AudioPreprocessor.from_config(preprocessor.get_config())
    assert clone.get_config() == preprocessor.get_config()

import numpy as np
import pytest

from keras_mm.models import BertTextEncoder
from keras_mm.testing import assert_round_trip


def _encoder(**kwargs):
    return BertTextEncoder(vocabulary_size=40, sequence_length=16,
                           hidden_dim=16, num_layers=2, num_heads=2,
                           **kwargs)


def _inputs(length=10, real=(6, 10)):
    rng = np.random.default_rng(0)
    ids = rng.integers(5, 40, (2, length)).astype("int32")
    mask = np.arange(length)[None] < np.asarray(real)[:, None]
    return {"token_ids": np.where(mask, ids, 0).astype("int32"),
            "padding_mask": mask}


@pytest.mark.parametrize("pooling", ["pooler", "mean"])
def test_round_trip(tmp_path, pooling):
    encoder = _encoder(pooling=pooling, normalize=pooling == "mean")
    reloaded = assert_round_trip(encoder, _inputs(), tmp_path)
    assert reloaded.get_config() == encoder.get_config()


@pytest.mark.parametrize("pooling", ["pooler", "cls", "mean"])
def test_padding_changes_no_output(pooling):
    encoder = _encoder(pooling=pooling)
    base = _inputs()
    out = encoder.predict_on_batch(base)
    # Other ids under the padding, and more padding, change nothing real.
    noisy = dict(base, token_ids=np.where(base["padding_mask"],
                                          base["token_ids"], 7))
    longer = {
        "token_ids": np.pad(base["token_ids"], ((0, 0), (0, 4))),
        "padding_mask": np.pad(base["padding_mask"], ((0, 0), (0, 4))),
    }
    for other in (noisy, longer):
        got = encoder.predict_on_batch(other)
        np.testing.assert_allclose(got["pooled_output"],
                                   out["pooled_output"], atol=1e-5)
        np.testing.assert_allclose(got["sequence_output"][:, :10],
                                   out["sequence_output"], atol=1e-5)
    assert np.all(out["sequence_output"][0, 6:] == 0)


def test_normalize_and_activation_options():
    inputs = _inputs()
    exact = _encoder(pooling="mean", normalize=True)
    out = exact.predict_on_batch(inputs)["pooled_output"]
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), 1.0, atol=1e-5)
    tanh = _encoder(pooling="mean", normalize=True,
                    activation="gelu_approximate")
    tanh.set_weights(exact.get_weights())
    assert not np.allclose(tanh.predict_on_batch(inputs)["pooled_output"],
                           out, atol=1e-7)
    with pytest.raises(ValueError, match="pooling"):
        _encoder(pooling="max")
    with pytest.raises(ValueError, match="activation"):
        _encoder(activation="gelu_tanh_typo")

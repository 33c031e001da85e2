"""A `.keras` model saved under one backend loads under the others."""

import numpy as np
import pytest

from keras_mm.testing import run_in_backend

OTHER_BACKENDS = {
    "jax": ("tensorflow", "torch"),
    "tensorflow": ("jax", "torch"),
    "torch": ("jax", "tensorflow"),
}

LOAD_AND_EMBED = """
import json, numpy as np, keras_mm
model = keras_mm.load_model({model!r})
inputs = dict(np.load({inputs!r}))
out = model.predict(inputs, verbose=0)
print(json.dumps({{k: np.asarray(v).tolist() for k, v in out.items()}}))
"""


@pytest.mark.large
def test_quickstart_model_reloads_under_other_backends(
    quickstart_run, backend, tmp_path
):
    import keras_mm
    from keras_mm.datasets import make_image_text_pairs
    from keras_mm.data import TextPreprocessor

    out_dir, _ = quickstart_run
    model = keras_mm.load_model(str(out_dir / "model.keras"))
    pre = TextPreprocessor.from_vocabulary_file(str(out_dir / "vocab.txt"))
    pairs = make_image_text_pairs(8, seed=123)
    text = pre(pairs["captions"])
    inputs = {
        "images": pairs["images"].astype("float32"),
        "token_ids": np.asarray(text["token_ids"], "int32"),
        "padding_mask": np.asarray(text["padding_mask"], "bool"),
    }
    np.savez(tmp_path / "inputs.npz", **inputs)
    expected = model.predict(inputs, verbose=0)
    code = LOAD_AND_EMBED.format(model=str(out_dir / "model.keras"),
                                 inputs=str(tmp_path / "inputs.npz"))
    for other in OTHER_BACKENDS[backend]:
        actual = run_in_backend(other, code)
        for key, value in expected.items():
            diff = np.abs(np.asarray(actual[key]) - np.asarray(value)).max()
            assert diff <= 1e-4, f"{key} differs by {diff} under {other}"

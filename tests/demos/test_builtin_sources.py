"""The built-in data as the library's inputs: eval pairs and serve index."""

import os

import numpy as np
import pytest

from keras_mm.datasets.splits import image_text_split
from keras_mm.datasets.splits import split_seed
from keras_mm.demos.eval_data import builtin_eval_data
from keras_mm.demos.eval_data import is_builtin
from keras_mm.demos.search_data import builtin_index_source


def test_split_seeds_are_distinct_per_split_and_run():
    seeds = {split_seed(s, r) for s in ("train", "validation", "test")
             for r in (0, 1)}
    assert len(seeds) == 6 and split_seed("test") == 2


def test_builtin_eval_data_draws_the_split_at_the_model_size():
    assert is_builtin("builtin:test") and not is_builtin("pairs.csv")
    data = builtin_eval_data("builtin:validation", num_samples=6)
    pairs = data.pairs_for(40)
    assert str(data) == "builtin:validation" and len(pairs) == 6
    assert pairs[0].media.shape == (40, 40, 3)
    expected = image_text_split("validation", 6, 40)
    assert [p.text for p in pairs] == expected["captions"]
    assert len(data.task()["class_names"]) == 24
    with pytest.raises(ValueError, match="builtin:test"):
        builtin_eval_data("builtin:dev")


def test_builtin_index_source_is_written_once_beside_the_model(tmp_path):
    from keras_mm.data.sources import read_pairs

    model = tmp_path / "model.keras"
    model.write_bytes(b"")
    manifest = builtin_index_source(str(model))
    assert manifest == os.path.join(tmp_path, "serve_index", "builtin_data",
                                    "builtin.csv")
    stamp = os.path.getmtime(manifest)
    assert builtin_index_source(str(tmp_path)) == manifest
    assert os.path.getmtime(manifest) == stamp
    pairs = read_pairs(manifest)
    expected = image_text_split("test", 64)
    assert [p.text for p in pairs] == expected["captions"]
    from PIL import Image

    np.testing.assert_array_equal(np.asarray(Image.open(pairs[3].media)),
                                  expected["images"][3])

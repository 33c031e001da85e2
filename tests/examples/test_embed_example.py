import importlib.util
import os

import numpy as np

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples",
                       "embed.py")


def test_embed_example_runs_tiny(capsys):
    # In-process (main(["--tiny"])): a subprocess would re-import Keras.
    spec = importlib.util.spec_from_file_location("embed_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    embeddings = module.main(["--tiny"])
    out = capsys.readouterr().out
    assert "loaded a sentence-transformers checkpoint" in out
    assert "embeddings: (3, 32)" in out
    assert "+1.000  a red circle" in out  # self-similarity
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=-1), 1.0,
                               atol=1e-5)

import numpy as np


def test_embed_example_runs_tiny(load_example, capsys):
    # In-process (main(["--tiny"])): a subprocess would re-import Keras.
    module = load_example("embed")
    embeddings = module.main(["--tiny"])
    out = capsys.readouterr().out
    assert "loaded a sentence-transformers checkpoint" in out
    assert "embeddings: (3, 32)" in out
    assert "+1.000  a red circle" in out  # self-similarity
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=-1), 1.0,
                               atol=1e-5)

import os
import subprocess
import sys

import keras
import pytest

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


def test_serve_example_runs_tiny():
    result = subprocess.run(
        [sys.executable, os.path.join(EXAMPLES, "serve.py"), "--tiny"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert "index built and saved (64 images)" in out
    assert "/embed/text: 2 embeddings of dim 32" in out
    # Hits name the indexed files (the built-in test split written as PNGs).
    assert "/search text" in out and "  3. " in out and ".png (" in out
    assert "empty text → 422: text: String should have at least 1" in out
    # Both searches repeat an input embedded before: 2 hits.
    assert "cache: 2 hits, 3 misses" in out


@pytest.mark.large
@pytest.mark.skipif(keras.config.backend() != "torch",
                    reason="one backend starts the Ray cluster (minutes)")
def test_serve_on_ray_example_runs_tiny():
    pytest.importorskip("ray.serve")
    result = subprocess.run(
        [sys.executable, os.path.join(EXAMPLES, "serve_on_ray.py"),
         "--tiny"], capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "16 of 16 texts embedded by 2 replicas (dim 32)" in out
    assert "a bad request: 422" in out
    assert '"status": "ok"' in out or "'status': 'ok'" in out

import os
import subprocess
import sys

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


def test_embed_example_runs_tiny():
    result = subprocess.run(
        [sys.executable, os.path.join(EXAMPLES, "embed.py"), "--tiny"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "loaded a sentence-transformers checkpoint" in result.stdout
    assert "embeddings: (3, 32)" in result.stdout
    assert "+1.000  a red circle" in result.stdout  # self-similarity

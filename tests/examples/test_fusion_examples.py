import importlib.util
import os

import pytest

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


def _load(name):
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(EXAMPLES, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.large
def test_fusion_models_example_runs_tiny(capsys):
    result = _load("fusion_models").main(["--tiny"])
    out = capsys.readouterr().out
    assert "gated fusion weights" in out
    assert 0.0 <= result["before"] <= 1.0 and 0.0 <= result["after"] <= 1.0
    assert {"itc_loss", "itm_loss"} <= set(result["history"])


@pytest.mark.large
def test_captioning_example_runs_tiny(capsys):
    result = _load("captioning").main(["--tiny", "--beams", "2"])
    out = capsys.readouterr().out
    assert "BLEU" in out and "beam=2" in result
    assert 0.0 <= result["token_accuracy"] <= 1.0

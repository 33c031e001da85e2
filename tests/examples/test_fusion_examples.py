import pytest


@pytest.mark.large
def test_fusion_models_example_runs_tiny(load_example, capsys):
    result = load_example("fusion_models").main(["--tiny"])
    out = capsys.readouterr().out
    assert "gated fusion weights" in out
    assert 0.0 <= result["before"] <= 1.0 and 0.0 <= result["after"] <= 1.0
    assert {"itc_loss", "itm_loss"} <= set(result["history"])


@pytest.mark.large
def test_captioning_example_runs_tiny(load_example, capsys):
    result = load_example("captioning").main(["--tiny", "--beams", "2"])
    out = capsys.readouterr().out
    assert "BLEU" in out and "beam=2" in result
    assert 0.0 <= result["token_accuracy"] <= 1.0

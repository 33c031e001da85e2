import pytest


@pytest.mark.large
def test_evaluate_example_runs_tiny(load_example, tmp_path, capsys):
    # In-process (the example has main(argv)), sparing a second import of
    # TensorFlow and Keras.
    module = load_example("evaluate")
    report = module.main(["--tiny", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "held-out image→text R@5 =" in out
    assert "zero-shot top-1" in out
    assert "long text embedding: shape (1, 128)" in out
    assert report["training_log"].endswith("training_log.csv")
    for name in ("model.keras", "vocab.txt", "training_log.csv",
                 "eval/report.json", "eval/training_curves.png",
                 "eval/attention_maps.png"):
        assert (tmp_path / name).exists(), name

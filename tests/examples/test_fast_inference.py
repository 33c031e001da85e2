"""examples/fast_inference.py runs at tiny size and checks its outputs."""


def test_fast_inference_example_runs_tiny(load_example, capsys):
    module = load_example("fast_inference")
    report = module.main(["--tiny"])
    assert set(report) == {1, 32}
    for figures in report.values():
        assert figures["max_abs_diff"] < 1e-5
        assert figures["compiled_ms"] > 0
    assert "batch 32: CompiledPredictor" in capsys.readouterr().out

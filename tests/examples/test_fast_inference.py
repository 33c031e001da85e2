import importlib.util
import os

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples",
                       "fast_inference.py")


def test_fast_inference_example_runs_tiny(capsys):
    spec = importlib.util.spec_from_file_location("fast_inference", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    report = module.main(["--tiny"])
    assert set(report) == {1, 32}
    for figures in report.values():
        assert figures["max_abs_diff"] < 1e-5
        assert figures["compiled_ms"] > 0
    assert "batch 32: CompiledPredictor" in capsys.readouterr().out

"""`keras-mm serve`: usage errors, and the wiring up to uvicorn."""

import pytest

from keras_mm.cli.main import main


@pytest.mark.parametrize("argv, fragment", [
    (["serve"], "--model"),
    (["serve", "--model", "m", "--runtime", "onnx"], "invalid choice"),
    (["serve", "--model", "m", "--port", "http"], "invalid int value"),
    (["serve", "--model", "m", "--port", "70000"], "--port must be in"),
    (["serve", "--model", "m", "--max-batch-size", "0"], "must be >= 1"),
    (["serve", "--model", "m", "--cache-size", "-1"], "--cache-size"),
    (["serve", "--model", "/no/such/model.keras"], "No model at"),
])
def test_wrong_usage_exits_2_with_one_line(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and fragment in err
    assert "Traceback" not in err


def test_missing_manifest_is_reported(tmp_path, capsys):
    (tmp_path / "model.keras").write_text("")
    assert main(["serve", "--model", str(tmp_path), "--index",
                 str(tmp_path / "pairs.csv")]) == 2
    assert "No manifest at" in capsys.readouterr().err


def test_serve_builds_a_warm_service_and_hands_it_to_uvicorn(
        tmp_path, monkeypatch, capsys):
    from keras_mm.serving import server
    from keras_mm.serving.demo_model import make_demo_model_dir

    model_dir = make_demo_model_dir(str(tmp_path))
    served = {}

    def fake_serve(service, host, port, max_body_bytes):
        served.update(service=service, host=host, port=port,
                      max_body_bytes=max_body_bytes)

    monkeypatch.setattr(server, "serve", fake_serve)
    argv = ["serve", "--model", model_dir, "--index", "builtin", "--port",
            "8123", "--max-batch-size", "8", "--cache-size", "10",
            "--max-body-bytes", "1000"]
    assert main(argv) == 0
    service = served.pop("service")
    assert served == {"host": "127.0.0.1", "port": 8123,
                      "max_body_bytes": 1000}
    assert service.runtime.buckets == (1, 4, 8)
    assert service.batchers["text"].max_batch_size == 8
    assert service.cache.max_size == 10
    assert len(service.index) == 64
    out = capsys.readouterr().out
    assert "search index built and saved: 64 images" in out
    service.close()

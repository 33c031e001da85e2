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
    (["serve", "--model", "m", "--max-pixels", "0"], "--max-pixels"),
    (["serve", "--model", "m", "--read-timeout-s", "0"], "--read-timeout-s"),
    (["serve", "--model", "m", "--rate-limit", "-1"], "--rate-limit"),
    (["serve", "--model", "m", "--api-key-file", "/no/keys.txt"],
     "no API key file"),
    (["serve", "--model", "m", "--cache", "127.0.0.1:6379"],
     "must be a Redis URL"),
    (["serve", "--model", "m", "--cache", "redis://127.0.0.1:6379",
      "--cache-size", "0"], "--cache with --cache-size 0"),
    (["serve", "--model", "m", "--buckets", "1,x"], "--buckets must be"),
    (["serve", "--model", "m", "--buckets", "4,64"], "--max-batch-size=32"),
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
    from keras_mm.demos.demo_model import make_demo_model_dir

    model_dir = make_demo_model_dir(str(tmp_path))
    keys = tmp_path / "keys.txt"
    keys.write_text("# one key a line\nk1\n\nk2\n")
    served = {}

    def fake_serve(service, host, port, limits):
        served.update(service=service, host=host, port=port,
                      max_body_bytes=limits.max_body_bytes,
                      rate_limit=limits.rate_limit_per_s,
                      keys=limits.api_keys)

    monkeypatch.setattr(server, "serve", fake_serve)
    argv = ["serve", "--model", model_dir, "--index", "builtin", "--port",
            "8123", "--max-batch-size", "8", "--cache-size", "10",
            "--max-body-bytes", "1000", "--max-pixels", "4096",
            "--max-items", "3", "--rate-limit", "5", "--api-key-file",
            str(keys)]
    assert main(argv) == 0
    service = served.pop("service")
    assert served == {"host": "127.0.0.1", "port": 8123,
                      "max_body_bytes": 1000, "rate_limit": 5.0,
                      "keys": ("k1", "k2")}
    assert (service.max_pixels, service.max_items) == (4096, 3)
    assert service.runtime.buckets == (1, 4, 8)  # The default steps.
    assert service.batchers["text"].max_batch_size == 8
    assert service.cache.max_size == 10
    assert len(service.index) == 64
    out = capsys.readouterr().out
    assert "search index built and saved: 64 images" in out
    service.close()


def test_buckets_flag_sets_the_compiled_batch_sizes(tmp_path, monkeypatch):
    from keras_mm.demos.demo_model import make_demo_model_dir

    served = _fake_uvicorn(monkeypatch)
    model_dir = make_demo_model_dir(str(tmp_path))
    assert main(["serve", "--model", model_dir, "--max-batch-size", "8",
                 "--buckets", "3,2,6"]) == 0
    # 1 and the largest batch are always compiled; the order is free.
    assert served["service"].runtime.buckets == (1, 2, 3, 6, 8)
    served["service"].close()


def _fake_uvicorn(monkeypatch):
    from keras_mm.serving import server

    served = {}
    monkeypatch.setattr(server, "serve",
                        lambda service, **kw: served.update(service=service))
    return served


def test_index_of_user_data_goes_beside_the_model_not_the_data(
        tmp_path, monkeypatch, capsys):
    import os
    import sys

    import numpy as np

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..",
                                    "export"))
    import export_fixture as fixture

    model = fixture.write_self_contained_clip(str(tmp_path / "run"))
    manifest = fixture.write_png_manifest(str(tmp_path / "data"),
                                          num_pairs=5)
    before = sorted(os.listdir(tmp_path / "data"))
    served = _fake_uvicorn(monkeypatch)
    argv = ["serve", "--model", model, "--index", manifest,
            "--csv-img-key", "filepath", "--csv-caption-key", "title",
            "--max-batch-size", "4"]
    assert main(argv) == 0
    service = served.pop("service")
    try:
        assert sorted(os.listdir(tmp_path / "data")) == before
        assert (tmp_path / "run" / "serve_index" / "pairs.index.json").exists()
        # The model's own image preprocessing (resize + crop of 40x52).
        image = str(tmp_path / "data" / "images" / "001.png")
        own = service.runtime.model.preprocessors["image"]([image])
        expected = service.embed_now("image", [own[0]])
        np.testing.assert_allclose(service.index.image_embeddings[1],
                                   expected[0], atol=1e-5)
    finally:
        service.close()
    assert "search index built and saved: 5 images" in capsys.readouterr().out
    # --index-dir puts it elsewhere, and the saved one is then reused.
    argv += ["--index-dir", str(tmp_path / "indexes")]
    assert main(argv) == 0
    served.pop("service").close()
    assert (tmp_path / "indexes" / "pairs.index.npz").exists()
    assert main(argv) == 0
    served.pop("service").close()
    assert "search index loaded: 5 images" in capsys.readouterr().out


def test_manifest_without_usable_columns_exits_2_before_keras(tmp_path):
    import json
    import os
    import subprocess
    import sys
    import zipfile

    model = tmp_path / "model.keras"
    with zipfile.ZipFile(model, "w") as archive:
        archive.writestr("config.json", json.dumps({
            "class_name": "ContrastiveModel",
            "config": {"encoders": {"image": {}, "text": {}},
                       "preprocessors": {"image": {}, "text": {}}}}))
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("picture,words\na.png,a cat\n")
    code = ("import sys; from keras_mm.cli.main import main; "
            f"rc = main(['serve', '--model', {str(model)!r}, '--index', "
            f"{str(wrong)!r}]); "
            "assert 'keras' not in sys.modules, 'Keras was loaded'; "
            "sys.exit(rc)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [os.getcwd(), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-c", code], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1 and "wrong.csv" in err
    assert "picture" in err and "Traceback" not in err


def test_export_folder_with_keras_runtime_is_one_line(tmp_path, capsys):
    (tmp_path / "export.json").write_text("{}")
    assert main(["serve", "--model", str(tmp_path), "--runtime",
                 "keras"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--runtime litert" in err


def test_cache_flag_gives_every_worker_the_shared_cache(tmp_path,
                                                        monkeypatch):
    from keras_mm.demos.demo_model import make_demo_model_dir
    from keras_mm.serving import server

    model_dir = make_demo_model_dir(str(tmp_path))
    url = "redis://127.0.0.1:6399"  # Never reached: clients connect lazily.
    served = _fake_uvicorn(monkeypatch)
    argv = ["serve", "--model", model_dir, "--cache", url,
            "--cache-ttl-s", "30"]
    assert main(argv) == 0
    service = served.pop("service")
    assert (service.cache.backend, service.cache.url) == ("redis", url)
    assert service.cache.ttl_s == 30.0
    namespace = service.cache.namespace
    service.close()
    workers = {}
    monkeypatch.setattr(server, "serve_workers",
                        lambda config, **kw: workers.update(config))
    assert main(argv + ["--workers", "2"]) == 0
    assert workers["cache_url"] == url
    # Each worker process names the same model the same way.
    service = server.load_service(**{k: v for k, v in workers.items()
                                     if k != "limits"}, warmup=False)
    assert service.cache.namespace == namespace
    service.close()

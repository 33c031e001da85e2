from keras_mm.backend import installed
from keras_mm.cli.commands import doctor
from keras_mm.cli.main import main


def test_quick_doctor_lists_versions_cpu_gpus_and_backends(capsys):
    assert main(["doctor", "--quick"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("keras-mm ")
    assert "CPU: " in out and "usable cores" in out
    assert "GPUs: " in out
    for name in installed.installed_backends():
        assert f"  {name} " in out
    assert "keras-mm commands run on: " in out


def test_a_failing_probe_is_reported_not_raised(monkeypatch):
    monkeypatch.setattr(installed, "DEVICE_PROBES",
                        {"torch": "raise SystemExit('no driver here')"})
    assert doctor._probe_all(["torch"], timeout=60) == {
        "torch": "failed: no driver here"}


def test_bad_timeout_is_a_usage_error(capsys):
    assert main(["doctor", "--timeout", "0"]) == 2
    assert "--timeout" in capsys.readouterr().err

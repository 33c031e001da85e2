import subprocess
import sys

import pytest

from keras_mm.backend import installed


def test_installed_backends_are_in_fastest_first_order():
    found = installed.installed_backends()
    assert found == [b for b in installed.FASTEST_FIRST if b in found]
    assert installed.fastest_installed() == (found or ["tensorflow"])[0]


def test_fastest_installed_falls_back_in_order(monkeypatch):
    for present, expected in (({"torch", "jax", "tensorflow"}, "torch"),
                              ({"jax", "tensorflow"}, "jax"),
                              ({"tensorflow"}, "tensorflow"),
                              (set(), "tensorflow")):
        monkeypatch.setattr(installed, "_has_module",
                            lambda name, present=present: name in present)
        assert installed.fastest_installed() == expected


def test_version_of_a_missing_package_is_none():
    assert installed.version("keras") is not None
    assert installed.version("no-such-package-keras-mm") is None


def test_expected_device_is_cpu_without_a_gpu(monkeypatch):
    monkeypatch.setattr(installed, "nvidia_gpus", lambda: [])
    for backend in installed.FASTEST_FIRST:
        assert installed.expected_device(backend) == "cpu"


def test_expected_device_names_the_gpu_of_a_cuda_build(monkeypatch):
    monkeypatch.setattr(installed, "nvidia_gpus",
                        lambda: ["NVIDIA H100", "NVIDIA H100"])
    monkeypatch.setattr(installed, "has_cuda_build", lambda b: b == "jax")
    assert installed.expected_device("jax") == (
        "cuda:0 (NVIDIA H100 and 1 more)")
    assert installed.expected_device("torch") == "cpu"


def test_a_cpu_torch_wheel_is_not_a_cuda_build(monkeypatch):
    monkeypatch.setattr(installed, "version", lambda p: "2.13.0+cpu")
    assert not installed.has_cuda_build("torch")
    monkeypatch.setattr(installed, "version", lambda p: "2.13.0")
    assert installed.has_cuda_build("torch")


@pytest.mark.parametrize("name", installed.FASTEST_FIRST)
def test_device_probe_prints_a_device(name):
    if name not in installed.installed_backends():
        pytest.skip(f"{name} is not installed")
    result = subprocess.run([sys.executable, "-c",
                             installed.DEVICE_PROBES[name]],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-1000:]
    assert result.stdout.split()[0].split(":")[0] in ("cpu", "cuda", "gpu",
                                                      "/physical_device")

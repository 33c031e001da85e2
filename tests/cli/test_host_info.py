from keras_mm.cli import host_info

CPUINFO = """processor\t: 0
model name\t: Intel(R) Xeon(R) Platinum 8480+
flags\t\t: fpu sse avx2 fma avx512f avx512_vnni avx512_bf16 amx_tile amx_bf16 amx_int8

processor\t: 1
model name\t: Intel(R) Xeon(R) Platinum 8480+
flags\t\t: fpu sse avx2
"""


def test_cpu_features_from_the_first_cpu(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text(CPUINFO)
    info = host_info.cpu_info(str(path))
    assert info["model"] == "Intel(R) Xeon(R) Platinum 8480+"
    assert info["features"] == ["AVX2", "FMA", "AVX-512", "AVX-512 VNNI",
                                "AVX-512 BF16", "AMX", "AMX-BF16",
                                "AMX-INT8"]
    assert info["cores"] >= 1


def test_no_cpuinfo_is_no_crash(tmp_path):
    info = host_info.cpu_info(str(tmp_path / "missing"))
    assert info["model"] == "unknown CPU" and info["features"] == []


def test_no_nvidia_smi_is_an_empty_list(monkeypatch):
    monkeypatch.setattr(host_info.shutil, "which", lambda name: None)
    assert host_info.nvidia_smi_gpus() == []

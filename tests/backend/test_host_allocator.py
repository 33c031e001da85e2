import os
import platform
import subprocess
import sys
import textwrap

import pytest

from keras_mm.backend import allocator_is_tuned
from keras_mm.backend import allocator_mode
from keras_mm.backend import keras_backend
from keras_mm.backend import tuned_environ
from keras_mm.backend.host_allocator import HUGE_PAGES_TUNABLE
from keras_mm.backend.host_allocator import RETAIN_TUNABLES

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
needs_glibc = pytest.mark.skipif(not GLIBC, reason="glibc tunables only")


def _transparent_huge_pages():
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            return "[never]" not in f.read()
    except OSError:
        return False


@needs_glibc
def test_tuned_environ_adds_the_tunable_and_keeps_the_others():
    env = tuned_environ({"GLIBC_TUNABLES": "glibc.malloc.tcache_count=2",
                         "KERAS_BACKEND": "tensorflow", "OTHER": "x"})
    assert env["GLIBC_TUNABLES"] == (
        f"glibc.malloc.tcache_count=2:{HUGE_PAGES_TUNABLE}=1")
    assert env["OTHER"] == "x"
    assert allocator_is_tuned(env)
    assert tuned_environ(env) == env  # idempotent


@needs_glibc
def test_jax_and_torch_also_keep_what_they_free_and_tensorflow_does_not():
    for backend in ("jax", "torch"):
        env = tuned_environ({"KERAS_BACKEND": backend})
        tunables = dict(t.split("=") for t in env["GLIBC_TUNABLES"].split(":"))
        assert tunables == {HUGE_PAGES_TUNABLE: "1", **RETAIN_TUNABLES}
    env = tuned_environ({"KERAS_BACKEND": "tensorflow"})
    assert env["GLIBC_TUNABLES"] == f"{HUGE_PAGES_TUNABLE}=1"
    # A user's choice of mode wins over the backend's default.
    forced = tuned_environ({"KERAS_BACKEND": "tensorflow",
                            "KERAS_MM_HOST_ALLOCATOR": "retain"})
    assert "glibc.malloc.mmap_max=0" in forced["GLIBC_TUNABLES"]
    light = tuned_environ({"KERAS_BACKEND": "jax",
                           "KERAS_MM_HOST_ALLOCATOR": "huge_pages"})
    assert light["GLIBC_TUNABLES"] == f"{HUGE_PAGES_TUNABLE}=1"


@needs_glibc
def test_an_unknown_mode_names_the_variable_and_the_choices():
    with pytest.raises(ValueError, match="KERAS_MM_HOST_ALLOCATOR='fast'.*"
                       "auto, retain, huge_pages or 0"):
        allocator_mode({"KERAS_MM_HOST_ALLOCATOR": "fast"})


def test_the_backend_is_read_as_keras_reads_it(tmp_path):
    assert keras_backend({"KERAS_BACKEND": "torch"}) == "torch"
    (tmp_path / "keras.json").write_text('{"backend": "jax"}')
    assert keras_backend({"KERAS_HOME": str(tmp_path)}) == "jax"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert keras_backend({"KERAS_HOME": str(empty)}) == "tensorflow"


@needs_glibc
def test_a_users_value_and_the_opt_out_are_respected():
    own = {"GLIBC_TUNABLES": f"{HUGE_PAGES_TUNABLE}=0:glibc.malloc.mmap_max=9",
           "KERAS_BACKEND": "jax"}
    tunables = tuned_environ(own)["GLIBC_TUNABLES"].split(":")
    assert tunables[:2] == [f"{HUGE_PAGES_TUNABLE}=0", "glibc.malloc.mmap_max=9"]
    assert "glibc.malloc.mmap_max=0" not in tunables
    assert not allocator_is_tuned({"GLIBC_TUNABLES": "glibc.malloc.x=1"})
    opted_out = {"KERAS_MM_HOST_ALLOCATOR": "0", "KERAS_BACKEND": "jax"}
    assert tuned_environ(opted_out) == opted_out


def test_the_caller_environment_is_not_modified():
    base = {"A": "1"}
    tuned_environ(base)
    assert base == {"A": "1"}


_MALLOC_FAULTS = textwrap.dedent("""
    import ctypes, resource
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    size = 64 * 2**20
    faults = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    start = faults()
    for i in range(5):
        if i == 1:
            after_first = faults()
        block = libc.malloc(size)
        ctypes.memset(block, 1, size)
        libc.free(block)
    print(faults() - start, faults() - after_first)
""")


def _malloc_faults(env):
    """Page faults of five 64 MB malloc/touch/free rounds (what XLA does
    every step): (per round on average, in the four rounds after the
    first)."""
    out = subprocess.run([sys.executable, "-c", _MALLOC_FAULTS], env=env,
                         capture_output=True, text=True, check=True)
    total, later = map(int, out.stdout.split())
    return total // 5, later


@needs_glibc
@pytest.mark.skipif(not _transparent_huge_pages(),
                    reason="transparent huge pages are off on this machine")
def test_large_blocks_fault_far_less_with_the_tuned_environment():
    plain = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
    plain["KERAS_BACKEND"] = "tensorflow"  # huge pages only
    default_faults, _ = _malloc_faults(plain)
    tuned_faults, _ = _malloc_faults(tuned_environ(plain))
    assert default_faults > 10_000  # one fault per 4 KB page
    assert tuned_faults * 10 < default_faults


@needs_glibc
def test_the_retained_heap_serves_later_blocks_without_faults():
    # jax's and torch's mode: what the first block faulted in stays mapped,
    # and malloc hands it out again (the next step's buffers).
    plain = {k: v for k, v in os.environ.items()
             if k not in ("GLIBC_TUNABLES", "KERAS_MM_HOST_ALLOCATOR")}
    plain["KERAS_BACKEND"] = "jax"
    assert _malloc_faults(plain)[1] > 4 * 10_000  # 4 KB pages, every block
    assert _malloc_faults(tuned_environ(plain))[1] < 50


@needs_glibc
def test_reexec_restarts_the_command_once_with_the_tunable(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent("""
        import os, sys
        print("start", os.environ.get("GLIBC_TUNABLES"), sys.argv[1:],
              flush=True)
        from keras_mm.backend import reexec_with_tuned_allocator
        reexec_with_tuned_allocator()
        print("running", flush=True)
    """))
    env = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
    out = subprocess.run([sys.executable, str(script), "--flag"], env=env,
                         capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == [
        "start None ['--flag']",
        f"start {tuned_environ(env)['GLIBC_TUNABLES']} ['--flag']",
        "running",
    ]

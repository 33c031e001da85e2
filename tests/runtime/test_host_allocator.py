import os
import platform
import subprocess
import sys
import textwrap

import pytest

from keras_mm.runtime import allocator_is_tuned
from keras_mm.runtime import tuned_environ
from keras_mm.runtime.host_allocator import HUGE_PAGES_TUNABLE

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
    env = tuned_environ({"GLIBC_TUNABLES": "glibc.malloc.arena_max=2",
                         "OTHER": "x"})
    assert env["GLIBC_TUNABLES"] == (
        f"glibc.malloc.arena_max=2:{HUGE_PAGES_TUNABLE}=1")
    assert env["OTHER"] == "x"
    assert allocator_is_tuned(env)
    assert tuned_environ(env) == env  # idempotent


def test_a_users_value_and_the_opt_out_are_respected():
    own = {"GLIBC_TUNABLES": f"{HUGE_PAGES_TUNABLE}=0"}
    assert tuned_environ(own) == own
    assert not allocator_is_tuned({"GLIBC_TUNABLES": "glibc.malloc.x=1"})
    opted_out = {"KERAS_MM_HOST_ALLOCATOR": "0"}
    assert tuned_environ(opted_out) == opted_out


def test_the_caller_environment_is_not_modified():
    base = {"A": "1"}
    tuned_environ(base)
    assert base == {"A": "1"}


_FAULTS_PER_64MB_BLOCK = textwrap.dedent("""
    import ctypes, resource
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    size = 64 * 2**20
    start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(5):
        block = libc.malloc(size)
        ctypes.memset(block, 1, size)
        libc.free(block)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - start
    print(faults // 5)
""")


@needs_glibc
@pytest.mark.skipif(not _transparent_huge_pages(),
                    reason="transparent huge pages are off on this machine")
def test_large_blocks_fault_far_less_with_the_tuned_environment():
    # What XLA does every step: malloc a large buffer, touch it, free it.
    def faults(env):
        out = subprocess.run([sys.executable, "-c", _FAULTS_PER_64MB_BLOCK],
                             env=env, capture_output=True, text=True,
                             check=True)
        return int(out.stdout)

    plain = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
    default_faults = faults(plain)
    tuned_faults = faults(tuned_environ(plain))
    assert default_faults > 10_000  # one fault per 4 KB page
    assert tuned_faults * 10 < default_faults


@needs_glibc
def test_reexec_restarts_the_command_once_with_the_tunable(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent("""
        import os, sys
        print("start", os.environ.get("GLIBC_TUNABLES"), sys.argv[1:],
              flush=True)
        from keras_mm.runtime import reexec_with_tuned_allocator
        reexec_with_tuned_allocator()
        print("running", flush=True)
    """))
    env = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
    out = subprocess.run([sys.executable, str(script), "--flag"], env=env,
                         capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == [
        "start None ['--flag']",
        f"start {HUGE_PAGES_TUNABLE}=1 ['--flag']",
        "running",
    ]

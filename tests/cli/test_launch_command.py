"""`keras-mm launch`: environment per process, failure and timeout handling."""

import json
import sys
import time

import pytest

from keras_mm.cli.commands.launch import launch
from keras_mm.cli.commands.launch import process_env
from keras_mm.cli.main import main
from keras_mm.backend import tuned_environ

DUMP_ENV = (
    "import json, os, sys; "
    "keys = [k for k in os.environ if k.startswith('KERAS_DISTRIBUTION_')]"
    " + ['XLA_FLAGS']; "
    "env = {k: os.environ.get(k) for k in keys}; "
    "pid = env['KERAS_DISTRIBUTION_PROCESS_ID']; "
    "open(os.path.join(sys.argv[1], pid + '.json'), 'w').write("
    "json.dumps(env))"
)


def test_each_process_gets_its_id_and_the_shared_addresses(tmp_path):
    code = launch([sys.executable, "-c", DUMP_ENV, str(tmp_path)], 3,
                  cpu_devices=4, timeout=60)
    assert code == 0
    envs = [json.loads((tmp_path / f"{i}.json").read_text())
            for i in range(3)]
    addresses = envs[0]["KERAS_DISTRIBUTION_JOB_ADDRESSES"].split(",")
    assert len(set(addresses)) == 3
    assert all(a.startswith("127.0.0.1:") for a in addresses)
    for i, env in enumerate(envs):
        assert env["KERAS_DISTRIBUTION_PROCESS_ID"] == str(i)
        assert env["KERAS_DISTRIBUTION_NUM_PROCESSES"] == "3"
        assert env["KERAS_DISTRIBUTION_JOB_ADDRESSES"] == ",".join(addresses)
        # Appended to the flags the parent had (the suite sets some).
        flags = env["XLA_FLAGS"].split()
        assert flags[-1] == "--xla_force_host_platform_device_count=4"
        assert sum("device_count" in f for f in flags) == 1


def test_process_env_replaces_a_stale_device_count():
    env = process_env(0, ["a:1"], cpu_devices=2, base={
        "XLA_FLAGS": "--xla_foo --xla_force_host_platform_device_count=8",
        "TF_CONFIG": "{}",
    })
    assert env["XLA_FLAGS"] == (
        "--xla_foo --xla_force_host_platform_device_count=2")
    assert "TF_CONFIG" not in env


def test_one_failure_stops_the_others_and_sets_the_status():
    job = [sys.executable, "-c",
           "import os, sys, time\n"
           "if os.environ['KERAS_DISTRIBUTION_PROCESS_ID'] == '1':\n"
           "    sys.exit(3)\n"
           "time.sleep(60)"]
    start = time.monotonic()
    assert launch(job, 2, timeout=60) == 3
    assert time.monotonic() - start < 20


def test_timeout_kills_every_process():
    start = time.monotonic()
    assert launch([sys.executable, "-c", "import time; time.sleep(60)"], 2,
                  timeout=1) == 124
    assert time.monotonic() - start < 20


def test_exit_status_reaches_the_command_line():
    with pytest.raises(SystemExit) as exit_info:
        main(["launch", "-n", "1", "--", sys.executable, "-c",
              "import sys; sys.exit(5)"])
    assert exit_info.value.code == 5
    assert main(["launch", "-n", "2", "--", sys.executable, "-c", "0"]) == 0


@pytest.mark.parametrize("argv, fragment", [
    (["launch"], "give the command after --"),
    (["launch", "-n", "2", "--"], "give the command after --"),
    (["launch", "-n", "0", "--", "true"], "at least 1"),
    (["launch", "-n", "two", "--", "true"], "invalid int value"),
])
def test_wrong_usage_exits_2_with_one_line(argv, fragment, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and fragment in err


def test_process_env_sets_torchruns_variables():
    env = process_env(1, ["127.0.0.1:4000", "127.0.0.1:4001"], base={})
    assert (env["RANK"], env["LOCAL_RANK"], env["WORLD_SIZE"]) == (
        "1", "1", "2")
    # Process 0 listens for the others on the first address.
    assert (env["MASTER_ADDR"], env["MASTER_PORT"]) == ("127.0.0.1", "4000")


@pytest.mark.skipif(not tuned_environ({}).get("GLIBC_TUNABLES"),
                    reason="glibc tunables only")
def test_launched_processes_get_glibc_huge_pages():
    env = process_env(1, ["a:1", "b:2"], base={"PATH": "/bin"})
    assert env["GLIBC_TUNABLES"] == "glibc.malloc.hugetlb=1"
    off = process_env(1, ["a:1"], base={"KERAS_MM_HOST_ALLOCATOR": "0"})
    assert "GLIBC_TUNABLES" not in off

"""Replicas on one machine claim distinct cores, and a dead one frees its
cores (the claims are locks held by the process)."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

CLAIM = textwrap.dedent("""
    import json, os, sys
    from keras_mm.serving.core_claims import claim_cores
    cores = claim_cores(int(sys.argv[2]), claims_dir=sys.argv[1])
    print(json.dumps({"cores": cores,
                      "affinity": sorted(os.sched_getaffinity(0))}),
          flush=True)
    sys.stdin.read()  # Holds the claim until the test closes stdin.
""")


def _claim(folder, count):
    process = subprocess.Popen(
        [sys.executable, "-c", CLAIM, str(folder), str(count)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    return process, json.loads(process.stdout.readline())


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2,
                    reason="needs two cores to claim")
def test_two_replicas_get_distinct_cores_and_a_dead_one_frees_them(
        tmp_path):
    first, claimed_first = _claim(tmp_path, 1)
    second, claimed_second = _claim(tmp_path, 1)
    try:
        assert len(claimed_first["cores"]) == 1
        assert len(claimed_second["cores"]) == 1
        assert claimed_first["cores"] != claimed_second["cores"]
        # Every thread of the process runs on its claimed core only.
        assert claimed_first["affinity"] == claimed_first["cores"]
        # More than is free: no claim, the affinity is left alone.
        third, claimed_third = _claim(tmp_path, len(os.sched_getaffinity(0)))
        assert claimed_third["cores"] == []
        assert claimed_third["affinity"] == sorted(os.sched_getaffinity(0))
        third.communicate("")
    finally:
        first.kill()
        first.wait()
    # The killed replica's core is free again.
    again, claimed_again = _claim(tmp_path, 1)
    try:
        assert claimed_again["cores"] == claimed_first["cores"]
    finally:
        for process in (second, again):
            process.communicate("")

"""Checkpoint files: the last N kept with a checksum, a bad newest one
passed over for the one before, bad metadata named in one line."""

import json
import os

import numpy as np
import pytest

from keras_mm.training import checkpoint_files as files


def _write(directory, step, value=0.0, keep=files.KEEP, **metadata):
    files.write_checkpoint(
        str(directory), step,
        lambda f: np.savez(f, **{"model/w": np.full(3, value)}),
        metadata, keep)


def _usable(directory):
    warnings = []
    found = [m["step"] for m, _ in files.usable_checkpoints(
        str(directory), warn=warnings.append)]
    return found, warnings


def test_keeps_the_newest_n_each_with_a_checksum(tmp_path):
    for step in (2, 4, 6):
        _write(tmp_path, step, config={"batch_size": 8})
    assert sorted(os.listdir(tmp_path)) == [
        "step-00000004.json", "step-00000004.npz",
        "step-00000006.json", "step-00000006.npz"]
    metadata = files.latest_metadata(str(tmp_path))
    assert metadata["step"] == 6 and metadata["config"] == {"batch_size": 8}
    assert metadata["sha256"] == files.sha256_of(
        str(tmp_path / metadata["arrays"]))
    _write(tmp_path, 8, keep=1)
    assert _usable(tmp_path) == ([8], [])


def test_a_truncated_newest_checkpoint_falls_back_with_one_line(tmp_path):
    _write(tmp_path, 2)
    _write(tmp_path, 4)
    newest = tmp_path / "step-00000004.npz"
    newest.write_bytes(newest.read_bytes()[:40])
    found, warnings = _usable(tmp_path)
    assert found == [2]
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert str(newest) in warnings[0] and "checksum" in warnings[0]


@pytest.mark.parametrize("content, words", [
    ({"step": "40"}, ['"step"', "'40'"]),
    ({"step": -1}, ['"step"']),
    ({"step": True}, ['"step"']),
    ([1, 2], ["JSON object"]),
    ({"step": 4, "sha256": 7}, ['"sha256"']),
    ({"step": 4, "arrays": "../elsewhere.npz"}, ['"arrays"']),
])
def test_bad_metadata_is_passed_over_naming_the_field(tmp_path, content,
                                                      words):
    _write(tmp_path, 2)
    _write(tmp_path, 4)
    meta = tmp_path / "step-00000004.json"
    meta.write_text(json.dumps(content))
    found, warnings = _usable(tmp_path)
    assert found == [2]
    assert str(meta) in warnings[0]
    for word in words:
        assert word in warnings[0], warnings[0]
    assert files.latest_metadata(str(tmp_path))["step"] == 2


def test_unreadable_metadata_and_missing_arrays(tmp_path):
    _write(tmp_path, 2)
    _write(tmp_path, 4)
    (tmp_path / "step-00000004.json").write_text("{\"step\": 4")
    (tmp_path / "step-00000002.npz").unlink()
    found, warnings = _usable(tmp_path)
    assert found == [] and len(warnings) == 2
    assert "unreadable" in warnings[0] and "missing" in warnings[1]
    assert files.has_checkpoints(str(tmp_path))


def test_an_earlier_single_checkpoint_is_still_read(tmp_path):
    with open(tmp_path / files.LEGACY_ARRAYS, "wb") as f:
        np.savez(f, **{"model/w": np.zeros(3)})
    (tmp_path / files.LEGACY_STATE).write_text('{"step": 3}')
    assert _usable(tmp_path) == ([3], [])
    _write(tmp_path, 5)
    _write(tmp_path, 6)
    assert _usable(tmp_path) == ([6, 5], [])
    assert not (tmp_path / files.LEGACY_ARRAYS).exists()


def test_temporary_files_of_a_killed_write_are_removed(tmp_path):
    _write(tmp_path, 2)
    (tmp_path / "step-00000004.npz.tmp").write_bytes(b"partial")
    _write(tmp_path, 4)
    assert not any(n.endswith(".tmp") for n in os.listdir(tmp_path))
    assert files.latest_metadata(str(tmp_path / "none")) is None

"""WebDataset shards: bad samples and cut-short shards are DataErrors."""

import io
import json
import tarfile

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from keras_mm.data.error_report import ErrorReport
from keras_mm.data.errors import DataError
from keras_mm.data.webdataset import iter_webdataset

BAD_SAMPLES = st.sampled_from([
    {"json": b"[" * 100_000}, {"json": b"[1]"}, {"json": b"{"},
    {"txt": b"   "}, {}, {"json": b'{"caption": ""}'},
    {"json": b'{"caption": null}'}, {"json": b'{"caption": 3}'},
])


def _shard(path, samples):
    """`samples`: dicts of extra members; each gets a PNG stand-in unless
    it is empty (then it has no media)."""
    with tarfile.open(path, "w") as tar:
        for i, members in enumerate(samples):
            if members is not None and not members:
                members = {"txt": b"no media"}
            else:
                members = dict(members or {"txt": f"good {i}".encode()},
                               png=b"png")
            for ext, data in members.items():
                info = tarfile.TarInfo(f"{i:06d}.{ext}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return str(path)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(st.one_of(st.none(), BAD_SAMPLES), max_size=8))
def test_good_samples_between_bad_ones_all_come_back(tmp_path_factory,
                                                     samples):
    path = _shard(tmp_path_factory.mktemp("wds") / "s.tar", samples)
    report = ErrorReport(verbose=False)
    pairs = list(iter_webdataset(path, on_error="skip", report=report))
    good = [f"good {i}" for i, s in enumerate(samples) if s is None]
    assert [p.text for p in pairs] == good
    assert sum(report.read_counts.values()) == len(samples) - len(good)


def test_nested_json_caption_is_a_data_error(tmp_path):
    path = _shard(tmp_path / "s.tar", [{"json": json.dumps(
        {"caption": "ok"}).encode()}, {"json": b"[" * 100_000}])
    with pytest.raises(DataError, match="sample '.*000001': bad JSON"):
        list(iter_webdataset(path))


def test_a_null_caption_is_not_the_word_none(tmp_path):
    path = _shard(tmp_path / "s.tar", [{"json": b'{"caption": null}'}])
    with pytest.raises(DataError, match="empty caption"):
        list(iter_webdataset(path))

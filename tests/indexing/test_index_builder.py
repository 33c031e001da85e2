"""build_index: shards, resumption after a kill, index.json, search."""

import json
import os

import numpy as np
import pytest

from keras_mm.data.pair import Pair
from keras_mm.indexing import FaissIndex
from keras_mm.indexing import build_index
from keras_mm.indexing import index_files

pytest.importorskip("faiss")
pytest.importorskip("pyarrow")


def _pairs(count):
    return [Pair(f"img{i}.png", f"caption {i}", f"m.csv, line {i + 2}",
                 meta={"label": "even" if i % 2 == 0 else "odd"})
            for i in range(count)]


def _embed(batch):
    """A vector per pair that depends on its name only."""
    return np.stack([np.random.default_rng(int(p.media[3:-4]))
                     .standard_normal(8) for p in batch]).astype("float32")


def test_builds_shards_metadata_and_exact_index(tmp_path):
    out = str(tmp_path / "index")
    info = build_index(_pairs(25), _embed, out, fingerprint="a",
                       shard_size=10, batch_size=4, progress=False)
    assert sorted(os.listdir(os.path.join(out, "shards"))) == [
        "00000.parquet", "00001.parquet", "00002.parquet"]
    assert info["index_spec"] == "Flat" and info["recall_at_10"] == 1.0
    described = json.loads((tmp_path / "index" / "index.json").read_text())
    assert described["count"] == 25 and described["dim"] == 8
    vectors = np.load(os.path.join(out, "embeddings.npy"))
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-6)
    index = FaissIndex(out)
    hits = index.search(vectors[7], k=3)
    assert hits[0]["row"] == 7 and hits[0]["caption"] == "caption 7"
    odd = index.search_images(vectors[8], k=5, where={"label": "odd"})
    assert len(odd) == 5 and all(h["label"] == "odd" for h in odd)
    assert odd[0]["image"] == odd[0]["media"]
    with pytest.raises(ValueError, match="no column 'colour'"):
        index.search(vectors[0], where={"colour": "red"})


def test_resume_skips_finished_shards(tmp_path):
    out = str(tmp_path / "index")
    calls = []

    def failing(batch):
        calls.append(len(batch))
        if sum(calls) > 20:
            raise KeyboardInterrupt  # Killed in the third shard.
        return _embed(batch)

    with pytest.raises(KeyboardInterrupt):
        build_index(_pairs(25), failing, out, fingerprint="a",
                    shard_size=10, batch_size=5, progress=False)
    assert len(os.listdir(os.path.join(out, "shards"))) == 2
    assert not index_files.is_index_folder(out)
    seen = []
    info = build_index(_pairs(25), lambda b: seen.append(len(b)) or
                       _embed(b), out, fingerprint="a", shard_size=10,
                       batch_size=5, progress=False)
    assert sum(seen) == 5 and info["rows_reused"] == 20
    fresh = build_index(_pairs(25), _embed, str(tmp_path / "fresh"),
                        fingerprint="a", shard_size=10, progress=False)
    np.testing.assert_array_equal(
        np.load(os.path.join(out, "embeddings.npy")),
        np.load(os.path.join(str(tmp_path / "fresh"), "embeddings.npy")))
    assert fresh["rows_embedded"] == 25
    with pytest.raises(ValueError, match="other data"):
        build_index(_pairs(25), _embed, out, fingerprint="b",
                    shard_size=10, progress=False)


def test_large_collection_gets_ivf_with_measured_recall(tmp_path):
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((30, 16)).astype("float32")
    vectors = (centres[rng.integers(0, 30, 3000)]
               + 0.3 * rng.standard_normal((3000, 16)).astype("float32"))
    pairs = [Pair(f"img{i}.png", f"c{i}", meta={"shard": str(i % 3)})
             for i in range(3000)]
    out = str(tmp_path / "index")
    import keras_mm.indexing.index_choice as choice

    limit = choice.EXACT_LIMIT
    choice.EXACT_LIMIT = 1000
    try:
        info = build_index(pairs, lambda b: vectors[[int(p.media[3:-4])
                                                     for p in b]],
                           out, shard_size=1000, batch_size=500,
                           progress=False)
    finally:
        choice.EXACT_LIMIT = limit
    assert info["index_spec"].startswith("IVF")
    assert info["recall_at_10"] >= 0.95 and info["nprobe"] >= 1
    index = FaissIndex(out, exact_limit=100)
    assert index.index is not None
    unit = np.load(os.path.join(out, "embeddings.npy"))
    assert index.search(unit[5], k=1)[0]["row"] == 5
    hits = index.search(unit[5], k=4, where={"shard": "1"})
    assert len(hits) == 4 and {h["shard"] for h in hits} == {"1"}


def _uniform_build(tmp_path, monkeypatch, count=3000, dim=32):
    """A build of uniform unit rows past a lowered exact limit."""
    import keras_mm.indexing.index_choice as choice

    monkeypatch.setattr(choice, "EXACT_LIMIT", 1000)
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((count, dim)).astype("float32")
    pairs = [Pair(f"img{i}.png", f"c{i}", meta={"part": str(i % 4)})
             for i in range(count)]
    out = str(tmp_path / "index")
    info = build_index(pairs, lambda b: vectors[[int(p.media[3:-4])
                                                 for p in b]],
                       out, shard_size=1000, batch_size=500,
                       progress=False)
    return out, info


def test_uniform_collection_gets_sharded_scan(tmp_path, monkeypatch):
    from keras_mm.host_cores import usable_cores

    out, info = _uniform_build(tmp_path, monkeypatch)
    shards = min(usable_cores(), 3000)
    # Coarse or fine codes, whichever answered faster here.
    assert info["index_spec"] in ("PQ8x4fs,RFlat", "PQ16x4fs,RFlat")
    assert info["nprobe"] is None
    assert info["shards"] == shards and info["k_factor"] >= 8
    assert info["recall_at_10"] >= 0.95
    described = json.loads((tmp_path / "index" / "index.json").read_text())
    assert {k: described[k] for k in ("index_spec", "shards", "k_factor")
            } == {k: info[k] for k in ("index_spec", "shards", "k_factor")}
    for number in range(shards):
        assert os.path.isfile(index_files.faiss_shard_path(out, number))
    index = FaissIndex(out, exact_limit=100)
    assert index.index.count() == shards
    unit = np.load(os.path.join(out, "embeddings.npy"))
    assert index.search(unit[5], k=1)[0]["row"] == 5

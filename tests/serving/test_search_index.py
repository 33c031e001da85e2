import json
import os

import numpy as np
import pytest

from keras_mm.datasets.shapes import make_image_text_pairs
from keras_mm.serving.preprocessing import encode_png
from keras_mm.serving.search_index import SearchIndex
from keras_mm.serving.search_index import index_stem
from keras_mm.serving.search_index import read_index_pairs


def write_manifests(root, count=5):
    pairs = make_image_text_pairs(count, seed=31)
    os.makedirs(os.path.join(root, "images"))
    rows = []
    for i, (pixels, caption) in enumerate(zip(pairs["images"],
                                              pairs["captions"])):
        name = f"images/{i}.png"
        with open(os.path.join(root, name), "wb") as f:
            f.write(encode_png(pixels))
        rows.append({"image_path": name, "caption": caption})
    with open(os.path.join(root, "pairs.csv"), "w") as f:
        f.write("image_path,caption\n")
        f.writelines(f'{r["image_path"]},"{r["caption"]}"\n' for r in rows)
    with open(os.path.join(root, "pairs.jsonl"), "w") as f:
        f.writelines(json.dumps({"image": r["image_path"],
                                 "text": r["caption"]}) + "\n" for r in rows)
    return pairs


def test_manifest_index_is_built_once_saved_and_reloaded(keras_service,
                                                         tmp_path):
    pairs = write_manifests(str(tmp_path))
    index_dir = str(tmp_path / "index")
    built, loaded = SearchIndex.build_or_load(
        keras_service, str(tmp_path / "pairs.csv"), index_dir, "m1")
    assert not loaded and len(built) == 5
    assert os.path.exists(os.path.join(index_dir, "pairs.index.npz"))
    again, loaded = SearchIndex.build_or_load(
        keras_service, str(tmp_path / "pairs.csv"), index_dir, "m1")
    assert loaded
    np.testing.assert_array_equal(again.image_embeddings,
                                  built.image_embeddings)
    assert again.captions == built.captions
    # Same embeddings as embedding the decoded images directly.
    expected = keras_service.embed_now("image", list(pairs["images"]))
    np.testing.assert_allclose(built.image_embeddings, expected, atol=1e-6)
    # A different model id invalidates the saved index.
    _, loaded = SearchIndex.build_or_load(
        keras_service, str(tmp_path / "pairs.csv"), index_dir, "m2")
    assert not loaded
    # JSONL with other column names gives the same index.
    jsonl, _ = SearchIndex.build_or_load(
        keras_service, str(tmp_path / "pairs.jsonl"), index_dir, "m1")
    np.testing.assert_allclose(jsonl.image_embeddings,
                               built.image_embeddings, atol=1e-6)
    # Named relative to the manifest's folder, not by server paths.
    assert jsonl.images == [f"images/{i}.png" for i in range(5)]
    assert built.images == jsonl.images


def test_search_ranks_by_cosine():
    index = SearchIndex(np.eye(3, dtype="float32"), ["a", "b", "c"],
                        np.eye(3, dtype="float32")[:2], ["x", "y"],
                        ["ca", "cb", "cc"])
    results = index.search_images([0.1, 0.9, 0.3], k=2)
    assert [r["image"] for r in results] == ["b", "c"]
    assert results[0]["caption"] == "cb"
    assert [r["caption"] for r in index.search_captions([1, 0, 0], k=5)] == [
        "x", "y"]


def test_bad_manifests_raise_clear_errors(tmp_path):
    from keras_mm.data.errors import DataError

    with pytest.raises(FileNotFoundError, match="missing.csv"):
        read_index_pairs(str(tmp_path / "missing.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_text("picture,label\na.png,x\n")
    with pytest.raises(DataError, match="picture"):
        read_index_pairs(str(bad))


def test_column_options_pick_the_columns(tmp_path):
    write_manifests(str(tmp_path))
    renamed = tmp_path / "renamed.tsv"
    lines = (tmp_path / "pairs.csv").read_text().splitlines()
    renamed.write_text("\n".join(["pic\twords"] + [
        line.replace(",", "\t", 1).replace('"', "") for line in lines[1:]]))
    pairs = read_index_pairs(str(renamed), {"media_key": "pic",
                                            "caption_key": "words"})
    assert [p.media for p in pairs] == [str(tmp_path / f"images/{i}.png")
                                        for i in range(5)]


def test_index_stem_is_the_data_name_made_file_safe():
    assert index_stem("data/pairs.csv") == "pairs"
    assert index_stem("photos/") == "photos"
    assert index_stem("shards/{000..009}.tar") == "000..009"
    assert index_stem("serve_index/builtin_data/builtin.csv") == "builtin"


def test_index_names_are_relative_and_bad_rows_are_named(keras_service,
                                                         tmp_path, caplog):
    import logging

    write_manifests(str(tmp_path))
    (tmp_path / "images" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    manifest = tmp_path / "bad.csv"
    manifest.write_text("image_path,caption\nimages/0.png,a red one\n"
                        "images/bad.png,a broken one\n")
    with caplog.at_level(logging.WARNING, logger="keras_mm.serving"):
        index = SearchIndex.build(keras_service, str(manifest))
    assert index.images == ["images/0.png"] and index.skipped == 1
    (line,) = [r.getMessage() for r in caplog.records]
    assert "skipped images/bad.png (bad.csv, line 3)" in line
    assert "could not decode image" in line and "\n" not in line


def test_an_index_of_only_unreadable_images_is_one_line(keras_service,
                                                       tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not a png")
    manifest = tmp_path / "pairs.csv"
    manifest.write_text("image_path,caption\nbad.png,a caption\n")
    with pytest.raises(ValueError, match=r"skipped bad.png \(pairs.csv, "
                       r"line 2\): could not decode"):
        SearchIndex.build(keras_service, str(manifest))


def test_a_pair_without_caption_is_not_indexed_as_none(keras_service,
                                                       tmp_path,
                                                       monkeypatch):
    from keras_mm.data.pair import Pair
    from keras_mm.serving import search_index

    pairs = write_manifests(str(tmp_path), count=3)
    rows = [Pair(str(tmp_path / f"images/{i}.png"), text,
                 f"{tmp_path}/pairs.csv, line {i + 2}")
            for i, text in enumerate([None, "  ", pairs["captions"][2]])]
    monkeypatch.setattr(search_index, "read_index_pairs",
                        lambda *args, **kwargs: rows)
    index = SearchIndex.build(keras_service, str(tmp_path / "pairs.csv"))
    assert index.image_captions == [None, None, pairs["captions"][2]]
    assert index.captions == [pairs["captions"][2].lower()]
    assert "None" not in index.captions
    hits = index.search_images(index.image_embeddings[0], k=3)
    assert hits[0] == {"rank": 1, "score": pytest.approx(1.0, abs=1e-5),
                       "image": "images/0.png", "caption": None}

"""Media paths may not leave the data file's folder unless allowed."""

import json
import os

import pytest

from keras_mm.data.coco import read_coco
from keras_mm.data.error_report import ErrorReport
from keras_mm.data.errors import DataError
from keras_mm.data.manifest import read_manifest
from keras_mm.data.sources import read_pairs


@pytest.fixture
def layout(tmp_path):
    """`data/` holds the manifest and `a.png`; `secret.png` sits beside it
    and `data/link.png` is a symlink to it."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.png").write_bytes(b"x")
    (data / "sub").mkdir()
    (tmp_path / "secret.png").write_bytes(b"s")
    os.symlink(tmp_path / "secret.png", data / "link.png")
    return data


ESCAPES = [("../secret.png", "a path leaving"),
           ("{outside}", "an absolute path outside"),
           ("link.png", "a symlink out of")]


@pytest.mark.parametrize("media,how", ESCAPES)
def test_manifest_paths_leaving_the_root_are_errors(layout, media, how):
    media = media.format(outside=layout.parent / "secret.png")
    manifest = layout / "m.csv"
    manifest.write_text(f"image,caption\na.png,fine\n{media},escape\n")
    with pytest.raises(DataError, match=rf"m\.csv, line 3: .*{how} the "
                       "data root"):
        read_manifest(manifest)
    report = ErrorReport(verbose=False)
    pairs = read_manifest(manifest, on_error="skip", report=report)
    assert [p.text for p in pairs] == ["fine"]
    assert report.read_counts == {"outside_root": 1}
    allowed = read_manifest(manifest, allow_outside_root=True)
    assert [p.text for p in allowed] == ["fine", "escape"]


def test_paths_inside_the_root_and_a_chosen_root(layout):
    manifest = layout / "m.jsonl"
    rows = [{"image": "sub/../a.png", "caption": "dots inside"},
            {"image": str(layout / "a.png"), "caption": "absolute inside"},
            {"image": "../secret.png", "caption": "inside the wider root"}]
    manifest.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(DataError, match="line 3"):
        read_manifest(manifest)
    pairs = read_manifest(manifest, data_root=str(layout.parent))
    assert [p.text for p in pairs] == [r["caption"] for r in rows]


def test_coco_file_names_are_confined_too(layout):
    annotations = layout / "captions.json"
    annotations.write_text(json.dumps({
        "images": [{"id": 1, "file_name": "a.png"},
                   {"id": 2, "file_name": "../secret.png"}],
        "annotations": [{"image_id": 1, "caption": "fine"},
                        {"image_id": 2, "caption": "escape"}]}))
    with pytest.raises(DataError, match="annotation 1: '../secret.png' is a "
                       "path leaving the data root"):
        read_coco(str(annotations))
    report = ErrorReport(verbose=False)
    assert len(read_coco(str(annotations), on_error="skip",
                         report=report)) == 1
    assert report.read_counts == {"outside_root": 1}
    assert len(read_coco(str(annotations), allow_outside_root=True)) == 2


def test_read_pairs_and_the_cli_flag_pass_the_permission(layout):
    import argparse

    from keras_mm.cli.data_flags import add_data_flags
    from keras_mm.cli.data_flags import data_options

    manifest = layout / "m.csv"
    manifest.write_text("image,caption\na.png,fine\n../secret.png,escape\n")
    assert len(read_pairs(str(manifest))) == 1
    parser = argparse.ArgumentParser()
    add_data_flags(parser)
    plain = data_options(parser.parse_args([]))
    assert "allow_outside_root" not in plain  # index fingerprints unchanged
    options = data_options(parser.parse_args(["--allow-outside-root"]))
    assert len(read_pairs(str(manifest), **options)) == 2


def test_data_check_reports_paths_outside_the_root(layout):
    from keras_mm.data.check import check_manifest

    manifest = layout / "m.csv"
    manifest.write_text("image,caption\na.png,fine\n../secret.png,escape\n")
    report = check_manifest(str(manifest), decode=False)
    assert report["counts"]["outside_root"] == 1
    assert report["outside_root"][0]["line"] == 3


def test_video_manifests_are_confined_too(layout):
    from keras_mm.data.video_subtitle_pairs import read_video_subtitle_pairs

    manifest = layout / "videos.csv"
    manifest.write_text("video,subtitles\n../clip.mp4,clip.srt\n"
                        "clip.mp4,/etc/passwd\n")
    report = ErrorReport(verbose=False)
    with pytest.raises(DataError, match=r"line 2: '../clip.mp4' is a path "
                       "leaving"):
        read_video_subtitle_pairs(str(manifest), on_error="raise")
    assert read_video_subtitle_pairs(str(manifest), report=report) == []
    assert report.read_counts == {"outside_root": 2}

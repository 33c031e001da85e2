import json
import os

import numpy as np
import pytest
from PIL import Image

from keras_mm.data.coco import read_coco
from keras_mm.data.errors import DataError
from keras_mm.data.manifest import read_manifest
from keras_mm.data.media import decode_image
from keras_mm.data.media import read_frames
from keras_mm.data.media import read_wav
from keras_mm.data.media import write_wav
from keras_mm.data.srt import read_srt
from keras_mm.data.webdataset import iter_webdataset
from keras_mm.data.webdataset import write_webdataset


def test_builtin_manifests_coco_and_shards_agree(builtin):
    _, paths = builtin
    csv = read_manifest(paths["csv"]["train"])
    jsonl = read_manifest(paths["jsonl"]["train"])
    coco = read_coco(paths["coco"]["train"])
    shards = list(iter_webdataset(paths["shards"]["train"]))
    assert len(paths["shards"]["train"]) == 3  # 48 samples, 20 per shard
    assert len(csv) == len(jsonl) == len(coco) == len(shards) == 48
    assert [p.text for p in csv] == [p.text for p in shards]
    assert [p.media for p in csv] == [p.media for p in coco]
    first = decode_image(shards[0].media)
    assert np.array_equal(first, decode_image(csv[0].media))
    assert first.shape == (32, 32, 3)


def test_coco_keeps_every_caption_of_an_image(tmp_path):
    Image.new("RGB", (8, 8)).save(tmp_path / "1.png")
    (tmp_path / "ann.json").write_text(json.dumps({
        "images": [{"id": 7, "file_name": "1.png"}],
        "annotations": [{"image_id": 7, "caption": "one"},
                        {"image_id": 7, "caption": "two"}]}))
    pairs = read_coco(tmp_path / "ann.json")
    assert [p.text for p in pairs] == ["one", "two"]
    assert pairs[0].media == pairs[1].media and pairs[0].meta["image_id"] == 7
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(DataError, match="not a COCO captions file"):
        read_coco(tmp_path / "bad.json")


def test_webdataset_round_trip_and_json_captions(tmp_path):
    Image.new("RGB", (4, 4), (9, 8, 7)).save(tmp_path / "x.png")
    from keras_mm.data.pair import Pair

    pairs = [Pair(str(tmp_path / "x.png"), f"cap {i}") for i in range(5)]
    shards = write_webdataset(pairs, tmp_path / "s", shard_size=2)
    assert [os.path.basename(s) for s in shards] == [
        "shard-000000.tar", "shard-000001.tar", "shard-000002.tar"]
    back = list(iter_webdataset(shards))
    assert [p.text for p in back] == [p.text for p in pairs]
    assert decode_image(back[4].media)[0, 0].tolist() == [9, 8, 7]
    with pytest.raises(FileNotFoundError):
        list(iter_webdataset(tmp_path / "none.tar"))


def test_wav_transcripts_and_frames_with_srt(builtin):
    _, paths = builtin
    audio = read_manifest(paths["audio"]["train"], media_key="audio",
                          text_key="transcript", modality="audio")
    wave, rate = read_wav(audio[0].media)
    assert rate == 8000 and wave.shape == (8000,) and len(audio) == 8
    assert 0.1 < np.abs(wave).max() <= 1.0
    video = paths["videos"][0]
    frames, times = read_frames(video["frames"])
    subs = read_srt(video["srt"])
    assert frames.shape == (80, 32, 32, 3) and times[10] == pytest.approx(1.0)
    assert subs[0].start == 0.0 and subs[-1].end == pytest.approx(8.0)


def test_frames_from_a_folder_and_wav_errors(tmp_path):
    for i in range(3):
        Image.new("RGB", (6, 6), (i, 0, 0)).save(tmp_path / f"f{i:03d}.png")
    frames, times = read_frames(str(tmp_path), fps=2)
    assert frames.shape == (3, 6, 6, 3) and times.tolist() == [0, 0.5, 1.0]
    write_wav(str(tmp_path / "a.wav"), np.zeros(100), 8000)
    data = (tmp_path / "a.wav").read_bytes()
    with pytest.raises(DataError, match="cannot decode WAV"):
        read_wav(data[:20])
    with pytest.raises(DataError, match="missing file"):
        read_wav(str(tmp_path / "none.wav"))

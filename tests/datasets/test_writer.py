import os

import numpy as np

from keras_mm.data.coco import read_coco
from keras_mm.data.manifest import read_manifest
from keras_mm.data.media import decode_image
from keras_mm.data.media import read_frames
from keras_mm.data.srt import read_srt
from keras_mm.data.webdataset import iter_webdataset
from keras_mm.datasets.shapes import make_image_text_pairs
from keras_mm.datasets.video import make_videos
from keras_mm.datasets.writer import write_to_disk


def test_written_data_reads_back_through_every_reader(tmp_path):
    paths = write_to_disk(str(tmp_path), sizes={"train": 10, "test": 3},
                          num_audio={"train": 2}, num_videos=1,
                          video_duration=3.0, shard_size=4, seed=1)
    expected = make_image_text_pairs(10, 32, seed=10)
    pairs = read_manifest(paths["csv"]["train"])
    assert [p.text for p in pairs] == expected["captions"]
    np.testing.assert_array_equal(decode_image(pairs[3].media),
                                  expected["images"][3])
    assert [p.text for p in read_manifest(paths["jsonl"]["test"])] == \
        make_image_text_pairs(3, 32, seed=12)["captions"]
    assert len(read_coco(paths["coco"]["train"])) == 10
    assert len(paths["shards"]["train"]) == 3
    assert len(list(iter_webdataset(paths["shards"]["train"]))) == 10
    audio = read_manifest(paths["audio"]["train"], media_key="audio",
                          text_key="transcript")
    assert len(audio) == 2 and audio[0].media.endswith(".wav")
    frames, times = read_frames(paths["videos"][0]["frames"])
    video = make_videos(1, duration=3.0, seed=1)[0]
    np.testing.assert_array_equal(frames, video["frames"])
    subs = read_srt(paths["videos"][0]["srt"])
    assert [(s.start, s.end, s.text) for s in subs] == [
        (round(a, 3), round(b, 3), t) for a, b, t in video["subtitles"]]
    assert os.path.isfile(os.path.join(tmp_path, "images", "test",
                                       "000002.png"))

"""Video–subtitle data (real mp4 files + .srt) train through `keras-mm
train` as image–text data do, from a video start."""

import json
import os

import pytest

from keras_mm.cli.main import main


@pytest.mark.large
def test_videos_with_subtitles_train_from_a_video_preset(tmp_path):
    import video_files

    import keras_mm
    from keras_mm.data import write_srt
    from keras_mm.data.srt import Subtitle

    videos = tmp_path / "videos"
    videos.mkdir()
    for i in range(3):
        video_files.write_moving_square(str(videos / f"talk{i}.mp4"))
        write_srt([Subtitle(1, 0.0, 0.9, "the square moves right"),
                   Subtitle(2, 1.0, 1.9, "the square moves down")],
                  str(videos / f"talk{i}.srt"))
    run = str(tmp_path / "run")
    assert main(["train", "--model", "video-clip-tiny", "--train-data",
                 str(videos), "--out", run, "--batch-size", "2",
                 "--verbose", "0"]) == 0
    with open(os.path.join(run, "report.json")) as f:
        report = json.load(f)
    assert report["modality"] == "video"
    assert {"video_to_text", "text_to_video"} <= set(
        report["after"]["retrieval"])
    model = keras_mm.load_model(os.path.join(run, "model.keras"))
    clip = f"{videos / 'talk0.mp4'}#t=0.0,0.9"
    assert model.embed("video", [clip]).shape == model.embed(
        "text", ["the square moves right"]).shape

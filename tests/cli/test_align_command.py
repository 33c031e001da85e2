import json

import numpy as np

from keras_mm.cli.main import main
from keras_mm.data.srt import read_srt
from keras_mm.data.srt import write_srt
from keras_mm.datasets.writer import write_to_disk


def test_align_writes_pairs_on_the_true_frames(tmp_path, capsys):
    paths = write_to_disk(str(tmp_path), sizes={"train": 1},
                          num_audio={}, num_videos=1, video_duration=10.0)
    video = paths["videos"][0]
    true = read_srt(video["srt"])
    shifted = tmp_path / "shifted.srt"
    write_srt([(s.start + 1.0, s.end + 1.0, s.text) for s in true], shifted)
    out = tmp_path / "aligned.jsonl"
    assert main(["align", video["frames"], str(shifted), "--out", str(out),
                 "--window-s", "3"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    expected = [int(np.ceil(s.start * 10 - 1e-9)) for s in true]
    assert [r["start_frame"] for r in rows] == expected
    assert rows[1]["shift_ms"] < -900  # moved 1 s earlier than given
    assert len(read_srt(tmp_path / "aligned.srt")) == len(true)
    assert "aligned" in capsys.readouterr().out


def test_align_errors_are_one_line(tmp_path, capsys):
    assert main(["align", str(tmp_path / "v.npy"), "x.srt"]) == 2
    np.save(tmp_path / "v.npy", np.zeros((4, 8, 8, 3), np.uint8))
    (tmp_path / "bad.srt").write_text("1\nnot a time\nhi\n")
    assert main(["align", str(tmp_path / "v.npy"), str(tmp_path / "bad.srt"),
                 "--fps", "2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "v.npy" in err[0]
    assert "bad.srt, line 2" in err[1]

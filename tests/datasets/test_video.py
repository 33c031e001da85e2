import numpy as np

from keras_mm.data.motion_features import MOTIONS
from keras_mm.datasets.video import make_videos
from keras_mm.data.motion_features import motion_features
from keras_mm.data.motion_features import subtitle_motion_features


def test_subtitles_describe_what_happens_when():
    video = make_videos(1, duration=10.0, fps=10, seed=2)[0]
    assert video["frames"].shape == (100, 32, 32, 3)
    subs = video["subtitles"]
    assert subs[0][0] == 0.0 and abs(subs[-1][1] - 10.0) < 1e-9
    for (s0, e0, t0), (s1, _, t1) in zip(subs, subs[1:]):
        assert e0 == s1 and t0 != t1  # contiguous; the motion changes
    names = list(MOTIONS)
    detected = motion_features(video["frames"]).argmax(1)
    for start, end, text in subs:
        frames = range(int(np.ceil(start * 10 - 1e-9)),
                       int(np.ceil(end * 10 - 1e-9)))
        expected = subtitle_motion_features([text]).argmax(1)[0]
        assert all(names[detected[f]] == names[expected] for f in frames)
        assert all(video["motions"][f] in text for f in frames)


def test_videos_are_deterministic_by_seed():
    a, b = make_videos(1, duration=3, seed=5), make_videos(1, duration=3,
                                                           seed=5)
    np.testing.assert_array_equal(a[0]["frames"], b[0]["frames"])
    assert a[0]["subtitles"] == b[0]["subtitles"]

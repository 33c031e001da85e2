"""Videos with `.srt` subtitles -> clip–subtitle `Pair`s.

Each subtitle becomes one pair: its text, and the clip of the video it is
spoken over, written as a media fragment `"video.mp4#t=start,end"`
(seconds, see `keras_mm.data.clip_media`) that
`keras_mm.models.VideoClipPreprocessor` decodes.

Timing: subtitle files are often shifted or drifting. With `features`,
the subtitles are re-timed against the video with DTW
(`keras_mm.data.align_subtitles`): frames and subtitle texts are mapped to
one feature space and each cue's start moves to the frame that matches it
(within `window_s`). keras_mm ships one such feature, `"motion"`, for its
built-in moving-shape videos; a real video needs the caller's own
`(frame_features_fn, text_features_fn)`. Without `features` the subtitle
times are used as written (DTW on timestamps alone has nothing to correct
them against).
"""

import os

from keras_mm.data.columns import resolve_columns
from keras_mm.data.data_root import resolve_media
from keras_mm.data.error_report import ErrorReport
from keras_mm.data.errors import DataError
from keras_mm.data.errors import check_on_error
from keras_mm.data.pair import Pair
from keras_mm.data.srt import Subtitle
from keras_mm.data.srt import read_srt
from keras_mm.data.video_decoder import VIDEO_EXTENSIONS
from keras_mm.data.video_decoder import clip_media
from keras_mm.data.video_decoder import is_video_container
from keras_mm.data.video_decoder import probe_video

SUBTITLE_KEYS = ("subtitles", "srt", "subtitle", "subtitle_path")
MANIFEST_EXTENSIONS = (".csv", ".tsv", ".tab", ".jsonl", ".json", ".ndjson")


def _checked_report(on_error, report):
    """Checks `on_error`; the caller's `report`, else a quiet one."""
    check_on_error(on_error)
    return ErrorReport(verbose=False) if report is None else report


def _feature_functions(features):
    if features is None:
        return None
    if features == "motion":
        # Motion words, as the built-in videos are subtitled.
        from keras_mm.data.motion_features import motion_features
        from keras_mm.data.motion_features import subtitle_motion_features

        return motion_features, subtitle_motion_features
    if isinstance(features, (tuple, list)) and len(features) == 2 and all(
            callable(f) for f in features):
        return tuple(features)
    raise ValueError("features must be None, 'motion' or a pair "
                     "(frame_features_fn, text_features_fn). Received: "
                     f"{features!r}")


def _duration(video, source):
    if is_video_container(video):
        duration = probe_video(video, source=source).duration
        if duration is not None:
            return duration
    from keras_mm.data.media import read_frames

    _, times = read_frames(video)
    step = times[1] - times[0] if len(times) > 1 else 0.0
    return float(times[-1] + step)


def subtitles_beside(video):
    """`"a/talk.mp4"` -> `"a/talk.srt"`: where a video's subtitles sit."""
    return os.path.splitext(video.rstrip("/"))[0] + ".srt"


def _aligned_spans(video, subtitles, duration, features, window_s,
                   align_fps):
    """Per cue `(start, end)` in seconds, re-timed with DTW if asked."""
    starts = [s.start for s in subtitles]
    ends = [s.end for s in subtitles]
    if features is None:
        return list(zip(starts, [min(e, duration) for e in ends]))
    from keras_mm.data.alignment import align_subtitles
    from keras_mm.data.media import read_frames

    frame_fn, text_fn = features
    frames, times = read_frames(video, fps=align_fps)
    result = align_subtitles(
        times, starts, ends, frame_features=frame_fn(frames),
        subtitle_features=text_fn([s.text for s in subtitles]),
        window_s=window_s)
    new_starts = [float(t) for t in result["start_times"]]
    spans = []
    for k, start in enumerate(new_starts):
        # Keep the cue's own length, but never run into the next cue.
        limit = new_starts[k + 1] if k + 1 < len(new_starts) else duration
        spans.append((start, min(start + ends[k] - starts[k], limit,
                                 duration)))
    return spans


def video_subtitle_pairs(video, subtitles=None, features=None, window_s=2.0,
                         align_fps=None, source=None, meta=None,
                         on_error="raise", report=None):
    """One video and its subtitles -> a clip–subtitle `Pair` per cue.

    Args:
        video: str. A video file (mp4, webm, …; or frames that
            `keras_mm.data.read_frames` reads).
        subtitles: str (an `.srt` path), a list of `Subtitle`, or None
            (the `.srt` with the video's name beside it).
        features: None (subtitle times as written), `"motion"` (the
            built-in moving-shape videos) or `(frame_features_fn,
            text_features_fn)`: `(T, H, W, 3)` frames -> `(T, D)` and a list
            of texts -> `(M, D)`, used to re-time the cues with DTW.
        window_s: float. How far (seconds) DTW may move a cue.
        align_fps: float or None. Frame rate decoded for alignment (None:
            every frame).
        source: str or None. Names the video's record in errors.
        meta: dict or None. Copied into every pair's `meta`.
        on_error: `"raise"` or `"skip"` (bad cues are counted in `report`).
        report: `ErrorReport` or None.

    Returns:
        A list of `Pair(media="video.mp4#t=S,E", text=cue text,
        source="file.srt, cue N", modality="video", meta)` with `meta`
        holding `"video"`, `"start"`, `"end"` (the clip, seconds),
        `"subtitle_start"`, `"subtitle_end"` (as written) and `"cue"`.

    Example:
    ```python
    pairs = keras_mm.data.video_subtitle_pairs("talk.mp4")  # talk.srt beside
    pairs[0].media, pairs[0].text  # ('talk.mp4#t=1.000,3.500', 'Hello.')
    ```
    """
    report = _checked_report(on_error, report)
    video = os.fspath(video)
    if not os.path.exists(video):
        raise DataError(source or video, None, f"missing file {video!r}",
                        kind="missing_file")
    if subtitles is None:
        subtitles = subtitles_beside(video)
        if not os.path.isfile(subtitles):
            raise DataError(source or video, None, "no subtitles: expected "
                            f"{subtitles!r} beside the video",
                            kind="missing_file")
    srt_path = "<subtitles>"
    if isinstance(subtitles, (str, os.PathLike)):
        srt_path = os.fspath(subtitles)
        if not os.path.isfile(srt_path):
            raise DataError(source or video, None, "missing file "
                            f"{srt_path!r}", kind="missing_file")
        subtitles = read_srt(srt_path)
    subtitles = sorted((s if isinstance(s, Subtitle) else Subtitle(k, *s)
                        for k, s in enumerate(subtitles, start=1)),
                       key=lambda s: (s.start, s.end))
    if not subtitles:
        raise DataError(srt_path, None, "no subtitles", kind="empty_caption")
    duration = _duration(video, source)
    spans = _aligned_spans(video, subtitles, duration,
                           _feature_functions(features), window_s, align_fps)
    pairs = []
    for sub, (start, end) in zip(subtitles, spans):
        where = f"{srt_path}, cue {sub.index}"
        text = " ".join(sub.text.split())  # One line: multi-line cues join.
        try:
            if not text:
                raise DataError(where, None, "empty subtitle",
                                kind="empty_caption")
            if start >= duration:
                raise DataError(where, None, f"starts at {start:.3f}s, after"
                                f" the video ends ({duration:.3f}s)",
                                kind="outside_video")
            if end <= start:
                raise DataError(where, None, "empty clip after alignment "
                                f"({start:.3f}s to {end:.3f}s)",
                                kind="empty_clip")
        except DataError as error:
            if on_error == "raise":
                raise
            report.add(error, at_read=True)
            continue
        pairs.append(Pair(
            clip_media(video, start, end), text, where, "video",
            {**(meta or {}), "video": video, "start": start, "end": end,
             "subtitle_start": sub.start, "subtitle_end": sub.end,
             "cue": sub.index}))
    return pairs


def _subtitles_key(columns, key, path):
    if key is not None:
        if key not in columns:
            raise DataError(path, None, f"no subtitles column {key!r} "
                            f"(columns found: {', '.join(columns)})",
                            kind="malformed_row")
        return key
    return next((k for k in SUBTITLE_KEYS if k in columns), None)


def _manifest_rows(path, separator):
    from keras_mm.data.manifest import _rows
    from keras_mm.data.manifest import manifest_format

    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(path, None, "not UTF-8 text",
                        kind="malformed_row") from None
    return list(_rows(text, manifest_format(path), path, separator))


def _videos_in(folder):
    found = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        found += [os.path.join(root, f) for f in sorted(files)
                  if f.lower().endswith(VIDEO_EXTENSIONS)]
    return found


def is_video_subtitle_source(path, subtitles_key=None, caption_key=None,
                             separator=None):
    """Whether `read_video_subtitle_pairs` (not a caption reader) should
    read `path`: a video file, a folder holding videos, or a manifest with
    a subtitles column (or `subtitles_key`) or without any caption column.
    Reads only a manifest's header; no decoding.

    Example:
    ```python
    if keras_mm.data.is_video_subtitle_source("videos.csv"):
        pairs = keras_mm.data.read_video_subtitle_pairs("videos.csv")
    ```
    """
    from keras_mm.data.columns import CAPTION_KEYS

    path = os.fspath(path)
    if os.path.isdir(path):
        return bool(_videos_in(path))
    if not os.path.isfile(path):
        return False
    if not path.lower().endswith(MANIFEST_EXTENSIONS):
        return path.lower().endswith(VIDEO_EXTENSIONS)
    from keras_mm.data.manifest import manifest_columns

    columns = manifest_columns(path, separator)
    if subtitles_key is not None or any(k in columns for k in SUBTITLE_KEYS):
        return True
    if caption_key is not None:
        return False
    return not any(k in columns for k in CAPTION_KEYS)


def read_video_subtitle_pairs(path, media_key=None, subtitles_key=None,
                              separator=None, features=None, window_s=2.0,
                              align_fps=None, on_error="skip", report=None,
                              allow_outside_root=False):
    """Videos + `.srt` subtitles -> clip–subtitle `Pair`s.

    Args:
        path: str. One of:
            - a video file, its `.srt` beside it (same name);
            - a folder: every video in it (and below), each with its `.srt`
              beside it;
            - a CSV/TSV/JSONL manifest with a video column (`media_key`,
              or the first of `keras_mm.data.columns.VIDEO_KEYS` present)
              and a subtitles column
              (`subtitles_key`, or the first of `SUBTITLE_KEYS`; without
              one, the `.srt` beside each video). Relative paths resolve
              against the manifest's folder; other columns go to `meta`.
        media_key, subtitles_key: str or None. Column names.
        separator: str or None. CSV delimiter.
        features, window_s, align_fps: re-timing, see
            `video_subtitle_pairs`.
        on_error: `"skip"` (a bad video, subtitle file or cue is dropped
            and counted in `report`) or `"raise"`.
        report: `ErrorReport` or None.
        allow_outside_root: bool. Trust manifest paths that leave the
            manifest's folder (otherwise errors, kind `"outside_root"`).

    Returns:
        A list of `Pair`s, one per usable cue (see `video_subtitle_pairs`).

    Raises:
        FileNotFoundError: `path` does not exist.
        DataError: a manifest without a video column (always), or any bad
            record with `on_error="raise"`.

    Example:
    ```python
    pairs = keras_mm.data.read_video_subtitle_pairs("videos.csv")
    preprocess = keras_mm.models.VideoClipPreprocessor(8, 32)
    frames = preprocess([p.media for p in pairs[:4]])["frames"]
    ```
    """
    report = _checked_report(on_error, report)
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file or folder: {path!r}")
    options = dict(features=features, window_s=window_s,
                   align_fps=align_fps, on_error=on_error, report=report)
    if os.path.isdir(path):
        jobs = [(video, None, video, {}) for video in _videos_in(path)]
        if not jobs:
            raise DataError(path, None, "no video files in folder (looked "
                            f"for {', '.join(VIDEO_EXTENSIONS)})",
                            kind="missing_file")
    elif path.lower().endswith(MANIFEST_EXTENSIONS):
        jobs = _manifest_jobs(path, media_key, subtitles_key, separator,
                              on_error, report, allow_outside_root)
    else:
        jobs = [(path, None, path, {})]
    pairs = []
    for video, subtitles, source, meta in jobs:
        try:
            pairs += video_subtitle_pairs(video, subtitles, source=source,
                                          meta=meta, **options)
        except DataError as error:
            if on_error == "raise":
                raise
            report.add(error, at_read=True)
    return pairs


def _manifest_jobs(path, media_key, subtitles_key, separator, on_error,
                   report, allow_outside_root=False):
    rows = _manifest_rows(path, separator)
    columns = list(next((row for _, row in rows if isinstance(row, dict)),
                        {}))
    video_key = resolve_columns(columns, path, media_key=media_key,
                                modality="video", need_caption=False).media
    srt_key = _subtitles_key(columns, subtitles_key, path)
    base = os.path.dirname(os.path.abspath(path))
    jobs = []
    for number, row in rows:
        try:
            if isinstance(row, DataError):
                raise row
            video = str(row.get(video_key) or "").strip()
            if not video:
                raise DataError(path, number, f"empty {video_key!r}",
                                kind="missing_file")
            srt = str(row.get(srt_key) or "").strip() if srt_key else ""
            meta = {k: v for k, v in row.items()
                    if k not in (video_key, srt_key)}
            video = resolve_media(video, base, path, number,
                                  allow_outside_root=allow_outside_root)
            if srt:
                srt = resolve_media(srt, base, path, number,
                                    allow_outside_root=allow_outside_root)
            jobs.append((video, srt or None, f"{path}, line {number}",
                         meta))
        except DataError as error:
            if on_error == "raise":
                raise
            report.add(error, at_read=True)
    return jobs

"""`keras-mm align VIDEO SRT`: align subtitles to frames, write the pairs."""

import json
import os


def register(subparsers):
    p = subparsers.add_parser(
        "align", help="align an .srt subtitle track to a video's frames")
    p.add_argument("video", help="a video file (mp4, webm…), an .npy "
                   "(T,H,W,C) or a folder of frames")
    p.add_argument("srt", help="the .srt subtitle track to align")
    p.add_argument("--fps", type=float,
                   help="frame rate (default: the video file's own, or "
                   "the VIDEO.fps file)")
    p.add_argument("--window-s", type=float, default=10.0,
                   help="Sakoe-Chiba window half-width in seconds")
    p.add_argument("--features", choices=("motion", "none"),
                   default="motion",
                   help="motion: match the motion a frame shows to the one "
                   "a subtitle names (built-in videos); none: times only")
    p.add_argument("--out", help="JSONL of aligned pairs (default: "
                   "VIDEO.aligned.jsonl); an aligned .srt is written beside")
    p.set_defaults(run=run)


def run(args):
    from keras_mm.cli.errors import UsageError

    for path in (args.video, args.srt):
        if not os.path.exists(path):
            raise FileNotFoundError(f"No such file: {path!r}")
    if args.window_s <= 0:
        raise UsageError("keras-mm align: --window-s must be > 0")
    from keras_mm.data.alignment import align_subtitles
    from keras_mm.data.media import read_frames
    from keras_mm.data.srt import read_srt
    from keras_mm.data.srt import write_srt

    frames, times = read_frames(args.video, args.fps)
    subtitles = read_srt(args.srt)
    if not subtitles:
        raise ValueError(f"{args.srt}: no subtitles")
    features = {}
    if args.features == "motion":
        from keras_mm.data.motion_features import motion_features
        from keras_mm.data.motion_features import subtitle_motion_features

        features = {
            "frame_features": motion_features(frames),
            "subtitle_features": subtitle_motion_features(
                [s.text for s in subtitles]),
        }
    result = align_subtitles(
        times, [s.start for s in subtitles], [s.end for s in subtitles],
        window_s=args.window_s, **features)
    stem = os.path.splitext(args.video.rstrip("/"))[0]
    out = args.out or stem + ".aligned.jsonl"
    fps = 1.0 / (times[1] - times[0]) if len(times) > 1 else 1.0
    rows = []
    for k, sub in enumerate(subtitles):
        start, end = int(result["start_frames"][k]), int(
            result["end_frames"][k])
        rows.append({"index": sub.index, "text": sub.text,
                     "start_frame": start, "end_frame": end,
                     "start_s": start / fps, "end_s": end / fps,
                     "shift_ms": float(result["error_s"][k] * 1000)})
    with open(out, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    write_srt([(r["start_s"], r["end_s"], r["text"]) for r in rows],
              os.path.splitext(out)[0] + ".srt")
    shifts = sorted(abs(r["shift_ms"]) for r in rows)
    print(f"aligned {len(rows)} subtitles to {len(frames)} frames; median "
          f"|shift| {shifts[len(shifts) // 2]:.0f} ms; wrote {out}")

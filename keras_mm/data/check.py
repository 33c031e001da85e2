"""`keras-mm data check`: what is wrong with a manifest, before training.

Reports missing files, undecodable images/audio, empty and over-long
captions, exact duplicate media (SHA-256 of the bytes), duplicate captions
(same normalised text) and near-duplicate captions (same set of content
words, so word order, articles and punctuation are ignored), plus size and
length histograms.
"""

import collections
import hashlib
import re

import numpy as np

from keras_mm.data.errors import DataError
from keras_mm.data.manifest import read_manifest
from keras_mm.data.media import decode_image
from keras_mm.data.media import read_frames
from keras_mm.data.media import read_wav

STOPWORDS = frozenset("a an the of and in on at to with is are".split())


def normalize_caption(text):
    """Lowercase, punctuation removed, whitespace collapsed."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def near_duplicate_key(text):
    """Sorted content words: equal keys are near-duplicate captions."""
    words = normalize_caption(text).split()
    return " ".join(sorted({w for w in words if w not in STOPWORDS}))


def _histogram(values, bins=8):
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return {"edges": [], "counts": []}
    counts, edges = np.histogram(values, bins=bins)
    return {"edges": [round(float(e), 3) for e in edges],
            "counts": counts.tolist(), "min": float(values.min()),
            "max": float(values.max()), "mean": float(values.mean())}


def _line(pair):
    return pair.source.rsplit("line ", 1)[-1] if "line " in pair.source \
        else pair.source


def check_manifest(path, media_key="image", text_key="caption",
                   max_caption_words=64, decode=True, separator=None,
                   label_key=None, allow_outside_root=False):
    """Checks every row of a manifest; returns a JSON-able report dict.

    Media paths that leave the manifest's folder are reported under
    `outside_root` unless `allow_outside_root=True`.

    Example:
    ```python
    report = keras_mm.data.check_manifest("train.csv")
    report["missing_files"], report["duplicate_media"]
    ```
    """
    problems = []  # rows the reader itself refused (missing, empty…)
    report_obj = _Collector(problems)
    pairs = read_manifest(path, media_key=media_key, text_key=text_key,
                          on_error="skip", report=report_obj,
                          separator=separator, label_key=label_key,
                          allow_outside_root=allow_outside_root)
    report = {
        "manifest": str(path),
        "rows_ok": 0,
        "missing_files": [e for e in problems if e["kind"] == "missing_file"],
        "empty_captions": [e for e in problems
                           if e["kind"] == "empty_caption"],
        "malformed_rows": [e for e in problems
                           if e["kind"] in ("malformed_row", "long_caption")],
        "outside_root": [e for e in problems
                         if e["kind"] == "outside_root"],
        "undecodable": [],
        "long_captions": [],
    }
    by_hash = collections.defaultdict(list)
    by_text = collections.defaultdict(list)
    by_key = collections.defaultdict(list)
    widths, heights, durations, words = [], [], [], []
    for pair in pairs:
        line = _line(pair)
        with open(pair.media, "rb") as f:
            data = f.read()
        by_hash[hashlib.sha256(data).hexdigest()].append(line)
        n_words = len(pair.text.split())
        words.append(n_words)
        if n_words > max_caption_words:
            report["long_captions"].append(
                {"line": line, "words": n_words})
        by_text[normalize_caption(pair.text)].append(line)
        by_key[near_duplicate_key(pair.text)].append(line)
        if decode:
            try:
                lower = pair.media.lower()
                if lower.endswith(".wav"):
                    wave, rate = read_wav(data, source=pair.source)
                    durations.append(len(wave) / rate)
                elif lower.endswith(".npy"):
                    frames, _ = read_frames(pair.media, fps=1.0)
                    heights.append(frames.shape[1])
                    widths.append(frames.shape[2])
                else:
                    image = decode_image(data, source=pair.source)
                    heights.append(image.shape[0])
                    widths.append(image.shape[1])
            except DataError as e:
                report["undecodable"].append(
                    {"line": line, "file": pair.media, "reason": e.reason})
                continue
        report["rows_ok"] += 1
    report["rows_ok"] -= len(report["long_captions"])
    report["duplicate_media"] = [v for v in by_hash.values() if len(v) > 1]
    report["duplicate_captions"] = [v for v in by_text.values()
                                    if len(v) > 1]
    exact = {tuple(v) for v in report["duplicate_captions"]}
    report["near_duplicate_captions"] = [
        v for v in by_key.values() if len(v) > 1 and tuple(v) not in exact]
    report["histograms"] = {
        "caption_words": _histogram(words),
        "image_width": _histogram(widths),
        "image_height": _histogram(heights),
        "audio_seconds": _histogram(durations),
    }
    report["counts"] = {
        k: len(report[k]) for k in (
            "missing_files", "undecodable", "empty_captions",
            "long_captions", "malformed_rows", "outside_root",
            "duplicate_media",
            "duplicate_captions", "near_duplicate_captions")
    }
    return report


class _Collector:
    """An ErrorReport stand-in that keeps every refused row."""

    def __init__(self, sink):
        self.sink = sink

    def add(self, error, at_read=False):
        self.sink.append({"line": error.line, "kind": error.kind,
                          "reason": error.reason})


def format_check_report(report, max_items=5):
    """A human-readable summary of `check_manifest`'s report."""
    lines = [f"manifest: {report['manifest']}",
             f"rows ok: {report['rows_ok']}"]
    for key, count in report["counts"].items():
        lines.append(f"{key.replace('_', ' ')}: {count}")
        for item in report[key][:max_items]:
            lines.append(f"    {item}")
    for name, h in report["histograms"].items():
        if h["counts"]:
            lines.append(f"{name}: min {h['min']:.4g} mean {h['mean']:.4g} "
                         f"max {h['max']:.4g} counts {h['counts']}")
    return "\n".join(lines)

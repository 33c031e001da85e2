"""Writes the built-in datasets to disk in every format the readers take.

    out_dir/
      images/{split}/000000.png ...
      {split}.csv  {split}.jsonl          (columns: image, caption)
      {split}_coco.json                   (COCO captions)
      shards/{split}-000000.tar ...       (WebDataset: key.png + key.txt)
      audio/{split}/000000.wav  audio_{split}.csv (columns: audio, transcript)
      videos/000000.npy .fps .srt         (frames + subtitle track)
"""

import os

import numpy as np

from keras_mm.data.coco import write_coco
from keras_mm.data.manifest import write_manifest
from keras_mm.data.media import write_wav
from keras_mm.data.pair import Pair
from keras_mm.data.srt import write_srt
from keras_mm.data.webdataset import write_webdataset
from keras_mm.datasets.audio import make_audio_text_pairs
from keras_mm.datasets.splits import image_text_split
from keras_mm.datasets.splits import split_seed
from keras_mm.datasets.video import make_videos


def write_to_disk(out_dir, sizes=None, image_size=32, num_audio=None,
                  num_videos=2, video_duration=12.0, shard_size=256,
                  seed=0):
    """Writes images+captions, audio+transcripts and videos+SRT to `out_dir`.

    Args:
        out_dir: str. Created if needed.
        sizes: dict split -> number of pairs (default train 256,
            validation 64, test 64).
        image_size: int. Side of the PNG images.
        num_audio: dict split -> number of clips (default: same as sizes,
            capped at 64).
        num_videos: int. Videos written to `videos/`.
        shard_size: int. Samples per WebDataset shard.
        seed: int.

    Returns:
        A dict of the written paths, per format and split.

    Example:
    ```python
    paths = keras_mm.datasets.write_to_disk("builtin")
    pairs = keras_mm.data.read_manifest(paths["csv"]["train"])
    ```
    """
    from PIL import Image

    sizes = sizes or {"train": 256, "validation": 64, "test": 64}
    if num_audio is None:
        num_audio = {k: min(v, 64) for k, v in sizes.items()}
    paths = {"csv": {}, "jsonl": {}, "coco": {}, "shards": {},
             "audio": {}, "videos": []}
    for split, n in sizes.items():
        data = image_text_split(split, n, image_size, seed)
        folder = os.path.join(out_dir, "images", split)
        os.makedirs(folder, exist_ok=True)
        pairs = []
        for i, (image, caption) in enumerate(zip(data["images"],
                                                 data["captions"])):
            path = os.path.join(folder, f"{i:06d}.png")
            Image.fromarray(image).save(path)
            pairs.append(Pair(os.path.abspath(path), caption))
        for fmt in ("csv", "jsonl"):
            paths[fmt][split] = os.path.join(out_dir, f"{split}.{fmt}")
            write_manifest(pairs, paths[fmt][split])
        paths["coco"][split] = os.path.join(out_dir, f"{split}_coco.json")
        write_coco(pairs, paths["coco"][split])
        paths["shards"][split] = write_webdataset(
            pairs, os.path.join(out_dir, "shards"), shard_size, prefix=split)

    for split, n in num_audio.items():
        if n < 1:
            continue
        data = make_audio_text_pairs(
            n, seed=split_seed(split, seed))
        folder = os.path.join(out_dir, "audio", split)
        os.makedirs(folder, exist_ok=True)
        pairs = []
        for i, (wave, caption) in enumerate(zip(data["audio"],
                                                data["captions"])):
            path = os.path.join(folder, f"{i:06d}.wav")
            write_wav(path, wave, data["sample_rate"])
            pairs.append(Pair(os.path.abspath(path), caption, "", "audio"))
        paths["audio"][split] = os.path.join(out_dir, f"audio_{split}.csv")
        write_manifest(pairs, paths["audio"][split], media_key="audio",
                       text_key="transcript")

    if num_videos:
        folder = os.path.join(out_dir, "videos")
        os.makedirs(folder, exist_ok=True)
        videos = make_videos(num_videos, duration=video_duration,
                             image_size=image_size, seed=seed)
        for i, video in enumerate(videos):
            base = os.path.join(folder, f"{i:06d}")
            np.save(base + ".npy", video["frames"])
            with open(base + ".fps", "w") as f:
                f.write(f"{video['fps']}\n")
            write_srt(video["subtitles"], base + ".srt")
            paths["videos"].append({"frames": base + ".npy",
                                    "srt": base + ".srt"})
    return paths

"""Embeds batches of `Pair`s with a `keras_mm.inference.Embedder`."""

import hashlib
import json
import os
import tempfile

MODALITIES = ("image", "text", "audio")


def pair_embed_fn(embedder, modality="image"):
    """A callable: list of pairs → `(len, D)` float32 rows.

    `"image"` and `"audio"` embed each pair's media (files; encoded bytes
    from tar shards are written to a temporary folder first, since the
    embedder reads files); `"text"` embeds the captions.

    Example:
    ```python
    embed = pair_embed_fn(Embedder.from_spec("model.keras"), "image")
    rows = embed(keras_mm.data.read_pairs("photos.csv")[:8])
    ```
    """
    if modality not in MODALITIES:
        raise ValueError(f"modality must be one of {MODALITIES}, got "
                         f"{modality!r}")
    if modality == "text":
        return lambda pairs: embedder.embed_texts([p.text for p in pairs])
    method = (embedder.embed_images if modality == "image"
              else embedder.embed_audio)

    def embed(pairs):
        if all(isinstance(p.media, str) for p in pairs):
            return method([p.media for p in pairs])
        with tempfile.TemporaryDirectory() as folder:
            paths = []
            for number, pair in enumerate(pairs):
                if isinstance(pair.media, str):
                    paths.append(pair.media)
                    continue
                path = os.path.join(folder, f"{number}.media")
                with open(path, "wb") as f:
                    f.write(bytes(pair.media))
                paths.append(path)
            return method(paths)

    return embed


def _describe(path):
    """A file's content hash; a folder's names, sizes and times."""
    digest = hashlib.sha256()
    if os.path.isfile(path):
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    elif os.path.isdir(path):
        for root, dirs, names in os.walk(path):
            dirs.sort()
            for name in sorted(names):
                stat = os.stat(os.path.join(root, name))
                digest.update(f"{os.path.relpath(root, path)}/{name}:"
                              f"{stat.st_size}:{stat.st_mtime_ns}|".encode())
    else:  # A shard pattern or a preset name.
        digest.update(path.encode())
    return digest.hexdigest()


def build_fingerprint(data, model, modality, options=None):
    """Names what an index build embeds: data, model, modality, columns.

    Example:
    ```python
    build_fingerprint("photos.csv", "model.keras", "image")
    ```
    """
    return hashlib.sha256(json.dumps(
        [_describe(data), _describe(model), modality, options or {}],
        sort_keys=True).encode()).hexdigest()

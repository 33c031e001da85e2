"""An image–caption index for `/search`: built once, saved, reloaded.

The pairs come from `keras_mm.data.sources.read_pairs` (a CSV/TSV/JSONL
manifest, an image folder, COCO captions or WebDataset shards) with the
same column options as every command (`media_key`, `caption_key`, ...).
Applications with data of their own in memory write it out as a manifest
first (`keras-mm serve --index builtin` does). The index is saved where
the caller says (`keras-mm serve`: under the model's folder), never beside
the data.

Images are named by their path relative to the index root (the
manifest's or COCO file's folder, or the image folder itself), never by
an absolute server path. A pair without a caption indexes its image with
`caption: null` and adds nothing to the caption side. An image that
cannot be read is skipped with one warning naming the file and row.
"""

import hashlib
import json
import logging
import os
import re

import numpy as np

from keras_mm.serving import preprocessing as pp

logger = logging.getLogger("keras_mm.serving")
# Bumped when what an index stores changes, so old saved ones rebuild.
INDEX_FORMAT = 2


def read_index_pairs(source, data_options=None, report=None):
    """The image–caption pairs of `source`, unreadable rows skipped."""
    from keras_mm.data.sources import read_pairs

    return read_pairs(source, modality="image", on_error="skip",
                      report=report, **(data_options or {}))


def _hash_source(digest, source):
    """Content of a file; names, sizes and times of a folder's files."""
    if os.path.isfile(source):
        with open(source, "rb") as f:
            digest.update(f.read())
    elif os.path.isdir(source):
        for root, dirs, files in os.walk(source):
            dirs.sort()
            for name in sorted(files):
                path = os.path.join(root, name)
                stat = os.stat(path)
                digest.update(f"{os.path.relpath(path, source)}:"
                              f"{stat.st_size}:{stat.st_mtime_ns}|".encode())
    else:  # A shard pattern.
        digest.update(source.encode())


def _fingerprint(source, runtime_name, model_id, data_options=None):
    digest = hashlib.sha256()
    _hash_source(digest, source)
    options = json.dumps(data_options or {}, sort_keys=True)
    digest.update(f"|{runtime_name}|{model_id}|{options}|"
                  f"{INDEX_FORMAT}".encode())
    return digest.hexdigest()


def index_root(source):
    """The folder index names are relative to: the source itself if it
    is a folder, else the folder holding it (a manifest, COCO file or
    shard pattern)."""
    source = os.path.abspath(source)
    return source if os.path.isdir(source) else os.path.dirname(source)


def relative_name(name, root):
    """`name` (a path, or `shard.tar:key`) relative to `root`."""
    if not isinstance(name, str) or not os.path.isabs(name):
        return name
    return os.path.relpath(name, root)


def caption_or_none(text):
    """A caption, or None when the pair has none (never "None")."""
    if isinstance(text, str) and text.strip():
        return text
    return None


def index_stem(source):
    """The index's file name stem: the data's name, made file-safe."""
    name = os.path.basename(os.path.normpath(source))
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", os.path.splitext(name)[0])
    return stem.strip("._") or "data"


class SearchIndex:
    """Unit-norm image and caption embeddings with their names.

    Args:
        image_embeddings: float32 `(N, D)`.
        images: list of str. An id or path per image.
        caption_embeddings: float32 `(M, D)`, one per distinct caption.
        captions: list of str.
        image_captions: list of str or None, the caption given for each
            image (None: the pair had none).

    Example:
    ```python
    index = SearchIndex.build_or_load(service, "pairs.csv", "index_dir")
    index.search_images(query_embedding, k=5)
    ```
    """

    def __init__(self, image_embeddings, images, caption_embeddings,
                 captions, image_captions, fingerprint=""):
        self.image_embeddings = np.asarray(image_embeddings, np.float32)
        self.images = list(images)
        self.caption_embeddings = np.asarray(caption_embeddings, np.float32)
        self.captions = list(captions)
        self.image_captions = list(image_captions)
        self.fingerprint = fingerprint
        # Pairs of the source that could not be read (not indexed).
        self.skipped = 0

    def __len__(self):
        return len(self.images)

    @classmethod
    def build(cls, service, source, fingerprint="", batch_size=32,
              data_options=None):
        """Embeds every image and distinct caption (blocking); images go
        through the service's image preprocessor (the model's own)."""
        from keras_mm.data.error_report import ErrorReport

        report = ErrorReport(verbose=False)
        root = index_root(source)
        pixels, images, image_captions = [], [], []
        skipped, first_problem = 0, None
        for pair in read_index_pairs(source, data_options, report):
            name = relative_name(pair.media if isinstance(pair.media, str)
                                 else pair.source, root)
            try:
                pixels.append(_decode_index_image(pair.media, service))
            except (OSError, pp.RequestError) as error:
                # Skipped and counted; the line names the file and row.
                reason = getattr(error, "message", None) or str(error)
                problem = (f"{source}: skipped {name} "
                           f"({relative_name(pair.source, root)}): "
                           f"{reason}")
                logger.warning(problem)
                first_problem = first_problem or problem
                skipped += 1
                continue
            images.append(name)
            image_captions.append(caption_or_none(pair.text))
        skipped += sum(report.totals().values())
        if not pixels:
            raise ValueError(first_problem or f"{source}: no readable "
                             "image–caption pairs to index")
        lowercase = service.text_preprocessor.lowercase
        captions = list(dict.fromkeys(
            pp.normalize_text(c, lowercase, 10**6) for c in image_captions
            if c is not None
        ))

        def embed(modality, items):
            if not items:  # No pair had a caption.
                return np.zeros((0, image_embeddings.shape[-1]), "float32")
            return np.concatenate([
                service.embed_now(modality, items[i:i + batch_size])
                for i in range(0, len(items), batch_size)
            ])

        image_embeddings = embed("image", pixels)

        index = cls(image_embeddings, images, embed("text", captions),
                    captions, image_captions, fingerprint)
        index.skipped = skipped
        return index

    @classmethod
    def build_or_load(cls, service, source, index_dir, model_id="",
                      data_options=None):
        """Loads the saved index for `source` if it matches, else builds
        and saves it into `index_dir`. Returns `(index, loaded: bool)`."""
        fingerprint = _fingerprint(source, service.runtime.name, model_id,
                                   data_options)
        path = os.path.join(index_dir, f"{index_stem(source)}.index")
        if os.path.exists(path + ".json"):
            index = cls.load(path)
            if index.fingerprint == fingerprint:
                return index, True
        index = cls.build(service, source, fingerprint,
                          data_options=data_options)
        index.save(path)
        return index, False

    def save(self, path):
        """Writes `path.npz` (embeddings) and `path.json` (names), each
        through a temporary file, so a failed write keeps the old index."""
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path + ".npz.tmp", "wb") as f:
            np.savez(f, image_embeddings=self.image_embeddings,
                     caption_embeddings=self.caption_embeddings)
        with open(path + ".json.tmp", "w", encoding="utf-8") as f:
            json.dump({"images": self.images, "captions": self.captions,
                       "image_captions": self.image_captions,
                       "fingerprint": self.fingerprint,
                       "skipped": self.skipped}, f)
        os.replace(path + ".npz.tmp", path + ".npz")
        os.replace(path + ".json.tmp", path + ".json")

    @classmethod
    def load(cls, path):
        with open(path + ".json", encoding="utf-8") as f:
            meta = json.load(f)
        with np.load(path + ".npz") as arrays:
            index = cls(arrays["image_embeddings"], meta["images"],
                        arrays["caption_embeddings"], meta["captions"],
                        meta["image_captions"], meta["fingerprint"])
        index.skipped = meta.get("skipped", 0)
        return index

    @staticmethod
    def _top_k(matrix, query, k):
        scores = matrix @ np.asarray(query, np.float32)  # (N,)
        k = min(k, len(scores))
        order = np.argsort(-scores, kind="stable")[:k]
        return order, scores[order]

    def search_images(self, query, k=5):
        order, scores = self._top_k(self.image_embeddings, query, k)
        return [{"rank": r + 1, "score": float(s), "image": self.images[i],
                 "caption": self.image_captions[i]}
                for r, (i, s) in enumerate(zip(order, scores))]

    def search_captions(self, query, k=5):
        order, scores = self._top_k(self.caption_embeddings, query, k)
        return [{"rank": r + 1, "score": float(s),
                 "caption": self.captions[i]}
                for r, (i, s) in enumerate(zip(order, scores))]


def _decode_index_image(media, service):
    """A pair's image (a path or encoded bytes) → uint8 pixels. Local
    index files are trusted: no pixel limit."""
    if isinstance(media, str):
        with open(media, "rb") as f:
            media = f.read()
    return pp.decode_image(media, service.image_size,
                           service.image_preprocessor, max_pixels=None)

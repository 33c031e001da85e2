"""An image–caption index for `/search`: built once, saved, reloaded.

A manifest is a CSV (with a header) or JSONL file with an image path column
(`image`, `image_path`, `path` or `file`) and a caption column (`caption`
or `text`); image paths are relative to the manifest. `"builtin"` is the
built-in test split (`make_image_text_pairs(64, seed=2)`, the quickstart's
test split at seed 0).
"""

import csv
import hashlib
import json
import os

import numpy as np

from keras_mm.serving import preprocessing as pp

IMAGE_COLUMNS = ("image", "image_path", "path", "file")
CAPTION_COLUMNS = ("caption", "text")
BUILTIN = "builtin"
BUILTIN_SIZE = 64
BUILTIN_SEED = 2


def read_manifest(path):
    """Rows of `{"image": absolute path, "caption": str}`."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"No manifest at {path}")
    with open(path, encoding="utf-8") as f:
        if path.endswith((".jsonl", ".json")):
            rows = [json.loads(line) for line in f if line.strip()]
        else:
            rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError(f"Manifest {path} has no rows.")
    image_col = next((c for c in IMAGE_COLUMNS if c in rows[0]), None)
    caption_col = next((c for c in CAPTION_COLUMNS if c in rows[0]), None)
    if image_col is None or caption_col is None:
        raise ValueError(
            f"Manifest {path} needs an image column (one of "
            f"{IMAGE_COLUMNS}) and a caption column (one of "
            f"{CAPTION_COLUMNS}); it has {sorted(rows[0])}."
        )
    base = os.path.dirname(os.path.abspath(path))
    return [{"image": os.path.join(base, row[image_col]),
             "caption": str(row[caption_col])} for row in rows]


def _fingerprint(source, runtime_name, model_id):
    digest = hashlib.sha256()
    if source == BUILTIN:
        digest.update(f"builtin:{BUILTIN_SIZE}:{BUILTIN_SEED}".encode())
    else:
        with open(source, "rb") as f:
            digest.update(f.read())
    digest.update(f"|{runtime_name}|{model_id}".encode())
    return digest.hexdigest()


class SearchIndex:
    """Unit-norm image and caption embeddings with their names.

    Args:
        image_embeddings: float32 `(N, D)`.
        images: list of str. An id or path per image.
        caption_embeddings: float32 `(M, D)`, one per distinct caption.
        captions: list of str.
        image_captions: list of str, the caption given for each image.

    Example:
    ```python
    index = SearchIndex.build_or_load(service, "builtin", "index_dir")
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

    def __len__(self):
        return len(self.images)

    @classmethod
    def build(cls, service, source, fingerprint="", batch_size=32):
        """Embeds every image and distinct caption (blocking)."""
        if source == BUILTIN:
            from keras_mm.datasets.shapes import make_image_text_pairs

            pairs = make_image_text_pairs(BUILTIN_SIZE, service.image_size,
                                          seed=BUILTIN_SEED)
            pixels = list(pairs["images"])
            images = [f"builtin:{i}" for i in range(len(pixels))]
            image_captions = pairs["captions"]
        else:
            rows = read_manifest(source)
            pixels = []
            for row in rows:
                if not os.path.exists(row["image"]):
                    raise FileNotFoundError(f"No image at {row['image']}")
                with open(row["image"], "rb") as f:
                    pixels.append(pp.decode_image(f.read(),
                                                  service.image_size))
            images = [row["image"] for row in rows]
            image_captions = [row["caption"] for row in rows]
        lowercase = service.text_preprocessor.lowercase
        captions = list(dict.fromkeys(
            pp.normalize_text(c, lowercase, 10**6) for c in image_captions
        ))

        def embed(modality, items):
            return np.concatenate([
                service.embed_now(modality, items[i:i + batch_size])
                for i in range(0, len(items), batch_size)
            ])

        return cls(embed("image", pixels), images, embed("text", captions),
                   captions, image_captions, fingerprint)

    @classmethod
    def build_or_load(cls, service, source, index_dir, model_id=""):
        """Loads the saved index for `source` if it matches, else builds
        and saves it. Returns `(index, loaded: bool)`."""
        fingerprint = _fingerprint(source, service.runtime.name, model_id)
        stem = ("builtin" if source == BUILTIN else
                os.path.splitext(os.path.basename(source))[0])
        path = os.path.join(index_dir, f"{stem}.index")
        if os.path.exists(path + ".json"):
            index = cls.load(path)
            if index.fingerprint == fingerprint:
                return index, True
        index = cls.build(service, source, fingerprint)
        index.save(path)
        return index, False

    def save(self, path):
        """Writes `path.npz` (embeddings) and `path.json` (names)."""
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        np.savez(path + ".npz", image_embeddings=self.image_embeddings,
                 caption_embeddings=self.caption_embeddings)
        with open(path + ".json", "w", encoding="utf-8") as f:
            json.dump({"images": self.images, "captions": self.captions,
                       "image_captions": self.image_captions,
                       "fingerprint": self.fingerprint}, f)

    @classmethod
    def load(cls, path):
        with open(path + ".json", encoding="utf-8") as f:
            meta = json.load(f)
        with np.load(path + ".npz") as arrays:
            return cls(arrays["image_embeddings"], meta["images"],
                       arrays["caption_embeddings"], meta["captions"],
                       meta["image_captions"], meta["fingerprint"])

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

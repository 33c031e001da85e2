"""Searches a folder written by `keras_mm.indexing.build_index`."""

import math
import os

import numpy as np

from keras_mm.indexing import index_files as files
from keras_mm.indexing.faiss_module import import_faiss
from keras_mm.indexing.faiss_storage import read_faiss_index
from keras_mm.indexing.index_choice import EXACT_LIMIT
from keras_mm.indexing.parquet import import_pyarrow


def _data_root(data):
    """The folder media names are relative to: `data` itself if it is a
    folder, else the folder holding it (a manifest or shard pattern)."""
    if not isinstance(data, str) or not data:
        return None
    data = os.path.abspath(data)
    return data if os.path.isdir(data) else os.path.dirname(data)


def _relative(name, root):
    if not isinstance(name, str) or not os.path.isabs(name):
        return name
    return os.path.relpath(name, root)


def _is_in_sorted(values, sorted_rows):
    """`np.isin` for sorted rows, without sorting them again per query;
    the -1 pads FAISS adds are never in them."""
    at = np.minimum(np.searchsorted(sorted_rows, values),
                    len(sorted_rows) - 1)
    return sorted_rows[at] == values


class FaissIndex:
    """A built index: FAISS above `exact_limit` vectors, NumPy below it.

    The FAISS index is the one `build_index` chose and tuned (its
    `index.json` says which): an inverted file searched `nprobe` lists
    wide, or a sharded compressed scan re-ranking `k_factor * k`
    candidates per shard.

    It answers as `keras_mm.serving.search_index.SearchIndex` does
    (`search_images`, `search_captions`, `len`), with an optional
    `where={"column": value}` filter: equality on metadata columns. The
    folder holds one modality's embeddings, so both searches rank the
    same rows; each result carries its media, caption and columns.

    Args:
        folder: str. An index folder (`keras-mm index build --out`).
        exact_limit: int. Up to this many vectors (or filtered rows) are
            searched exactly with NumPy.

    Example:
    ```python
    index = keras_mm.indexing.FaissIndex("photos_index")
    index.search(query, k=10, where={"label": "cat"})
    ```
    """

    def __init__(self, folder, exact_limit=EXACT_LIMIT):
        import_pyarrow()
        import pyarrow.parquet as pq

        if not files.is_index_folder(folder):
            raise FileNotFoundError(
                f"No built index at {folder} (no {files.DESCRIPTION}; run "
                "keras-mm index build)")
        self.folder = folder
        self.info = files.read_json(os.path.join(folder, files.DESCRIPTION))
        self.exact_limit = exact_limit
        # Memory-mapped: only the rows an exact search reads are loaded.
        self.embeddings = np.load(os.path.join(folder, files.EMBEDDINGS),
                                  mmap_mode="r")
        table = pq.read_table(os.path.join(folder, files.METADATA))
        self.columns = [c for c in table.column_names if c != "row"]
        self.metadata = {c: np.asarray(table.column(c).to_pylist(), object)
                         for c in self.columns}
        self.index = None
        if len(self) > exact_limit:
            self.index = read_faiss_index(folder, self.info)
        self.skipped = self.info.get("skipped", 0)
        # Results name media relative to the data's folder, never by a
        # server path; the search page serves them from `root`.
        self.root = _data_root(self.info.get("data"))
        if "media" in self.metadata and self.root:
            self.metadata["media"] = np.asarray(
                [_relative(m, self.root) for m in self.metadata["media"]],
                object)

    @property
    def images(self):
        """Every row's media name (relative to `root`)."""
        return list(self.metadata.get("media", ()))

    def __len__(self):
        return int(self.info["count"])

    def _rows(self, where):
        """Row numbers matching every `column == value`, or None for all."""
        if not where:
            return None
        if not isinstance(where, dict):
            raise ValueError('"filter" must be an object of column: value')
        keep = np.ones(len(self), bool)
        for column, value in where.items():
            if column not in self.metadata:
                raise ValueError(f'"filter": no column {column!r} (columns: '
                                 f'{", ".join(self.columns)})')
            keep &= self.metadata[column] == str(value)
        return np.flatnonzero(keep)

    def _exact(self, query, k, rows):
        vectors = self.embeddings if rows is None else self.embeddings[rows]
        scores = np.asarray(vectors, np.float32) @ query  # (N,)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        found = top if rows is None else rows[top]
        return found, scores[top]

    def _faiss(self, query, k, rows):
        if rows is not None and self.info.get("k_factor"):
            return self._scan_filtered(query, k, rows)
        faiss = import_faiss()
        params = None
        if rows is not None:
            selector = faiss.IDSelectorBatch(rows.astype(np.int64))
            nprobe = self.info.get("nprobe")
            params = (faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
                      if nprobe else faiss.SearchParameters(sel=selector))
        scores, found = self.index.search(query[None], k, params=params)
        keep = found[0] >= 0  # -1 pads when fewer rows match.
        return found[0][keep], scores[0][keep]

    def _scan_filtered(self, query, k, rows):
        """A filter on the sharded scan, which takes no ID selector: ask
        for `k / share` hits, twice over, and keep the matching ones.
        Each comes re-ranked exactly, so a match is a true score; when
        the filter keeps too few rows for that to pay, or fewer than `k`
        matches come back, the filtered rows are searched exactly."""
        fetch = math.ceil(2 * k * len(self) / len(rows))
        if fetch * self.info["k_factor"] >= len(rows):
            return self._exact(query, k, rows)
        scores, found = self.index.search(query[None], min(fetch,
                                                            len(self)))
        keep = _is_in_sorted(found[0], rows)
        if keep.sum() < min(k, len(rows)):
            return self._exact(query, k, rows)
        return found[0][keep][:k], scores[0][keep][:k]

    def search(self, query, k=5, where=None):
        """The `k` rows nearest `query` (a `(D,)` vector), best first, as
        dicts of rank, score, row and metadata columns."""
        query = np.asarray(query, np.float32).reshape(-1)
        if query.shape[0] != self.info["dim"]:
            raise ValueError(f"the query has {query.shape[0]} values; the "
                             f"index holds width {self.info['dim']}")
        rows = self._rows(where)
        if rows is not None and len(rows) == 0:
            return []
        exact = self.index is None or (rows is not None
                                       and len(rows) <= self.exact_limit)
        found, scores = (self._exact if exact else self._faiss)(query, k,
                                                                rows)
        return [{"rank": r + 1, "score": float(s), "row": int(i),
                 **{c: self.metadata[c][i] for c in self.columns}}
                for r, (i, s) in enumerate(zip(found, scores))]

    def search_images(self, query, k=5, where=None):
        """As `search`, with each row's media under `"image"`."""
        return [{"image": hit["media"], **hit}
                for hit in self.search(query, k, where)]

    def search_captions(self, query, k=5, where=None):
        return self.search(query, k, where)

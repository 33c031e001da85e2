"""Writes and reads the FAISS index of an index folder.

FAISS cannot serialize an `IndexShards`, so a sharded scan is written as
one file per shard and joined again on load; the rest is one file.
"""

import os

from keras_mm.indexing import index_files as files
from keras_mm.indexing.faiss_module import import_faiss
from keras_mm.indexing.index_choice import set_nprobe
from keras_mm.indexing.sharded_scan import join_shards
from keras_mm.indexing.sharded_scan import set_k_factor
from keras_mm.indexing.sharded_scan import shard_parts


def write_faiss_index(folder, index):
    """Writes `index` into `folder`, each file atomically; returns the
    paths written.

    Example:
    ```python
    write_faiss_index("photos_index", index)
    ```
    """
    faiss = import_faiss()
    if isinstance(index, faiss.IndexShards):
        parts = shard_parts(index)
        paths = [files.faiss_shard_path(folder, i) for i in range(len(parts))]
    else:
        parts, paths = [index], [os.path.join(folder, files.FAISS)]
    for part, path in zip(parts, paths):
        files.write_atomically(
            path, lambda tmp, part=part: faiss.write_index(part, tmp))
    return paths


def read_faiss_index(folder, info):
    """The index `write_faiss_index` wrote, set up as `info` (the
    folder's `index.json`) describes: `shards` files joined, `k_factor`
    and `nprobe` applied.

    Example:
    ```python
    info = index_files.read_json("photos_index/index.json")
    index = read_faiss_index("photos_index", info)
    ```
    """
    faiss = import_faiss()
    if not info.get("shards"):
        index = faiss.read_index(os.path.join(folder, files.FAISS))
        if info.get("nprobe"):
            set_nprobe(index, info["nprobe"])
        return index
    index = join_shards([faiss.read_index(files.faiss_shard_path(folder, i))
                         for i in range(info["shards"])])
    set_k_factor(index, info["k_factor"])
    return index

"""The files of an index folder, each written atomically.

    INDEX/build.json          what is being indexed (checked on resume)
    INDEX/shards/NNNNN.parquet one file per shard of rows: metadata + vectors
    INDEX/embeddings.npy      (N, D) float32 unit rows, in row order
    INDEX/metadata.parquet    one row per vector: media, caption, columns
    INDEX/index.faiss         the FAISS index, or, for a sharded scan:
    INDEX/index.NN.faiss      one file per shard (FAISS cannot save
                              an IndexShards)
    INDEX/index.json          the index's description; written last
"""

import json
import os

BUILD = "build.json"
SHARDS = "shards"
EMBEDDINGS = "embeddings.npy"
METADATA = "metadata.parquet"
FAISS = "index.faiss"
DESCRIPTION = "index.json"


def shard_path(folder, number):
    return os.path.join(folder, SHARDS, f"{number:05d}.parquet")


def faiss_shard_path(folder, number):
    return os.path.join(folder, f"index.{number:02d}.faiss")


def write_atomically(path, write):
    """Calls `write(temporary_path)`, then renames it over `path`, so a
    kill leaves either the old file or the new one, never half of one.

    Example:
    ```python
    write_atomically("a.json", lambda tmp: open(tmp, "w").write("{}"))
    ```
    """
    temporary = f"{path}.tmp-{os.getpid()}"
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def write_json(path, value):
    def write(temporary):
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump(value, f, indent=2, sort_keys=True)

    write_atomically(path, write)


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def is_index_folder(path):
    """True for a folder that `build_index` finished."""
    return os.path.isfile(os.path.join(path, DESCRIPTION))

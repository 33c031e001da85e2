"""Embeds a collection into an index folder, shard by shard.

Rows are cut into shards of `shard_size`; each shard's Parquet file is
written atomically once all its rows are embedded. A rerun after a kill
skips the shards already on disk and embeds only the rest. Once every
shard is there, the vectors are gathered, a FAISS index is chosen for
their number (`keras_mm.indexing.choose_index_spec`) and tuned until its
recall@10 against exact search, measured on a sample of the rows, meets
the target; an inverted file that needs a wide search gives way to a
sharded compressed scan (`index_choice.build_tuned_index`).
"""

import os
import time

import numpy as np

from keras_mm.indexing import index_files as files
from keras_mm.indexing.faiss_storage import write_faiss_index
from keras_mm.indexing.index_choice import DEFAULT_MEMORY_BUDGET
from keras_mm.indexing.index_choice import build_tuned_index
from keras_mm.indexing.parquet import import_pyarrow

RECALL_QUERIES = 200


def metadata_rows(pairs):
    """One dict of strings per pair: media, caption and reader columns."""
    rows = []
    for pair in pairs:
        media = pair.media if isinstance(pair.media, str) else pair.source
        row = {"media": media, "caption": pair.text}
        row.update({str(k): None if v is None else str(v)
                    for k, v in pair.meta.items()
                    if str(k) not in ("media", "caption", "embedding")})
        rows.append(row)
    return rows


def _columns(rows):
    return list(dict.fromkeys(key for row in rows for key in row))


def _write_shard(path, rows, columns, vectors):
    pa = import_pyarrow()
    import pyarrow.parquet as pq

    table = {name: pa.array([row.get(name) for row in rows], pa.string())
             for name in columns}
    table["row"] = pa.array([row["row"] for row in rows], pa.int64())
    flat = pa.array(np.ascontiguousarray(vectors, np.float32).ravel())
    table["embedding"] = pa.FixedSizeListArray.from_arrays(
        flat, vectors.shape[1])
    files.write_atomically(path, lambda tmp: pq.write_table(
        pa.table(table), tmp))


def _progress(total):
    import keras

    return keras.utils.Progbar(total, unit_name="row")


def build_index(pairs, embed, out, fingerprint="", shard_size=10_000,
                batch_size=64, memory_budget=DEFAULT_MEMORY_BUDGET,
                description=None, progress=True, seed=0):
    """Embeds `pairs` into the index folder `out` (resumable).

    Args:
        pairs: list of `keras_mm.data.Pair`, in a fixed order.
        embed: callable, a list of pairs → `(len, D)` float32 rows.
        out: str. The index folder.
        fingerprint: str. Names the data and the model; a rerun with
            another fingerprint into the same folder is refused.
        shard_size: int. Rows per shard (the unit of resumption).
        batch_size: int. Rows per call of `embed`.
        memory_budget: int. Bytes the index may take; above it the raw
            vectors are product-quantized (and never kept for
            re-ranking).
        description: dict merged into `index.json` (model, data...).
        progress: bool. Show a progress bar.

    Returns:
        dict: the contents of `index.json`.

    Example:
    ```python
    pairs = keras_mm.data.read_pairs("photos.csv")
    info = build_index(pairs, lambda b: embedder.embed_images(
        [p.media for p in b]), "photos_index")
    ```
    """
    if not pairs:
        raise ValueError(f"{out}: nothing to index (no readable rows)")
    if shard_size < 1 or batch_size < 1:
        raise ValueError("shard_size and batch_size must be >= 1")
    rows = metadata_rows(pairs)
    for number, row in enumerate(rows):
        row["row"] = number
    columns = [c for c in _columns(rows) if c != "row"]
    os.makedirs(os.path.join(out, files.SHARDS), exist_ok=True)
    plan = {"fingerprint": fingerprint, "rows": len(rows),
            "shard_size": shard_size, "columns": columns}
    build_json = os.path.join(out, files.BUILD)
    if os.path.exists(build_json):
        if files.read_json(build_json) != plan:
            raise ValueError(
                f"{out} holds a build of other data, another model or "
                "another --shard-size; use a new --out or delete it")
    else:
        files.write_json(build_json, plan)

    for name in os.listdir(os.path.join(out, files.SHARDS)):
        if ".tmp-" in name:  # Left by a killed build, mid-write.
            os.remove(os.path.join(out, files.SHARDS, name))
    start = time.perf_counter()
    shards = range(0, len(rows), shard_size)
    done = [s for s in shards
            if os.path.exists(files.shard_path(out, s // shard_size))]
    bar = _progress(len(rows)) if progress else None
    reused = sum(min(shard_size, len(rows) - s) for s in done)
    if bar is not None and reused:
        bar.update(reused)
    embedded = 0
    for first in shards:
        path = files.shard_path(out, first // shard_size)
        if os.path.exists(path):
            continue
        shard = slice(first, min(first + shard_size, len(rows)))
        chunks = []
        for at in range(shard.start, shard.stop, batch_size):
            batch = pairs[at:min(at + batch_size, shard.stop)]
            chunks.append(np.asarray(embed(batch), np.float32))
            embedded += len(batch)
            if bar is not None:
                bar.update(reused + embedded)
        vectors = np.concatenate(chunks)
        # Unit rows: inner product is then cosine similarity.
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1,
                                             keepdims=True), 1e-12)
        _write_shard(path, rows[shard], columns, vectors)
    info = finish_index(out, columns, memory_budget, seed)
    info.update(description or {})
    info.update(rows_embedded=embedded, rows_reused=reused,
                build_seconds=time.perf_counter() - start)
    files.write_json(os.path.join(out, files.DESCRIPTION), info)
    return info


def read_shards(out, count):
    """`(vectors (N, D), metadata table)` gathered from every shard."""
    pa = import_pyarrow()
    import pyarrow.parquet as pq

    names = sorted(os.listdir(os.path.join(out, files.SHARDS)))
    tables = [pq.read_table(os.path.join(out, files.SHARDS, n))
              for n in names if n.endswith(".parquet")]
    table = pa.concat_tables(tables)
    if table.num_rows != count:
        raise ValueError(f"{out}: the shards hold {table.num_rows} rows, "
                         f"the build {count}")
    column = table.column("embedding").combine_chunks()
    dim = column.type.list_size
    vectors = column.flatten().to_numpy().reshape(-1, dim)
    return vectors.astype(np.float32), table.drop_columns(["embedding"])


def finish_index(out, columns, memory_budget, seed=0):
    """Writes embeddings, metadata and the FAISS index; returns index.json
    fields (index_spec, nprobe, shards, k_factor, recall_at_10...)."""
    import pyarrow.parquet as pq

    plan = files.read_json(os.path.join(out, files.BUILD))
    vectors, metadata = read_shards(out, plan["rows"])
    def save_vectors(temporary):
        with open(temporary, "wb") as f:  # np.save would add ".npy".
            np.save(f, vectors)

    files.write_atomically(os.path.join(out, files.EMBEDDINGS),
                           save_vectors)
    files.write_atomically(os.path.join(out, files.METADATA),
                           lambda tmp: pq.write_table(metadata, tmp))
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(len(vectors),
                                min(RECALL_QUERIES, len(vectors)),
                                replace=False))
    index, fields = build_tuned_index(vectors, vectors[sample],
                                      query_rows=sample,
                                      memory_budget=memory_budget,
                                      seed=seed)
    write_faiss_index(out, index)
    return {"format": 1, "count": int(len(vectors)),
            "dim": int(vectors.shape[1]), "metric": "inner_product",
            **fields, "recall_queries": int(len(sample)),
            "columns": columns}

"""FAISS against exact NumPy search on a million unit vectors of width 512.

The index is the one `keras-mm index build` would build
(`keras_mm.indexing.index_choice.build_tuned_index`): chosen for the
size, tuned on one held-out query set to recall@10 >= 0.95 (`nprobe`, or
`k_factor` when the inverted file needed a wide search and gave way to
the sharded compressed scan), then measured on another.
The baseline is exact search as NumPy does it best: one matrix-vector
product and an `argpartition` of the scores. Latencies are one query at a
time (what a /search request does), p50 over the evaluation queries.

Vectors are random unit vectors around random centres (`--data clustered`,
the default), as embeddings of a real collection cluster by content.
`--data uniform` draws them uniformly on the sphere: no vector is then
much nearer a query than the rest, an inverted file cannot skip lists
without losing recall, and the builder falls back to the sharded scan.

`--embeddings FOLDER` takes a real collection instead: the unit rows a
`keras-mm index build` wrote (`FOLDER/embeddings.npy`, or any `.npy`),
from which `2 x --queries` rows are held out as the tuning and the
evaluation queries (image-to-image search) and the rest is indexed.

    python benchmarks/index_scale.py           # 1 M x 512 (2 GB), minutes
    python benchmarks/index_scale.py --tiny    # 30 k x 512, seconds
    python benchmarks/index_scale.py --tiny --data uniform
    python benchmarks/index_scale.py --embeddings photos_index \
        --queries 1000 --out benchmarks/results/index_scale_collection.json

Writes benchmarks/results/index_scale.json (recall_at_10,
latency_ratio_p50, index_spec, nprobe, shards, k_factor, build time with
the tuning, index size, machine).
"""

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

import common  # noqa: E402

from keras_mm.indexing.faiss_storage import write_faiss_index  # noqa: E402
from keras_mm.indexing.index_choice import build_tuned_index  # noqa: E402
from keras_mm.indexing.query_timing import median_query_ms  # noqa: E402
from keras_mm.indexing.recall import exact_top_k  # noqa: E402
from keras_mm.indexing.recall import recall_at_k  # noqa: E402

POINTS_PER_CENTRE = 1000


def unit_vectors(count, dim, data, rng, centres=None, chunk=65536):
    """`(count, dim)` float32 unit rows, built in chunks (no float64 copy)."""
    out = np.empty((count, dim), np.float32)
    for start in range(0, count, chunk):
        rows = rng.standard_normal((min(chunk, count - start), dim),
                                   dtype=np.float32)
        if data == "clustered":
            # Unit noise of the centre's own size: 45 degrees off it.
            rows /= np.sqrt(dim, dtype=np.float32)
            rows += centres[rng.integers(0, len(centres), len(rows))]
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        out[start:start + len(rows)] = rows
    return out


def held_out_rows(path, queries, seed=0):
    """`(collection, tuning, evaluation)` from the rows saved at `path`
    (an index folder or a `.npy`): `queries` rows each for the two query
    sets, drawn at random and removed from the collection."""
    if os.path.isdir(path):
        path = os.path.join(path, "embeddings.npy")
    try:
        rows = np.load(path, mmap_mode="r")
    except (OSError, ValueError) as error:
        raise ValueError(f"--embeddings {path}: expected a .npy of unit "
                         f"rows (an index folder's embeddings.npy): {error}")
    if rows.ndim != 2 or len(rows) < 2 * queries + 10:
        raise ValueError(f"--embeddings {path}: expected (N, D) rows with N "
                         f"of at least {2 * queries + 10} (2 x --queries "
                         f"held out, and some to index); got shape "
                         f"{rows.shape}")
    order = np.random.default_rng(seed).permutation(len(rows))
    tuning, evaluation = order[:queries], order[queries:2 * queries]
    kept = np.sort(order[2 * queries:])
    rows = np.asarray(rows, np.float32)
    return rows[kept], rows[tuning], rows[evaluation], path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--data", choices=("clustered", "uniform"),
                        default="clustered")
    parser.add_argument("--exact-limit", type=int, default=None,
                        help="rows searched exactly (default: the "
                        "builder's); lower it to reach FAISS at small sizes")
    parser.add_argument("--embeddings", default=None,
                        help="a real collection: an index folder (its "
                        "embeddings.npy) or a .npy of unit rows")
    parser.add_argument("--tiny", action="store_true",
                        help="30 k vectors: a smoke run")
    parser.add_argument("--out", default=None,
                        help="JSON path (default: benchmarks/results/"
                        "index_scale.json)")
    args = parser.parse_args(argv)
    if args.embeddings:
        try:
            vectors, tuning, queries, source = held_out_rows(
                args.embeddings, args.queries)
        except ValueError as error:
            print(f"index_scale.py: {error}", file=sys.stderr)
            return 2
        count, dim, data = len(vectors), vectors.shape[1], "embeddings"
    else:
        count = 30_000 if args.tiny else args.count
        dim, data = args.dim, args.data
        rng = np.random.default_rng(0)
        centres = unit_vectors(max(1, count // POINTS_PER_CENTRE), dim,
                               "uniform", rng)
        vectors = unit_vectors(count, dim, data, rng, centres)
        tuning = unit_vectors(args.queries, dim, data, rng, centres)
        queries = unit_vectors(args.queries, dim, data, rng, centres)

    start = time.perf_counter()
    index, fields = build_tuned_index(vectors, tuning,
                                      exact_limit=args.exact_limit)
    build_s = time.perf_counter() - start
    _, found = index.search(queries, 10)
    recall = recall_at_k(found, exact_top_k(vectors, queries, 10))
    with tempfile.TemporaryDirectory() as folder:
        index_bytes = sum(os.path.getsize(path)
                          for path in write_faiss_index(folder, index))

    numpy_p50 = median_query_ms(lambda q: exact_top_k(vectors, q, 10),
                                queries)
    faiss_p50 = median_query_ms(lambda q: index.search(q, 10), queries)
    figures = {
        "recall_at_10": recall,
        "latency_ratio_p50": faiss_p50 / numpy_p50,
        "faiss_p50_ms": faiss_p50,
        "numpy_p50_ms": numpy_p50,
        "build_s": build_s,
        "index_bytes": index_bytes,
        "raw_bytes": int(vectors.nbytes),
        "index_spec": fields["index_spec"],
        "nprobe": fields["nprobe"],
        "shards": fields["shards"],
        "k_factor": fields["k_factor"],
        "tuning_recall_at_10": fields["recall_at_10"],
        "count": count,
        "dim": dim,
        "data": data,
        "queries": args.queries,
        "targets": {"recall_at_10": 0.95, "latency_ratio_p50": 0.05},
        "machine": common.machine(device="cpu"),
    }
    if args.embeddings:
        figures["embeddings"] = os.path.abspath(source)
    figures["meets_targets"] = (recall >= 0.95
                                and figures["latency_ratio_p50"] <= 0.05)
    if args.out:
        import json

        with open(args.out, "w") as f:
            json.dump(figures, f, indent=2, sort_keys=True)
        path = args.out
    else:
        path = common.write_results("index_scale", figures)
    common.print_table(
        [[fields["index_spec"], fields["nprobe"], fields["shards"],
          fields["k_factor"], f"{recall:.3f}", f"{faiss_p50:.2f}",
          f"{numpy_p50:.2f}", f"{figures['latency_ratio_p50']:.4f}",
          f"{build_s:.1f}", index_bytes]],
        ["index", "nprobe", "shards", "k_factor", "recall@10", "faiss ms",
         "numpy ms", "ratio", "build s", "bytes"])
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

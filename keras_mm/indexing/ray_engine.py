"""Embeds a shard on a Ray cluster with Ray Data: one model replica per
CPU slot, each loading the model once and embedding batches of rows.

`keras-mm index build --engine ray` uses it; the shards, their files and
the resumption are the in-process build's (`build_index`), so both engines
write the same folder.
"""

import os

import numpy as np

from keras_mm.dependency_error import MissingDependencyError


def import_ray():
    """Returns the `ray` module (with Ray Data) or raises
    `MissingDependencyError`.

    Example:
    ```python
    ray = import_ray()
    ```
    """
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise MissingDependencyError(
            "--engine ray needs Ray Data: pip install 'keras_mm[ray]'"
        ) from None
    return ray


class _Replica:
    """One model replica inside a Ray Data actor."""

    def __init__(self, model, modality, vocabulary, backend):
        os.environ["KERAS_BACKEND"] = backend
        from keras_mm.indexing.pair_embedding import pair_embed_fn
        from keras_mm.inference.embedder import Embedder

        self.embed = pair_embed_fn(
            Embedder.from_spec(model, vocabulary=vocabulary), modality)

    def __call__(self, batch):
        from keras_mm.data.pair import Pair

        pairs = [Pair(m if isinstance(m, str) else bytes(m), str(t))
                 for m, t in zip(batch["media"], batch["text"])]
        return {"row": batch["row"],
                "embedding": np.asarray(self.embed(pairs), np.float32)}


def connect(address=None, num_cpus=2):
    """Joins the Ray cluster at `address`, or starts a local one with
    `num_cpus` slots on the loopback interface.

    Example:
    ```python
    connect()             # ray.init(num_cpus=2) on 127.0.0.1
    connect("auto")       # the cluster `ray start --head` started
    ```
    """
    ray = import_ray()
    if ray.is_initialized():
        return ray
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(num_cpus=num_cpus, include_dashboard=False,
                 _node_ip_address="127.0.0.1", log_to_driver=False)
    return ray


def ray_embed_fn(model, modality="image", vocabulary=None, replicas=2,
                 batch_size=64, backend=None):
    """A callable: list of pairs → `(len, D)` float32 rows, embedded by
    `replicas` Ray Data actors (one CPU each). Call `connect` first.

    Example:
    ```python
    connect(num_cpus=2)
    embed = ray_embed_fn("model.keras", replicas=2)
    build_index(pairs, embed, "index", batch_size=10_000)  # one shard a call
    ```
    """
    ray = import_ray()
    backend = backend or os.environ.get("KERAS_BACKEND", "jax")
    model = os.path.abspath(model) if os.path.exists(model) else model
    vocabulary = vocabulary and os.path.abspath(vocabulary)

    def embed(pairs):
        items = [{"row": i, "text": p.text,
                  "media": (os.path.abspath(p.media)
                            if isinstance(p.media, str) else p.media)}
                 for i, p in enumerate(pairs)]
        out = ray.data.from_items(items).map_batches(
            _Replica, fn_constructor_kwargs=dict(
                model=model, modality=modality, vocabulary=vocabulary,
                backend=backend),
            batch_size=batch_size, concurrency=replicas, num_cpus=1,
            batch_format="numpy").take_all()
        out.sort(key=lambda r: int(r["row"]))
        return np.stack([r["embedding"] for r in out]).astype(np.float32)

    return embed

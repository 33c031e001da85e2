"""`keras-mm serve --engine ray`: the service as Ray Serve deployments.

Two layouts, both behind Ray Serve's proxy (the front layer: HTTP and load
balancing over the replicas):

```
one hop (front_replicas=0, the default):
HTTP ─▶ Ray Serve proxy ─▶ service (N replicas): validation, limits,
                           preprocessing, cache, search index, micro-
                           batching and the model, as `keras-mm serve`

two layers (front_replicas=N_f):
HTTP ─▶ Ray Serve proxy ─▶ front (N_f replicas)  ─▶ towers (N replicas)
                           validation, limits,      the model; @serve.batch
                           preprocessing, cache,    groups items from every
                           search index             front replica
```

The one-hop layout makes a request cross one Ray call instead of two, which
on a few cores is the difference between replicas that scale and replicas
that wait on Ray's own work (benchmarks/README.md, "Ray Serve replicas"); its
replicas share cached embeddings through `--cache redis://…`. The two-layer
layout puts preprocessing, cache and index on their own replicas (e.g. on
CPU nodes ahead of GPU towers).

Every replica that runs the model claims cores of its own
(`keras_mm.serving.core_claims`) and runs `cpus_per_replica` compute
threads, so replicas on one machine do not fight over cores. The front
replicas run the same app as `keras-mm serve` (`build_app`: endpoints,
request models, limits, errors, search page), with the model calls sent
to the tower deployment instead of a local micro-batcher.

Known differences from the one-process server: a front replica loads the
model too (its preprocessing lives in the `.keras` file) but never
compiles or runs it; read and idle timeouts are Ray's proxy's; `/metrics`
is one replica's (Ray exports its own metrics).
"""

import asyncio
import dataclasses
import os

import numpy as np
from ray import serve

from keras_mm.serving.core_claims import claim_cores
from keras_mm.serving.embedding_service import embed_items
from keras_mm.serving.serving_limits import ServingLimits

APP_NAME = "keras_mm"


def thread_env(backend, threads):
    """Environment variables limiting a replica's backend to `threads`
    compute threads (read when the backend is first imported)."""
    threads = str(threads)
    return {
        "KERAS_BACKEND": backend,
        "OMP_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "TF_NUM_INTRAOP_THREADS": threads,
        "TF_NUM_INTEROP_THREADS": "1",
        "XLA_FLAGS": (f"--xla_cpu_multi_thread_eigen={threads != '1'} "
                      f"intra_op_parallelism_threads={threads}").lower(),
        # A replica is one process; keep Keras' own output quiet.
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }


class Towers:
    """The compute layer: one model copy per replica; items sent by the
    front replicas are batched per modality (`serve.batch`).

    Args:
        config: dict of `load_runtime` arguments (`model`, `runtime`,
            `litert_mode`, `buckets`).
        max_batch_size: int. Largest model batch.
        max_wait_ms: float. How long a batch waits to fill.
        cpus: int. Cores the replica claims.
    """

    def __init__(self, config, max_batch_size=32, max_wait_ms=2.0,
                 cpus=1):
        from keras_mm.serving.server import load_runtime

        self.cores = claim_cores(cpus)
        self.runtime, _, _ = load_runtime(**config)
        self.runtime.warmup()
        for modality in ("text", "image", "audio"):
            method = getattr(self, f"embed_{modality}")
            method.set_max_batch_size(max_batch_size)
            method.set_batch_wait_timeout_s(max_wait_ms / 1000)

    async def _batch(self, modality, items):
        # The model runs off the replica's event loop, which keeps
        # receiving the next batch's items meanwhile.
        return await asyncio.to_thread(embed_items, self.runtime, modality,
                                       items)

    @serve.batch(max_batch_size=32, batch_wait_timeout_s=0.002)
    async def embed_text(self, items):
        return await self._batch("text", items)

    @serve.batch(max_batch_size=32, batch_wait_timeout_s=0.002)
    async def embed_image(self, items):
        return await self._batch("image", items)

    @serve.batch(max_batch_size=32, batch_wait_timeout_s=0.002)
    async def embed_audio(self, items):
        return await self._batch("audio", items)


class RemoteBatcher:
    """In a front replica, stands in for a modality's `MicroBatcher`:
    each item goes to the towers, which batch across front replicas.
    Items in flight count against `max_pending` (503 beyond)."""

    def __init__(self, method, max_pending):
        self.method = method
        self.max_pending = max_pending
        self.pending = 0

    def has_room(self, count):
        return self.pending + count <= self.max_pending

    async def submit(self, item):
        self.pending += 1
        try:
            return np.asarray(await self.method.remote(item), np.float32)
        finally:
            self.pending -= 1


class ServedApp:
    """A replica serving `self.service` with `self.limits` through the app
    of `keras-mm serve` (`build_app`), which Ray Serve's ingress asks for."""

    def __serve_build_asgi_app__(self):
        from keras_mm.serving.app import build_app

        return build_app(self.service, limits=self.limits)


class Front(ServedApp):
    """The front layer: request validation, limits, preprocessing, cache
    and search (the app of `build_app`), one per front replica.

    Args:
        towers: the tower deployment's handle.
        config: dict of `load_service` arguments.
        limits: dict of `ServingLimits` fields.
    """

    def __init__(self, towers, config, limits):
        from keras_mm.serving.server import limits_from_json
        from keras_mm.serving.server import load_service

        self.service = load_service(**config, warmup=False)
        self.service.batchers = {
            m: RemoteBatcher(getattr(towers, f"embed_{m}"),
                             self.service.max_queue)
            for m in self.service.modalities}
        self.limits = limits_from_json(limits)


class ServiceReplica(ServedApp):
    """The whole service in each replica: the app of `build_app` with its
    own micro-batchers and model, so a request makes one hop from the
    proxy (the front layer) to the replica that runs it.

    Args:
        config: dict of `load_service` arguments.
        limits: dict of `ServingLimits` fields.
        cpus: int. Cores the replica claims.
    """

    def __init__(self, config, limits, cpus=1):
        from keras_mm.serving.server import limits_from_json
        from keras_mm.serving.server import load_service

        self.cores = claim_cores(cpus)
        self.service = load_service(**config)
        self.limits = limits_from_json(limits)


def deployments(config, limits=None, replicas=1, max_replicas=None,
                front_replicas=0, cpus_per_replica=1, backend=None):
    """The bound Ray Serve application: `ServiceReplica`s, or with
    `front_replicas` `Front` over `Towers`.

    Args:
        config: dict of `load_service` arguments (JSON-serialisable).
        limits: `ServingLimits`.
        replicas: int. Replicas running the model; with `max_replicas`,
            the lower bound of autoscaling.
        max_replicas: int. Upper bound of autoscaling (None: fixed).
        front_replicas: int. 0: each replica runs the whole service (one
            hop); N: N front replicas ahead of the tower replicas.
        cpus_per_replica: int. CPUs (and compute threads) of each replica
            running the model.
        backend: str. The Keras backend of every replica (default: this
            process's).

    Example:
    ```python
    app = deployments({"model": "run/model.keras"}, replicas=2)
    serve.run(app, name="keras_mm", route_prefix="/")
    ```
    """
    from keras_mm.backend import name

    backend = backend or name()
    limits = dataclasses.asdict(limits or ServingLimits())
    max_batch_size = config.get("max_batch_size", 32)
    tower_config = {key: config[key] for key in
                    ("model", "runtime", "litert_mode", "buckets")
                    if key in config}
    scaling = ({"num_replicas": replicas} if not max_replicas else {
        "autoscaling_config": {
            "min_replicas": replicas, "max_replicas": max_replicas,
            # A replica counts as busy with a full batch waiting.
            "target_ongoing_requests": max_batch_size}})
    # At least the service's own queue bound, so a full queue is answered
    # by the service's 503 rather than held in Ray's proxy.
    max_ongoing = max(2 * max_batch_size, config.get("max_queue", 1024))
    actor_options = {
        "num_cpus": cpus_per_replica,
        "runtime_env": {"env_vars": thread_env(backend, cpus_per_replica)}}
    if not front_replicas:
        service = serve.deployment(
            serve.ingress()(ServiceReplica), name="service",
            max_ongoing_requests=max_ongoing,
            ray_actor_options=actor_options, **scaling)
        return service.bind(config, limits, cpus_per_replica)
    towers = serve.deployment(
        Towers, name="towers", max_ongoing_requests=max_ongoing,
        ray_actor_options=actor_options, **scaling)
    front = serve.deployment(
        serve.ingress()(Front), name="front", num_replicas=front_replicas,
        max_ongoing_requests=1024,
        ray_actor_options={
            "num_cpus": 0,
            "runtime_env": {"env_vars": thread_env(backend, 1)}})
    return front.bind(towers.bind(tower_config,
                                  max_batch_size=max_batch_size,
                                  max_wait_ms=config.get("max_wait_ms", 2.0),
                                  cpus=cpus_per_replica),
                      config, limits)


def serve_on_ray(config, host="127.0.0.1", port=8000, address=None,
                 blocking=True, ready=None, **deployment_options):
    """Starts (or joins, with `address`) a Ray cluster, Ray Serve's proxy
    on `host:port` and the application of `deployments`; with `blocking`
    serves until interrupted, then shuts Serve down.

    Example:
    ```python
    serve_on_ray({"model": "run/model.keras"}, port=8000, replicas=2)
    ```
    """
    import ray

    # Ray's 5 s proxy start check fails on a busy machine (the proxy
    # imports for longer); read by the cluster this call starts.
    os.environ.setdefault("RAY_SERVE_PROXY_READY_CHECK_TIMEOUT_S", "60")
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False,
                 log_to_driver=False, configure_logging=False)
    serve.start(http_options={"host": host, "port": port},
                logging_config={"log_level": "WARNING"})
    serve.run(deployments(config, **deployment_options), name=APP_NAME,
              route_prefix="/")
    if ready is not None:
        ready()
    if not blocking:
        return
    try:
        asyncio.run(_forever())
    except KeyboardInterrupt:
        pass
    finally:
        serve.shutdown()


async def _forever():
    while True:
        await asyncio.sleep(3600)

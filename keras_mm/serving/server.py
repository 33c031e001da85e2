"""Loading a model for serving and running uvicorn (also in a thread, or
as several worker processes)."""

import hashlib
import json
import os
import socket
import threading
import time

import dataclasses

from keras_mm.indexing.index_files import is_index_folder
from keras_mm.serving.app import build_app
from keras_mm.serving.embedding_service import EmbeddingService
from keras_mm.serving.runtimes import DEFAULT_BUCKETS
from keras_mm.serving.runtimes import KerasRuntime
from keras_mm.serving.runtimes import LiteRTRuntime
from keras_mm.serving.search_index import SearchIndex
from keras_mm.serving.search_index import index_root
from keras_mm.serving.serving_limits import ServingLimits
from keras_mm.serving.serving_metrics import MULTIPROC_ENV


def _model_files(model):
    """`--model` is a `.keras` file, a run or quickstart folder (holding
    `model.keras`) or an export folder (holding `export.json`)."""
    if os.path.isdir(model):
        directory, path = model, os.path.join(model, "model.keras")
    else:
        directory, path = os.path.dirname(os.path.abspath(model)), model
    return directory, path


INDEX_FOLDER = "serve_index"


def load_service(model, runtime=None, vocabulary=None,
                 litert_mode="float32", index=None, index_dir=None,
                 data_options=None, buckets=DEFAULT_BUCKETS, warmup=True,
                 **service_kwargs):
    """Builds a ready `EmbeddingService` from files on disk.

    Args:
        model: str. A `.keras` file (e.g. `RUN/model.keras`), a run or
            quickstart folder (holding `model.keras`; a quickstart folder
            also `vocab.txt` and `litert/`), or a `keras-mm export` folder
            (holding `export.json`, the towers and their preprocessing).
        runtime: str. `"keras"` or `"litert"`; default `"litert"` for an
            export folder, else `"keras"`.
        vocabulary: str. `vocab.txt` of a model without its own tokenizer;
            default: next to the model.
        litert_mode: str. Which `litert/<modality>_<mode>.tflite` files of
            a quickstart folder to serve.
        index: str. Pairs to index for `/search` (a manifest, image folder,
            COCO JSON or shards; see `keras_mm.data.sources.read_pairs`);
            None: no `/search`.
        index_dir: str. Where the index is saved; default
            `serve_index/` in the model's folder (never beside the data).
        data_options: dict of `read_pairs` column options for `index`
            (`media_key`, `caption_key`, `label_key`, `separator`).
        buckets: batch sizes the Keras runtime compiles.
        warmup: bool. Compile and run every bucket before serving.
        **service_kwargs: passed to `EmbeddingService`.

    Example:
    ```python
    service = load_service("run/model.keras", index="pairs.csv",
                           data_options={"media_key": "filepath"})
    service = load_service("export/", index="pairs.csv")  # LiteRT
    ```
    """
    directory = _model_files(model)[0]
    backend, own, model_id = load_runtime(model, runtime, litert_mode,
                                          buckets)
    preprocessor = None
    if "image" in own:
        service_kwargs.setdefault("image_preprocessor", own["image"])
    if "text" in own and vocabulary is None:
        preprocessor = own["text"]
    elif "text" in backend.modalities:
        from keras_mm.data.text_preprocessor import TextPreprocessor

        vocabulary = vocabulary or os.path.join(directory, "vocab.txt")
        if not os.path.exists(vocabulary):
            raise FileNotFoundError(f"No vocabulary at {vocabulary}")
        (length,), _ = backend.input_specs["text"]["token_ids"]
        preprocessor = TextPreprocessor.from_vocabulary_file(
            vocabulary, sequence_length=length
        )
    if service_kwargs.get("cache_url"):
        service_kwargs.setdefault("cache_namespace", cache_namespace(
            model_id, backend.name,
            vocabulary if preprocessor is not own.get("text") else None))
    service = EmbeddingService(backend, preprocessor, **service_kwargs)
    if warmup:
        service.warmup()
    if index is not None and is_index_folder(index):
        from keras_mm.indexing import FaissIndex

        # Built by `keras-mm index build`: loaded as it is, never rebuilt.
        service.index, service.index_loaded = FaissIndex(index), True
        service.index_root = service.index.root
    elif index is not None:
        index_dir = index_dir or os.path.join(directory, INDEX_FOLDER)
        service.index, service.index_loaded = SearchIndex.build_or_load(
            service, index, index_dir, model_id, data_options
        )
        # Where `/images/<name>` finds the files the index names.
        service.index_root = index_root(index)
    return service


def load_runtime(model, runtime=None, litert_mode="float32",
                 buckets=DEFAULT_BUCKETS):
    """The runtime serving `model` (see `load_service` for the arguments),
    the preprocessing the model carries (`{modality: preprocessor}`) and
    an id naming the model's files and their modification time.

    Example:
    ```python
    runtime, preprocessors, model_id = load_runtime("run/model.keras")
    ```
    """
    from keras_mm.export.export_folder import is_export_folder

    directory, path = _model_files(model)
    exported = os.path.isdir(model) and is_export_folder(model)
    runtime = runtime or ("litert" if exported else "keras")
    own = {}
    if exported:
        if runtime != "litert":
            raise ValueError(
                f"{model} is an export folder (no .keras model); serve it "
                "with --runtime litert")
        from keras_mm.export.preprocessing_assets import load_preprocessors

        backend = LiteRTRuntime.from_export_folder(directory)
        own = load_preprocessors(directory, backend.modalities)
        model_id = ",".join(sorted(backend.paths.values()))
        model_file = os.path.join(directory, "export.json")
    elif runtime == "keras":
        backend = KerasRuntime(path, buckets=buckets)
        model_id = model_file = path
        # A self-contained model (a pretrained start, a run's model.keras)
        # carries its tokenizer and image preprocessing.
        own = dict(getattr(backend.model, "preprocessors", None) or {})
    elif runtime == "litert":
        backend = LiteRTRuntime.from_directory(
            os.path.join(directory, "litert"), mode=litert_mode
        )
        model_id = ",".join(sorted(backend.paths.values()))
        model_file = model_id.split(",")[0]
    else:
        raise ValueError(
            f"runtime must be 'keras' or 'litert'. Received: {runtime!r}"
        )
    model_id += f"@{os.path.getmtime(model_file)}"
    return backend, own, model_id


def cache_namespace(model_id, runtime_name, vocabulary=None):
    """The part of shared-cache keys that names what computes an
    embedding: the model file (path and modification time), the runtime
    (a LiteRT model's files name its float32/int8 mode) and a separate
    vocabulary file. Services agreeing on it share cached embeddings;
    a retrained or re-exported model starts afresh.

    Example:
    ```python
    cache_namespace("run/model.keras@1700000000.0", "keras")  # 'a1b2...'
    ```
    """
    parts = [model_id, runtime_name]
    if vocabulary is not None:
        parts += [os.path.abspath(vocabulary),
                  str(os.path.getmtime(vocabulary))]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def free_port(host="127.0.0.1"):
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def uvicorn_config(app, limits=None, **kwargs):
    """A `uvicorn.Config` with the limits' timeouts: idle keep-alive, and
    a deadline for each request head (`header_timeout.protocol_class`).

    Example:
    ```python
    config = uvicorn_config(app, ServingLimits(), host="127.0.0.1")
    uvicorn.Server(config).run()
    ```
    """
    import uvicorn

    from keras_mm.serving.header_timeout import protocol_class

    limits = limits or ServingLimits()
    kwargs.setdefault("http", protocol_class())
    config = uvicorn.Config(
        app, timeout_keep_alive=max(1, round(limits.idle_timeout_s)),
        # h11 buffers at most this much of an unfinished request head.
        h11_max_incomplete_event_size=64 * 1024, **kwargs)
    config.header_timeout_s = limits.read_timeout_s
    return config


class ServerThread:
    """Runs uvicorn on `host:port` in a daemon thread (tests, benchmarks).

    Args:
        app: the ASGI app.
        limits: `ServingLimits` whose timeouts the server applies (the
            app applies the rest); default `app.limits` if it has one.

    Example:
    ```python
    with ServerThread(build_app(service)) as server:
        httpx.get(server.url + "/healthz")
    ```
    """

    def __init__(self, app, host="127.0.0.1", port=None, limits=None,
                 **uvicorn_kwargs):
        import uvicorn

        self.host = host
        self.port = port or free_port(host)
        config = uvicorn_config(app, limits or getattr(app, "limits", None),
                                host=host, port=self.port,
                                log_level="warning", lifespan="off",
                                **uvicorn_kwargs)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    def start(self, timeout=30.0):
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on {self.url}")
            time.sleep(0.01)
        return self

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def serve(service, host="127.0.0.1", port=8000, limits=None):
    """Serves until interrupted (the `keras-mm serve` command)."""
    import uvicorn

    limits = limits or ServingLimits()
    uvicorn.Server(uvicorn_config(build_app(service, limits=limits),
                                  limits, host=host, port=port,
                                  log_level="info")).run()


# The environment variable through which `serve_workers` hands each worker
# process the arguments of `load_service` (JSON).
WORKER_CONFIG_ENV = "KERAS_MM_SERVE_CONFIG"


def app_from_environment():
    """The app of one uvicorn worker process (a uvicorn app factory).

    Reads `load_service` arguments and `limits` (the fields of
    `ServingLimits`) from `$KERAS_MM_SERVE_CONFIG`, loads and warms up its
    own copy of the model, and serves it with its own micro-batcher and
    cache; its metrics go to `$PROMETHEUS_MULTIPROC_DIR` when set.

    Example:
    ```python
    os.environ[WORKER_CONFIG_ENV] = json.dumps({"model": "demo_model"})
    app = app_from_environment()
    ```
    """
    config = json.loads(os.environ[WORKER_CONFIG_ENV])
    limits = limits_from_json(config.pop("limits", {}))
    if MULTIPROC_ENV in os.environ:
        import atexit

        from prometheus_client import multiprocess

        # Its cache-size gauge leaves the sum when it exits.
        atexit.register(multiprocess.mark_process_dead, os.getpid())
    if "buckets" in config:
        config["buckets"] = tuple(config["buckets"])
    return build_app(load_service(**config), limits=limits)


def limits_from_json(fields):
    """`ServingLimits` from its fields as JSON gives them back (the API
    keys a list), as worker processes and Ray replicas receive them."""
    fields = dict(fields)
    fields["api_keys"] = tuple(fields.get("api_keys", ()))
    return ServingLimits(**fields)


def serve_workers(config, host="127.0.0.1", port=8000, workers=2):
    """Serves with `workers` uvicorn processes until interrupted.

    Each worker loads the model from `config` (the keyword arguments of
    `load_service`, JSON-serialisable, plus `limits`: a `ServingLimits`)
    through `app_from_environment`; they share the listening socket.
    Caches, micro-batchers and rate limits are per worker; `/metrics`
    sums all workers (prometheus_client's multiprocess mode, in a fresh
    `$PROMETHEUS_MULTIPROC_DIR` removed on exit). Build a search index
    before (it is then loaded from disk, not rebuilt, by every worker).
    """
    import shutil
    import tempfile

    from uvicorn.supervisors import Multiprocess

    config = dict(config)
    limits = config.pop("limits", None) or ServingLimits()
    os.environ[WORKER_CONFIG_ENV] = json.dumps(
        {**config, "limits": dataclasses.asdict(limits)})
    # Read by each worker's prometheus_client when it is first imported;
    # a previous run's files would be summed in, so the folder is new.
    metrics_dir = tempfile.mkdtemp(prefix="keras_mm_metrics_")
    os.environ[MULTIPROC_ENV] = metrics_dir
    # uvicorn.run's own path for workers, with our protocol and timeouts.
    uvicorn_settings = uvicorn_config(
        "keras_mm.serving.server:app_from_environment", limits,
        factory=True, host=host, port=port, workers=workers,
        log_level="info")
    try:
        Multiprocess(uvicorn_settings,
                     sockets=[uvicorn_settings.bind_socket()]).run()
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)

"""The Starlette app: JSON and multipart endpoints over an EmbeddingService.

Endpoints:
- `POST /embed/text`   `{"texts": [str, ...]}` (or `"text"`; multipart
  fields `text`) → `{"embeddings": [[float]], "dim": D}`.
- `POST /embed/image`  `{"images": [base64, ...]}` (or `"image"`; multipart
  files `image`) → same.
- `POST /embed/audio`  `{"audio": [[float, ...]]}`; 422 when the model has
  no audio encoder.
- `POST /search`  `{"text": str, "k": 5}` → top-k images, or
  `{"image": base64, "k": 5}` → top-k captions (multipart works too).
- `GET /healthz`, `GET /metrics` (Prometheus text; `?format=json`). With
  `keras-mm serve --workers N` every worker process has its own model,
  cache, batcher and metrics: `/metrics` describes the worker that
  answered (`worker_pid` in `/healthz` names it).
Errors are JSON `{"error": message}` with a 4xx status. Embedding responses
carry `X-Cache: hit|miss|partial`; every response a `Server-Timing` header.
"""

import base64
import binascii
import json
import os
import time

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from keras_mm.serving import filtered_search
from keras_mm.serving.preprocessing import RequestError

DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_K = 100
# Bodies up to this size are read up front to look for a cache hit.
FAST_PATH_MAX_BYTES = 16 * 1024


async def _read_body(request, limit):
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise RequestError(
            f"request body is {int(length)} bytes; the limit is {limit}", 413
        )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(
                f"request body exceeds the limit of {limit} bytes", 413
            )
        chunks.append(chunk)
    return b"".join(chunks)


async def _parse(request, limit):
    """The request's fields as a dict of lists: JSON or multipart."""
    body = await _read_body(request, limit)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("multipart/form-data",
                                "application/x-www-form-urlencoded")):
        async def replay():
            return {"type": "http.request", "body": body,
                    "more_body": False}

        try:
            form = await Request(request.scope, replay).form()
        except Exception as error:
            raise RequestError(f"malformed form body: {error}") from None
        fields = {}
        for key, value in form.multi_items():
            if hasattr(value, "read"):  # An uploaded file.
                value = await value.read()
            fields.setdefault(key, []).append(value)
        return fields
    if not body:
        raise RequestError("empty request body; send JSON or multipart")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RequestError(f"malformed JSON: {error}") from None
    if not isinstance(data, dict):
        raise RequestError("the JSON body must be an object")
    return {"json": data}


def _values(fields, single, plural):
    """A list from JSON `plural` (list) or `single`, or multipart fields."""
    if "json" in fields:
        data = fields["json"]
        if plural in data:
            if not isinstance(data[plural], list):
                raise RequestError(f'"{plural}" must be a list', 422)
            return data[plural]
        if single in data:
            return [data[single]]
        raise RequestError(
            f'the JSON body needs "{plural}" (a list) or "{single}"', 422
        )
    values = fields.get(single, []) + fields.get(plural, [])
    if not values:
        raise RequestError(f'the form needs a "{single}" field', 422)
    return values


def _image_bytes(values):
    blobs = []
    for i, value in enumerate(values):
        if isinstance(value, bytes):
            blobs.append(value)
            continue
        if not isinstance(value, str):
            raise RequestError(f"image {i} must be a base64 string", 422)
        try:
            blobs.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            raise RequestError(f"image {i} is not valid base64") from None
    return blobs


def _embedding_response(result, service):
    vectors, hits = result
    cache = "hit" if hits == len(vectors) else "miss" if not hits else (
        "partial")
    return JSONResponse({
        "embeddings": vectors.tolist(),
        "dim": int(vectors.shape[-1]),
        "runtime": service.runtime.name,
    }, headers={"x-cache": cache})


def build_app(service, max_body_bytes=DEFAULT_MAX_BODY_BYTES):
    """A Starlette app serving `service` (an `EmbeddingService`).

    Example:
    ```python
    app = build_app(service)
    uvicorn.run(app, host="127.0.0.1", port=8000)
    ```
    """

    async def embed_text(request):
        fields = await _parse(request, max_body_bytes)
        texts = _values(fields, "text", "texts")
        return _embedding_response(await service.embed_texts(
            texts, return_cache_hits=True), service)

    async def embed_image(request):
        fields = await _parse(request, max_body_bytes)
        blobs = _image_bytes(_values(fields, "image", "images"))
        return _embedding_response(await service.embed_image_bytes(
            blobs, return_cache_hits=True),
                                   service)

    async def embed_audio(request):
        if "audio" not in service.modalities:
            raise RequestError(
                "this model has no audio encoder (it serves: "
                f"{', '.join(service.modalities)})", 422,
            )
        fields = await _parse(request, max_body_bytes)
        clips = (fields.get("json") or {}).get("audio")
        if not isinstance(clips, list):
            raise RequestError(
                'the JSON body needs "audio": a list of clips', 422
            )
        return _embedding_response(await service.embed_audio(
            clips, return_cache_hits=True),
                                   service)

    async def search(request):
        if service.index is None:
            raise RequestError(
                "no search index: start the server with --index", 404
            )
        fields = await _parse(request, max_body_bytes)
        get = ((lambda key: fields["json"].get(key)) if "json" in fields
               else (lambda key: (fields.get(key) or [None])[0]))
        try:
            k = 5 if get("k") is None else int(get("k"))
        except (TypeError, ValueError):
            raise RequestError('"k" must be an integer', 422) from None
        if not 1 <= k <= MAX_K:
            raise RequestError(f'"k" must be in [1, {MAX_K}]', 422)
        text, image = get("text"), get("image")
        if (text is None) == (image is None):
            raise RequestError('send exactly one of "text" or "image"', 422)
        where = filtered_search.check_filter(get("filter"))
        if text is not None:
            (query,) = await service.embed_texts([text])
            return JSONResponse({"query": "text", "results":
                                 filtered_search.search(
                                     service.index, "images", query, k,
                                     where)})
        (query,) = await service.embed_image_bytes(_image_bytes([image]))
        return JSONResponse({"query": "image", "results":
                             filtered_search.search(
                                 service.index, "captions", query, k,
                                 where)})

    async def healthz(request):
        index = service.index
        return JSONResponse({
            "status": "ok",
            "runtime": service.runtime.name,
            "modalities": list(service.modalities),
            "index_size": None if index is None else len(index),
            # Tells `--workers` processes apart.
            "worker_pid": os.getpid(),
        })

    async def metrics(request):
        if request.query_params.get("format") == "json":
            return JSONResponse(service.metrics.as_dict())
        return PlainTextResponse(service.metrics.render_prometheus())

    routes = [
        Route("/embed/text", embed_text, methods=["POST"]),
        Route("/embed/image", embed_image, methods=["POST"]),
        Route("/embed/audio", embed_audio, methods=["POST"]),
        Route("/search", search, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    known = {route.path for route in routes}

    async def request_error(request, error):
        return JSONResponse({"error": error.message}, error.status)

    async def http_error(request, error):
        if error.status_code == 404:
            message = (f"no endpoint {request.url.path}; endpoints: "
                       f"{', '.join(sorted(known))}")
        elif error.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
        else:
            message = str(error.detail)
        return JSONResponse({"error": message}, error.status_code)

    async def server_error(request, error):
        return JSONResponse(
            {"error": f"internal error: {type(error).__name__}: {error}"},
            500,
        )

    app = Starlette(
        routes=routes,
        exception_handlers={RequestError: request_error,
                            HTTPException: http_error,
                            Exception: server_error},
    )
    app.state.service = service
    return _MetricsMiddleware(app, service.metrics, known, service,
                              max_body_bytes)


class _MetricsMiddleware:
    """Times every HTTP request and counts it by path and status.

    It also answers cache hits on `/embed/text` (a small JSON body whose
    texts are all cached) itself, with pre-serialised bytes, before
    Starlette's routing, form/JSON parsing, preprocessing and the batcher:
    see `EmbeddingService.cached_text_response`. Anything else, and every
    error, goes the full way.
    """

    def __init__(self, app, metrics, known_paths, service=None,
                 max_body_bytes=DEFAULT_MAX_BODY_BYTES):
        self.app = app
        self.metrics = metrics
        self.known_paths = known_paths
        self.state = app.state
        self.service = service
        self.fast_path_limit = min(FAST_PATH_MAX_BYTES, max_body_bytes)

    async def _fast_path(self, scope, receive, send):
        """Returns True if it answered the request from the cache, else the
        `receive` the full path must use (it replays a body read here)."""
        length = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"content-type" and value.startswith(
                    (b"multipart/", b"application/x-www-form-urlencoded")):
                return receive
        if length is None or not length.isdigit() or (
                int(length) > self.fast_path_limit):
            return receive
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return receive  # Disconnected: nothing to answer.
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        payload = self.service.cached_text_response(body)
        if payload is not None:
            await send({"type": "http.response.start", "status": 200,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", b"%d" % len(payload)),
                            (b"x-cache", b"hit")]})
            await send({"type": "http.response.body", "body": payload})
            return True
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body,
                    "more_body": False}

        return replay

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        status = [500]

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                # Time spent in the server, for clients and load tests.
                ms = (time.perf_counter() - start) * 1000
                message = {**message, "headers": [
                    *message.get("headers", []),
                    (b"server-timing", b"app;dur=%.3f" % ms)]}
            await send(message)

        path = scope["path"]
        try:
            if (path == "/embed/text" and scope["method"] == "POST"
                    and self.service is not None):
                receive = await self._fast_path(scope, receive, send_wrapper)
                if receive is True:
                    return
            await self.app(scope, receive, send_wrapper)
        finally:
            label = path if path in self.known_paths else "<other>"
            self.metrics.observe_request(label, status[0],
                                         time.perf_counter() - start)

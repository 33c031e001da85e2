"""The FastAPI app: typed JSON and multipart endpoints over a service.

Endpoints (OpenAPI schema at `/openapi.json`, interactive docs at
`/docs`):
- `POST /embed/text`   `{"texts": [str, ...]}` or `{"text": str}`
  (multipart/form fields `text`) → `{"embeddings": [[float]], "dim": D,
  "runtime": name}`.
- `POST /embed/image`  `{"images": [base64, ...]}` or `{"image": base64}`
  (multipart files `image`) → same.
- `POST /embed/audio`  `{"audio": [[float, ...]]}`; 422 when the model has
  no audio encoder.
- `POST /search`  `{"text": str, "k": 5}` → top-k images (paths relative
  to the index's folder), or `{"image": base64, "k": 5}` → top-k captions
  (multipart works too).
- `GET /healthz`, `GET /metrics` (Prometheus text; `?format=json`). With
  `keras-mm serve --workers N` every worker process has its own model,
  cache and batcher (`worker_pid` in `/healthz` names the one that
  answered); `/metrics` sums all workers.
- `GET /`: a search page (`search_page`); `GET /images/<name>`: an
  indexed image, by its name in `/search` results.

Each request is parsed and validated on its own (strict types, see
`request_models`) and preprocessed before it joins a micro-batch, so a bad
one gets its own 4xx and never touches another. Errors are JSON
`{"error": one line}` (422s add `"details"` with field paths); a 500 names
a request id, never the exception. Embedding responses carry
(and `/search`) `X-Cache: hit|miss|partial`; every response
`Server-Timing` and
`X-Request-Id` headers.
"""

import base64
import dataclasses
import os

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from pydantic import ConfigDict
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.responses import PlainTextResponse

from keras_mm.serving import filtered_search
from keras_mm.serving import request_models as rm
from keras_mm.serving.preprocessing import RequestError
from keras_mm.serving.request_guard import RequestGuard
from keras_mm.serving.request_guard import internal_error
from keras_mm.serving.request_guard import log_internal_error
from keras_mm.serving.search_page import PAGE_PATHS
from keras_mm.serving.search_page import add_search_page
from keras_mm.serving.serving_limits import DEFAULT_MAX_BODY_BYTES
from keras_mm.serving.serving_limits import ServingLimits
from keras_mm.serving.serving_metrics import METRICS_CONTENT_TYPE

__all__ = ["build_app", "DEFAULT_MAX_BODY_BYTES"]


class EmbeddingResponse(BaseModel):
    embeddings: list[list[float]]
    dim: int
    runtime: str


class SearchHit(BaseModel):
    # A built index adds its metadata columns (and "row", "media").
    model_config = ConfigDict(extra="allow")
    rank: int
    score: float
    image: str | None = None
    caption: str | None = None


class SearchResponse(BaseModel):
    query: str
    results: list[SearchHit]


class ErrorResponse(BaseModel):
    error: str


def _is_form(request):
    return request.headers.get("content-type", "").startswith(
        ("multipart/form-data", "application/x-www-form-urlencoded"))


async def _form(request, max_items):
    """Multipart/urlencoded fields as `{name: [str or bytes, ...]}`."""
    body = await request.body()
    if (request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded")
            and body.lstrip()[:1] in (b"{", b"[")):
        # `curl -d '{...}'` without a JSON Content-Type.
        raise RequestError(
            "the body looks like JSON but is sent as a form; add the "
            "header 'Content-Type: application/json'", 415)
    try:
        form = await request.form(max_files=max_items,
                                  max_fields=max_items + 4)
    except HTTPException as error:
        raise RequestError(f"malformed form body: {error.detail}") from None
    except Exception as error:
        raise RequestError(
            f"malformed form body ({type(error).__name__})") from None
    fields = {}
    for key, value in form.multi_items():
        if hasattr(value, "read"):  # An uploaded file.
            value = await value.read()
        fields.setdefault(key, []).append(value)
    return fields


def _uploads(fields, *names):
    """Uploaded files (bytes) and base64 strings of the form `names`."""
    values = [v for name in names for v in fields.get(name, [])]
    return ([v for v in values if isinstance(v, bytes)],
            [v for v in values if not isinstance(v, bytes)])


def _request_body(model, form_schema):
    """OpenAPI: the JSON body `model`, or a form (parsed by hand, since
    one endpoint takes both)."""
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": model.model_json_schema()},
        "multipart/form-data": {"schema": {
            "type": "object", "properties": form_schema}},
    }}}


def _hit_or_miss(hits):
    return "hit" if hits else "miss"


def _embedding_response(result, service):
    vectors, hits = result
    cache = "hit" if hits == len(vectors) else "miss" if not hits else (
        "partial")
    return JSONResponse({
        "embeddings": vectors.tolist(),
        "dim": int(vectors.shape[-1]),
        "runtime": service.runtime.name,
    }, headers={"x-cache": cache})


ERRORS = {400: {"model": ErrorResponse}, 413: {"model": ErrorResponse},
          422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}}
FILE = {"type": "string", "format": "binary"}


def build_app(service, max_body_bytes=None, limits=None):
    """A FastAPI app serving `service` (an `EmbeddingService`), behind a
    `RequestGuard` applying `limits` (`ServingLimits`).

    Example:
    ```python
    app = build_app(service, limits=ServingLimits(max_k=20))
    uvicorn.run(app, host="127.0.0.1", port=8000)
    ```
    """
    limits = limits or ServingLimits()
    if max_body_bytes is not None:
        limits = dataclasses.replace(limits, max_body_bytes=max_body_bytes)
    models = rm.request_models(service.max_items, service.max_text_chars,
                               limits.max_k)
    max_items = service.max_items
    app = FastAPI(title="keras_mm serving",
                  description="Embeddings and search of a keras_mm model.")

    async def parse(request, model):
        if _is_form(request):
            return None, await _form(request, max_items)
        return rm.parse_json(model, await request.body()), None

    @app.post("/embed/text", response_model=EmbeddingResponse,
              responses=ERRORS, openapi_extra=_request_body(
                  models.text, {"text": {"type": "string"}}))
    async def embed_text(request: Request):
        body, fields = await parse(request, models.text)
        if fields is not None:
            texts = fields.get("text", []) + fields.get("texts", [])
            body = rm.parse_form(models.text, {"texts": texts})
        return _embedding_response(await service.embed_texts(
            body.values(), return_cache_hits=True), service)

    @app.post("/embed/image", response_model=EmbeddingResponse,
              responses=ERRORS, openapi_extra=_request_body(
                  models.image, {"image": FILE}))
    async def embed_image(request: Request):
        body, fields = await parse(request, models.image)
        if fields is None:
            blobs = body.values()
        else:
            blobs, encoded = _uploads(fields, "image", "images")
            if encoded:
                blobs += rm.parse_form(models.image,
                                       {"images": encoded}).values()
            if not blobs:
                raise RequestError('the form needs an "image" file', 422)
            if len(blobs) > max_items:
                raise RequestError(f"{len(blobs)} images in one request; "
                                   f"the limit is {max_items}", 422)
        return _embedding_response(await service.embed_image_bytes(
            blobs, return_cache_hits=True), service)

    @app.post("/embed/audio", response_model=EmbeddingResponse,
              responses=ERRORS, openapi_extra=_request_body(
                  models.audio, {}))
    async def embed_audio(request: Request):
        if "audio" not in service.modalities:
            raise RequestError(
                "this model has no audio encoder (it serves: "
                f"{', '.join(service.modalities)})", 422,
            )
        if _is_form(request):
            raise RequestError("send audio as JSON: "
                               '{"audio": [[float, ...]]}', 415)
        body = rm.parse_json(models.audio, await request.body())
        return _embedding_response(await service.embed_audio(
            body.audio, return_cache_hits=True), service)

    @app.post("/search", response_model=SearchResponse, responses={
        **ERRORS, 404: {"model": ErrorResponse}},
        openapi_extra=_request_body(models.search, {
            "text": {"type": "string"}, "image": FILE,
            "k": {"type": "integer"}}))
    async def search(request: Request):
        if service.index is None:
            raise RequestError(
                "no search index: start the server with --index", 404
            )
        body, fields = await parse(request, models.search)
        if fields is not None:
            blobs, _ = _uploads(fields, "image")
            data = {key: values[0] for key, values in fields.items()
                    if len(values) == 1 and not isinstance(values[0],
                                                           bytes)}
            if blobs:  # Validated like a JSON body's image.
                data["image"] = base64.b64encode(blobs[0]).decode()
            body = rm.parse_form(models.search, data)
        where = filtered_search.check_filter(body.filter)
        if body.text is not None:
            (query,), hits = await service.embed_texts(
                [body.text], return_cache_hits=True)
            return JSONResponse({"query": "text", "results":
                                 filtered_search.search(
                                     service.index, "images", query,
                                     body.k, where)},
                                headers={"x-cache": _hit_or_miss(hits)})
        (query,), hits = await service.embed_image_bytes(
            [body.image], return_cache_hits=True)
        return JSONResponse({"query": "image", "results":
                             filtered_search.search(
                                 service.index, "captions", query, body.k,
                                 where)},
                            headers={"x-cache": _hit_or_miss(hits)})

    @app.get("/healthz")
    async def healthz():
        index = service.index
        return JSONResponse({
            "status": "ok",
            "runtime": service.runtime.name,
            "modalities": list(service.modalities),
            "index_size": None if index is None else len(index),
            # Tells `--workers` processes apart.
            "worker_pid": os.getpid(),
        })

    @app.get("/metrics")
    async def metrics(request: Request):
        if request.query_params.get("format") == "json":
            return JSONResponse(service.metrics.as_dict())
        return PlainTextResponse(service.metrics.render_prometheus(),
                                 media_type=METRICS_CONTENT_TYPE)

    app.state.service = service
    add_search_page(app)
    known = {"/embed/text", "/embed/image", "/embed/audio", "/search",
             "/healthz", "/metrics", *PAGE_PATHS}

    @app.exception_handler(RequestError)
    async def request_error(request, error):
        body = {"error": error.message}
        if getattr(error, "details", None):
            body["details"] = error.details
        return JSONResponse(body, error.status, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request, error):
        return JSONResponse({"error": "invalid request",
                             "details": [{"loc": list(e["loc"]),
                                          "msg": e["msg"]}
                                         for e in error.errors()]}, 422)

    @app.exception_handler(HTTPException)
    async def http_error(request, error):
        if error.status_code == 404:
            message = (f"no endpoint {request.url.path}; endpoints: "
                       f"{', '.join(sorted(known))}")
        elif error.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
        else:
            message = str(error.detail)
        return JSONResponse({"error": message}, error.status_code)

    @app.exception_handler(Exception)
    async def server_error(request, error):
        # Logged before the answer leaves, under the id the client gets.
        request_id = request.state.request_id
        log_internal_error(request_id, request.scope, error)
        return JSONResponse(internal_error(request_id), 500)

    guard = RequestGuard(app, service, limits, known)
    guard.limits = limits  # `ServerThread` applies its timeouts.
    return guard

"""The ASGI layer in front of the app: ids, keys, rates, bodies, metrics.

For every HTTP request, in order: a request id (`X-Request-Id` on every
response; a 500 names it, and the exception is logged under it, never
sent), the client's rate, the bearer key, then the body, read whole
under the size limit and the read timeout, before any parsing. Cache hits
on `/embed/text` are answered here from stored bytes (see
`EmbeddingService.cached_text_response`). Every request is timed and
counted by path and status.
"""

import asyncio
import hmac
import json
import logging
import math
import time
import uuid

from keras_mm.serving.rate_limiter import RateLimiter
from keras_mm.serving.search_page import PAGE_PATHS

logger = logging.getLogger("keras_mm.serving")

# Bodies up to this size are looked at for a cache hit.
FAST_PATH_MAX_BYTES = 16 * 1024
# Reachable without a key: load balancers' probes, the API docs and the
# search page (which then asks for a key; its images need one).
PUBLIC_PATHS = ("/healthz", "/docs", "/docs/oauth2-redirect",
                "/openapi.json", *PAGE_PATHS)
BODY_METHODS = ("POST", "PUT", "PATCH")


class _Answered(Exception):
    """The guard answered the request itself (status, message, headers)."""

    def __init__(self, status, message, headers=()):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = list(headers)


class RequestGuard:
    """Wraps the app (see the module doc).

    Args:
        app: the ASGI app (FastAPI).
        service: the `EmbeddingService`, for metrics and cache hits.
        limits: `ServingLimits`.
        known_paths: the app's paths (other paths are counted as one).

    Example:
    ```python
    app = RequestGuard(fastapi_app, service, ServingLimits(), {"/healthz"})
    ```
    """

    def __init__(self, app, service, limits, known_paths):
        self.app = app
        self.state = getattr(app, "state", None)
        self.service = service
        self.metrics = service.metrics
        self.limits = limits
        self.known_paths = set(known_paths)
        self.keys = [key.encode() for key in limits.api_keys]
        self.rate_limiter = (RateLimiter(limits.rate_limit_per_s,
                                         limits.rate_limit_burst)
                             if limits.rate_limit_per_s else None)
        self.fast_path_limit = min(FAST_PATH_MAX_BYTES,
                                   limits.max_body_bytes)

    # === Checks ===

    def _check_key(self, scope):
        if not self.keys or scope["path"] in PUBLIC_PATHS:
            return
        header = _header(scope, b"authorization") or b""
        scheme, _, token = header.partition(b" ")
        valid = scheme.lower() == b"bearer" and any(
            hmac.compare_digest(token.strip(), key) for key in self.keys)
        if not valid:
            raise _Answered(
                401, "missing or wrong API key: send the header "
                "'Authorization: Bearer <key>'",
                [(b"www-authenticate", b"Bearer")])

    def _check_rate(self, scope):
        if self.rate_limiter is None or scope["path"] == "/healthz":
            return
        client = (scope.get("client") or ("unknown",))[0]
        wait = self.rate_limiter.acquire(client)
        if wait:
            raise _Answered(
                429, f"too many requests from {client}: the limit is "
                f"{self.limits.rate_limit_per_s:g} per second; retry in "
                f"{wait:.2f} s",
                [(b"retry-after", b"%d" % math.ceil(wait))])

    async def _read_body(self, scope, receive):
        """The whole body, within the size limit and the read timeout."""
        limit = self.limits.max_body_bytes
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise _Answered(413, f"request body is {int(length)} bytes; "
                            f"the limit is {limit}")
        chunks, size = [], 0
        try:
            async with asyncio.timeout(self.limits.read_timeout_s):
                while True:
                    message = await receive()
                    if message["type"] != "http.request":
                        return None  # The client went away.
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > limit:
                        raise _Answered(413, "request body exceeds the "
                                        f"limit of {limit} bytes")
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        return b"".join(chunks)
        except TimeoutError:
            raise _Answered(
                408, f"the request body did not arrive within "
                f"{self.limits.read_timeout_s:g} s") from None

    # === ASGI ===

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        request_id = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        status = [None]

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                # Time spent in the server, for clients and load tests.
                ms = (time.perf_counter() - start) * 1000
                message = {**message, "headers": [
                    *message.get("headers", []),
                    (b"server-timing", b"app;dur=%.3f" % ms),
                    (b"x-request-id", request_id.encode())]}
            await send(message)

        path = scope["path"]
        try:
            await self._handle(scope, receive, send_wrapper)
        except _Answered as answer:
            await _send_json(send_wrapper, answer.status,
                             {"error": answer.message}, answer.headers)
        except Exception as error:
            # The app's 500 handler logged its own (and answered) before
            # re-raising; anything else is logged and answered here.
            if status[0] is None:
                log_internal_error(request_id, scope, error)
                await _send_json(send_wrapper, 500, internal_error(
                    request_id))
        finally:
            label = path if path in self.known_paths else "<other>"
            self.metrics.observe_request(label, status[0] or 500,
                                         time.perf_counter() - start)

    async def _handle(self, scope, receive, send):
        # The rate first: guessing keys costs tokens too.
        self._check_rate(scope)
        self._check_key(scope)
        if scope["method"] not in BODY_METHODS:
            return await self.app(scope, receive, send)
        body = await self._read_body(scope, receive)
        if body is None:
            return
        if (scope["path"] == "/embed/text" and scope["method"] == "POST"
                and len(body) <= self.fast_path_limit
                and not _is_form(scope)):
            payload = self.service.cached_text_response(body)
            if payload is not None:
                return await _send_bytes(send, 200, payload,
                                         [(b"x-cache", b"hit")])
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body,
                    "more_body": False}

        await self.app(scope, replay, send)


def log_internal_error(request_id, scope, error):
    """Logs an exception under its request id (the client gets the id)."""
    logger.error("request %s (%s %s) failed", request_id, scope["method"],
                 scope["path"], exc_info=error)


def internal_error(request_id):
    """The body of a 500: the request id, never the exception."""
    return {"error": f"internal error (request id {request_id}); the "
            "server log has the details", "request_id": request_id}


def _header(scope, name):
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


def _is_form(scope):
    content_type = _header(scope, b"content-type") or b""
    return content_type.startswith((b"multipart/",
                                    b"application/x-www-form-urlencoded"))


async def _send_json(send, status, body, headers=()):
    extra = list(headers)
    if status == 408:  # The rest of the body may still be on its way.
        extra.append((b"connection", b"close"))
    await _send_bytes(send, status, json.dumps(body).encode(), extra)


async def _send_bytes(send, status, payload, headers=()):
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", b"%d" % len(payload)),
                            *headers]})
    await send({"type": "http.response.body", "body": payload})

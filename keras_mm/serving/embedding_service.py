"""The serving core: preprocessing → cache → micro-batcher → runtime."""

import asyncio
import concurrent.futures
import json

import numpy as np
import pydantic_core

from keras_mm.serving import preprocessing as pp
from keras_mm.serving.lru_cache import LRUCache
from keras_mm.serving.micro_batcher import MicroBatcher
from keras_mm.serving.micro_batcher import QueueFull
from keras_mm.serving.redis_cache import RedisCache
from keras_mm.serving.redis_cache import decode_vector
from keras_mm.serving.redis_cache import encode_vector
from keras_mm.serving.serving_metrics import ServingMetrics


class _CachedEmbedding:
    """A cache entry: the vector and, once served from the cache, its JSON
    text (so a hit is answered without serialising floats again)."""

    __slots__ = ("vector", "_json")

    def __init__(self, vector):
        self.vector = vector
        self._json = None

    def json(self):
        if self._json is None:
            # The encoding `JSONResponse` gives `vector.tolist()`.
            self._json = json.dumps(self.vector.tolist(),
                                    separators=(",", ":")).encode()
        return self._json


class EmbeddingService:
    """Embeds texts, images (and audio, if the model has it) for a server.

    Each request item is validated and normalised (its cache key), looked
    up in a bounded LRU cache, and on a miss preprocessed on its own
    (texts tokenised with the model's `TextPreprocessor`, images decoded)
    before it joins its modality's `MicroBatcher`: a bad item fails its
    own request, never a batch-mate's. One worker thread runs every model
    call, so the event loop never blocks.

    Args:
        runtime: a `KerasRuntime` or `LiteRTRuntime`.
        text_preprocessor: `keras_mm.data.TextPreprocessor` whose
            `sequence_length` matches the text tower.
        max_batch_size: int. Largest model batch.
        max_wait_ms: float. How long a batch waits to fill.
        cache_size: int. LRU entries (0 disables the cache).
        cache_ttl_s: float. Seconds a cached embedding stays valid.
        cache_url: str. `redis://HOST:PORT`: cache in that Redis server,
            shared by every worker and replica serving the same model;
            None: the in-process LRU.
        cache_namespace: str. With `cache_url`: the model's identity
            (and whatever else changes an embedding), part of every key.
        max_text_chars: int. Longer texts are refused (422).
        max_items: int. Most texts/images in one request.
        max_pixels: int. Most pixels an image may declare (checked from
            its header before decoding; 413 beyond).
        max_queue: int. Most items waiting for the model per modality; a
            request that does not fit is answered 503 (retry later).

    Example:
    ```python
    service = EmbeddingService(runtime, preprocessor)
    vectors = await service.embed_texts(["a red circle"])  # (1, D)
    ```
    """

    def __init__(self, runtime, text_preprocessor=None, max_batch_size=32,
                 max_wait_ms=2.0, cache_size=4096, cache_ttl_s=600.0,
                 max_text_chars=512, max_items=64, image_preprocessor=None,
                 max_pixels=pp.DEFAULT_MAX_PIXELS, max_queue=1024,
                 cache_url=None, cache_namespace=None):
        self.runtime = runtime
        self.text_preprocessor = text_preprocessor
        # A checkpoint's own resize and crop (`keras_mm.models.
        # ImagePreprocessor`); without one, images are resized to the
        # tower's input size.
        self.image_preprocessor = image_preprocessor
        if "text" in runtime.modalities:
            if text_preprocessor is None:
                raise ValueError("A text model needs a text_preprocessor.")
            (length,), _ = runtime.input_specs["text"]["token_ids"]
            if text_preprocessor.sequence_length != length:
                raise ValueError(
                    "text_preprocessor.sequence_length "
                    f"({text_preprocessor.sequence_length}) differs from "
                    f"the text tower's input length ({length})."
                )
        self.max_text_chars = max_text_chars
        self.max_items = max_items
        self.max_pixels = max_pixels
        self.max_queue = max_queue
        self.metrics = ServingMetrics()
        if cache_url and cache_size:
            if not cache_namespace:
                raise ValueError("A shared cache needs a cache_namespace "
                                 "naming the model.")
            self.cache = RedisCache(
                cache_url, cache_namespace, cache_ttl_s,
                encode=lambda entry: encode_vector(entry.vector),
                decode=lambda data: _CachedEmbedding(decode_vector(data)))
        else:
            self.cache = LRUCache(cache_size, cache_ttl_s)
        self.metrics.cache = self.cache
        # One thread: model calls are serial and off the event loop.
        self.executor = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix="keras_mm_model"
        )
        self.batchers = {
            m: MicroBatcher(
                self._batch_fn(m), max_batch_size, max_wait_ms,
                executor=self.executor,
                on_batch=lambda n, m=m: self.metrics.observe_batch(m, n),
                max_pending=max_queue,
            )
            for m in runtime.modalities
        }
        self.index = None
        self.index_loaded = False
        self._runtime_json = json.dumps(runtime.name).encode()

    @property
    def modalities(self):
        return self.runtime.modalities

    @property
    def image_size(self):
        shape, _ = self.runtime.input_specs["image"]["images"]
        return shape[0]

    # === Blocking batch functions (run in the model thread) ===

    def model_inputs(self, modality, items):
        """Normalised items of one modality → the model's input batch."""
        if modality == "text":
            return pp.text_inputs(self.text_preprocessor, items)
        return batch_inputs(modality, items, self.runtime.input_specs)

    def embed_now(self, modality, items):
        """Embeds a list of normalised items right away (blocking)."""
        return self.runtime.embed(modality, self.model_inputs(modality,
                                                                items))

    def _batch_fn(self, modality):
        return lambda items: embed_items(self.runtime, modality, items)

    def _tokenize(self, texts):
        """Normalised texts → one `{token_ids, padding_mask}` row each."""
        batch = pp.text_inputs(self.text_preprocessor, texts)
        return [{key: value[i] for key, value in batch.items()}
                for i in range(len(texts))]

    # === Async API used by the endpoints ===

    def _check_modality(self, modality):
        if modality not in self.runtime.modalities:
            raise pp.RequestError(
                f"this model has no {modality} encoder (it serves: "
                f"{', '.join(self.runtime.modalities)})", 422,
            )

    def _check_count(self, items, what):
        if not items:
            raise pp.RequestError(f"no {what} given", 422)
        if len(items) > self.max_items:
            raise pp.RequestError(
                f"{len(items)} {what} in one request; the limit is "
                f"{self.max_items}", 422,
            )

    async def _embed(self, modality, keyed_items, return_cache_hits,
                     prepare=None):
        """`[(cache_key, item)]` → `(N, D)`, via the cache and batcher
        (and the number of cache hits if `return_cache_hits`).
        `prepare(items)`, if given, preprocesses the cache misses (off the
        event loop) before they are queued."""
        results = [None] * len(keyed_items)
        pending = []
        for i, (key, item) in enumerate(keyed_items):
            cached = self.cache.get((modality, key))
            if cached is not None:
                results[i] = cached.vector
            else:
                pending.append((i, key, item))
        batcher = self.batchers[modality]
        if not batcher.has_room(len(pending)):
            raise _busy(batcher)
        items = [item for _, _, item in pending]
        if prepare is not None and items:
            loop = asyncio.get_running_loop()
            items = await loop.run_in_executor(None, prepare, items)
        try:
            computed = await asyncio.gather(*(batcher.submit(item)
                                              for item in items))
        except QueueFull:
            raise _busy(batcher) from None
        for (i, key, _), vector in zip(pending, computed):
            self.cache.put((modality, key), _CachedEmbedding(vector))
            results[i] = vector
        vectors = np.stack(results)
        if return_cache_hits:
            return vectors, len(keyed_items) - len(pending)
        return vectors

    async def embed_texts(self, texts, return_cache_hits=False):
        self._check_modality("text")
        self._check_count(texts, "texts")
        lowercase = self.text_preprocessor.lowercase
        keyed = []
        for i, text in enumerate(texts):
            try:
                normalized = pp.normalize_text(text, lowercase,
                                               self.max_text_chars)
            except pp.RequestError as error:
                raise _item_error("texts", i, error) from None
            keyed.append((normalized, normalized))
        return await self._embed("text", keyed, return_cache_hits,
                                 prepare=self._tokenize_each)

    def _tokenize_each(self, texts):
        """Tokenises a request's texts; one the tokenizer refuses is a 422
        naming it (and the request), not a failed batch."""
        try:
            return self._tokenize(texts)
        except Exception:
            for text in texts:
                try:
                    self._tokenize([text])
                except Exception as error:
                    raise pp.RequestError(
                        f"texts: the tokenizer could not encode "
                        f"{text[:40]!r} ({type(error).__name__})",
                        422) from None
            raise

    async def embed_image_bytes(self, blobs, return_cache_hits=False):
        self._check_modality("image")
        self._check_count(blobs, "images")
        loop = asyncio.get_running_loop()
        keyed = []
        for i, blob in enumerate(blobs):
            try:
                # Decoding can take a while: keep it off the event loop.
                pixels = await loop.run_in_executor(
                    None, pp.decode_image, blob, self.image_size,
                    self.image_preprocessor, self.max_pixels,
                )
            except pp.RequestError as error:
                raise _item_error("images", i, error) from None
            keyed.append((pp.image_key(pixels), pixels))
        return await self._embed("image", keyed, return_cache_hits)

    async def embed_audio(self, clips, return_cache_hits=False):
        self._check_modality("audio")
        self._check_count(clips, "audio clips")
        (key,) = self.runtime.input_specs["audio"]
        shape, _ = self.runtime.input_specs["audio"][key]
        keyed = []
        for i, clip in enumerate(clips):
            try:
                array = pp.audio_array(clip, shape)
            except pp.RequestError as error:
                raise _item_error("audio", i, error) from None
            keyed.append((pp.image_key(array), array))
        return await self._embed("audio", keyed, return_cache_hits)

    def cached_text_response(self, body):
        """The JSON response bytes for a `/embed/text` JSON body whose texts
        are all cached, else None (then the full path handles it, errors
        included). Runs on the event loop before any parsing into a
        `Request`, preprocessing or batching: the lean path of a hit."""
        if not self.cache.enabled or "text" not in self.modalities:
            return None
        try:
            # The endpoint's parser: strict JSON, bounded nesting.
            data = pydantic_core.from_json(body)
        except ValueError:
            return None
        if type(data) is not dict:
            return None
        # The same precedence as the endpoint: "texts", then "text".
        # Exactly one of "texts" and "text", as the endpoint requires.
        texts = (data["texts"] if data.keys() == {"texts"}
                 else [data["text"]] if data.keys() == {"text"} else None)
        if (type(texts) is not list or not texts
                or len(texts) > self.max_items):
            return None
        lowercase = self.text_preprocessor.lowercase
        parts, dim = [], 0
        for text in texts:
            try:
                key = pp.normalize_text(text, lowercase, self.max_text_chars)
            except pp.RequestError:
                return None
            entry = self.cache.get(("text", key), count=False)
            if entry is None:
                return None
            parts.append(entry.json())
            dim = entry.vector.shape[-1]
        self.cache.record_hits(len(parts))
        return (b'{"embeddings":[' + b",".join(parts)
                + b'],"dim":%d,"runtime":%s}' % (dim, self._runtime_json))

    def warmup(self):
        self.runtime.warmup()

    def close(self):
        self.executor.shutdown(wait=False)


def batch_inputs(modality, items, input_specs):
    """Queued items of one modality → the model's input batch: token rows
    (texts are tokenised per request), decoded images or audio arrays.

    Example:
    ```python
    batch_inputs("image", [pixels, pixels], runtime.input_specs)
    ```
    """
    if modality == "text":
        return {key: np.stack([row[key] for row in items])
                for key in items[0]}
    if modality == "image":
        return pp.image_inputs(items)
    (key,) = input_specs[modality]
    return {key: np.stack(items)}


def embed_items(runtime, modality, items):
    """Embeds queued items of one modality on `runtime` (blocking): one
    vector per item, as a batcher delivers them."""
    return list(runtime.embed(modality, batch_inputs(
        modality, items, runtime.input_specs)))


def _item_error(field, i, error):
    """An item's error, prefixed with its field path (`texts[2]: ...`)."""
    return pp.RequestError(f"{field}[{i}]: {error.message}", error.status,
                           error.headers)


def _busy(batcher):
    return pp.RequestError(
        f"the server is busy ({batcher.pending} items queued, limit "
        f"{batcher.max_pending}); retry shortly", 503,
        {"retry-after": "1"},
    )

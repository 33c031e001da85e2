"""Serving: an HTTP inference service over a keras_mm model.

Needs the `serve` extra (fastapi, uvicorn, python-multipart,
prometheus-client; httpx for the load test). Front: per-modality preprocessing with the training code;
compute: micro-batched model calls in a worker thread; cache: a bounded
LRU with a TTL.
"""

from keras_mm.serving.app import build_app
from keras_mm.serving.embedding_service import EmbeddingService
from keras_mm.serving.lru_cache import LRUCache
from keras_mm.serving.micro_batcher import MicroBatcher
from keras_mm.serving.runtimes import KerasRuntime
from keras_mm.serving.runtimes import LiteRTRuntime
from keras_mm.serving.search_index import SearchIndex
from keras_mm.serving.serving_limits import ServingLimits
from keras_mm.serving.server import ServerThread
from keras_mm.serving.server import load_service
from keras_mm.serving.serving_metrics import ServingMetrics

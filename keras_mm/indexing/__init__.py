"""Indexes for large collections: embedded in shards, searched with FAISS.

`build_index` embeds a collection into an index folder (resumable, one
Parquet file per shard of rows) and picks and tunes its FAISS index: an
inverted file when the embeddings cluster, a compressed scan split over
the cores when they do not; `FaissIndex` loads that folder and searches
it, with equality filters on the metadata columns.
"""

from keras_mm.indexing.faiss_index import FaissIndex
from keras_mm.indexing.index_builder import build_index
from keras_mm.indexing.index_choice import choose_index_spec

__all__ = ["FaissIndex", "build_index", "choose_index_spec"]

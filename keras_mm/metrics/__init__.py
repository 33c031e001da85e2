"""Evaluation metrics."""

from keras_mm.metrics.retrieval import recall_at_k
from keras_mm.metrics.retrieval import retrieval_ranks

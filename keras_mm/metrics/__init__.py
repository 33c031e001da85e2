"""Evaluation metrics."""

from keras_mm.metrics.bleu import corpus_bleu
from keras_mm.metrics.bleu import tokenize_13a
from keras_mm.metrics.cosine import l2_normalize
from keras_mm.metrics.cosine import row_cosine
from keras_mm.metrics.retrieval import caption_groups
from keras_mm.metrics.retrieval import caption_recall_at_k
from keras_mm.metrics.retrieval import normalize_caption
from keras_mm.metrics.retrieval import recall_at_k
from keras_mm.metrics.retrieval import recall_drop
from keras_mm.metrics.retrieval import retrieval_ranks
from keras_mm.metrics.rouge import rouge_scores
from keras_mm.metrics.top_k import top_k_accuracy

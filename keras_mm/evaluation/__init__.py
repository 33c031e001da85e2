"""Evaluation: zero-shot, long texts, retrieval during fit, figures, reports.

Metrics over arrays live in `keras_mm.metrics`; this package runs models.
"""

from keras_mm.evaluation.attention import attention_heatmaps
from keras_mm.evaluation.attention import last_block_attention
from keras_mm.evaluation.attention import self_attention_weights
from keras_mm.evaluation.encoding import encode_images
from keras_mm.evaluation.encoding import encode_texts
from keras_mm.evaluation.truncation import TextTruncationWarning
from keras_mm.evaluation.long_text import embed_long_texts
from keras_mm.evaluation.long_text import embed_truncated_texts
from keras_mm.evaluation.long_text import token_windows
from keras_mm.evaluation.truncation import warn_if_truncated
from keras_mm.evaluation.evaluation_model import EvaluationModel
from keras_mm.evaluation.report import evaluate_model
from keras_mm.evaluation.retrieval_report import embed_pairs
from keras_mm.evaluation.retrieval_report import retrieval_report
from keras_mm.evaluation.retrieval_callback import RetrievalCallback
from keras_mm.evaluation.training_logs import read_training_logs
from keras_mm.evaluation.zero_shot import zero_shot_classifier
from keras_mm.evaluation.zero_shot import DEFAULT_TEMPLATES
from keras_mm.evaluation.zero_shot import zero_shot_evaluate
from keras_mm.evaluation.zero_shot import zero_shot_report

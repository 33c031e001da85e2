"""Compression: Keras-native quantization, pruning and distillation."""

from keras_mm.compression.contrastive_distiller import ContrastiveDistiller
from keras_mm.compression.similarity_distillation import (
    SimilarityDistillation,
)
from keras_mm.compression.pruning import MagnitudePruning
from keras_mm.compression.pruning import polynomial_sparsity
from keras_mm.compression.pruning import sparsity_report
from keras_mm.compression.pruning import strip_pruning
from keras_mm.compression.pruning import zipped_size
from keras_mm.compression.quantization import load_quantized_model
from keras_mm.compression.quantization import quantization_report
from keras_mm.compression.quantization import quantize_model
from keras_mm.compression.quantization import save_quantized_model

"""Low-latency inference calls for trained keras_mm models."""

from keras_mm.inference.compiled_predictor import CompiledPredictor
from keras_mm.inference.embedder import Embedder

"""Low-latency inference calls for trained keras_mm models."""

from keras_mm.inference.compiled_predictor import CompiledPredictor

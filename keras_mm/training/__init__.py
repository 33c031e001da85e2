"""keras_mm.training."""

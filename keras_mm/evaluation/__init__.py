"""keras_mm.evaluation."""

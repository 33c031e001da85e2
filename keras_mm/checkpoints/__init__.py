"""keras_mm.checkpoints."""

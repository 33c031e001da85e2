"""keras_mm.fusion."""

"""keras_mm.compression."""

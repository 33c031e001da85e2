"""keras_mm.distribution."""

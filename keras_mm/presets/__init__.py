"""keras_mm.presets."""

"""tensorflow fast paths and helpers; see keras_mm/backend/__init__.py."""

"""Named model presets (JSON configs in this folder), built with one call."""

from keras_mm.presets.preset_registry import from_preset
from keras_mm.presets.preset_registry import get_preset
from keras_mm.presets.preset_registry import list_presets
from keras_mm.presets.preset_registry import preset_metadata

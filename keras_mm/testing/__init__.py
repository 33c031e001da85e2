"""Test helpers shared by the test suite (and usable by users' tests)."""

from keras_mm.testing.assertions import assert_round_trip
from keras_mm.testing.assertions import run_in_backend
from keras_mm.testing.tiny_models import tiny_clip
from keras_mm.testing.tiny_models import tiny_clip_batch
from keras_mm.testing.random_checkpoints import write_random_clip

"""keras_mm.runtime: process-level settings that must precede Keras' import.

Nothing here imports Keras, so the `keras-mm` command and launchers can use
it before choosing a backend.
"""

from keras_mm.runtime.host_allocator import OPT_OUT_ENV
from keras_mm.runtime.host_allocator import allocator_is_tuned
from keras_mm.runtime.host_allocator import allocator_mode
from keras_mm.runtime.host_allocator import keras_backend
from keras_mm.runtime.host_allocator import reexec_with_tuned_allocator
from keras_mm.runtime.host_allocator import tuned_environ

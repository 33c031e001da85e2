"""Export to mobile runtimes, with parity checks in the runtime itself."""

from keras_mm.export.litert import LiteRTRunner
from keras_mm.export.litert import export_litert
from keras_mm.export.litert import parity_report

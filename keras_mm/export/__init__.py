"""Export to mobile runtimes, with parity checks in the runtime itself."""

from keras_mm.export.checked_export import ExportCheckError
from keras_mm.export.checked_export import export_checked
from keras_mm.export.export_data import export_inputs
from keras_mm.export.export_data import model_preprocessors
from keras_mm.export.export_folder import EXPORT_JSON
from keras_mm.export.export_folder import export_folder
from keras_mm.export.export_folder import read_export_json
from keras_mm.export.exportability import ExportError
from keras_mm.export.exportability import check_static_shapes
from keras_mm.export.litert import LiteRTRunner
from keras_mm.export.litert import export_litert
from keras_mm.export.litert import parity_report
from keras_mm.export.onnx import OnnxRunner
from keras_mm.export.onnx import export_onnx
from keras_mm.export.op_report import non_int8_ops
from keras_mm.export.preprocessing_assets import load_preprocessors
from keras_mm.export.preprocessing_assets import save_preprocessors
from keras_mm.export.tower_runner import TowerRunner

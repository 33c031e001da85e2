"""Data: readers, preprocessing and tf.data pipelines.

The readers import neither Keras nor TensorFlow, so the CLI checks the
user's files before either loads; the Keras layers below load on first use.
"""

import importlib

from keras_mm.data.coco import read_coco
from keras_mm.data.coco import write_coco
from keras_mm.data.error_report import ErrorReport
from keras_mm.data.errors import DataError
from keras_mm.data.manifest import parse_manifest
from keras_mm.data.manifest import read_manifest
from keras_mm.data.manifest import write_manifest
from keras_mm.data.media import decode_image
from keras_mm.data.media import read_frames
from keras_mm.data.media import read_wav
from keras_mm.data.media import write_wav
from keras_mm.data.pair import Pair
from keras_mm.data.pipeline import make_dataset
from keras_mm.data.autotune_thread import without_autotune_thread
from keras_mm.data.srt import Subtitle
from keras_mm.data.srt import parse_srt
from keras_mm.data.srt import read_srt
from keras_mm.data.srt import write_srt
from keras_mm.data.webdataset import iter_webdataset
from keras_mm.data.webdataset import write_webdataset
from keras_mm.data.alignment import align_subtitles
from keras_mm.data.check import check_manifest
from keras_mm.data.columns import Columns
from keras_mm.data.columns import resolve_columns
from keras_mm.data.model_dataset import model_dataset
from keras_mm.data.sources import check_source
from keras_mm.data.sources import read_pairs
from keras_mm.data.sources import stream_pairs
from keras_mm.data.audio_files import read_audio
from keras_mm.data.audio_files import resample
from keras_mm.data.audio_files import write_audio
from keras_mm.data.video_decoder import clip_media
from keras_mm.data.video_decoder import decode_frames
from keras_mm.data.video_decoder import parse_clip_media
from keras_mm.data.video_decoder import probe_video
from keras_mm.data.video_writer import write_video
from keras_mm.data.video_subtitle_pairs import is_video_subtitle_source
from keras_mm.data.video_subtitle_pairs import read_video_subtitle_pairs
from keras_mm.data.video_subtitle_pairs import video_subtitle_pairs

_KERAS_LAYERS = {
    "TextPreprocessor": "text_preprocessor",
    "ByteTextPreprocessor": "byte_text_preprocessor",
    "AudioFeatures": "audio_features",
    "ImageAugmentation": "image_augmentation",
}


def load_layers():
    """Imports the Keras layers, registering them for deserialization."""
    for name in _KERAS_LAYERS:
        globals()[name] = __getattr__(name)


def __getattr__(name):
    if name in _KERAS_LAYERS:
        module = importlib.import_module(f"keras_mm.data.{_KERAS_LAYERS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'keras_mm.data' has no attribute {name!r}")

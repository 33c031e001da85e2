"""Data: readers, preprocessing and tf.data pipelines."""

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
from keras_mm.data.text_preprocessor import TextPreprocessor
from keras_mm.data.byte_text_preprocessor import ByteTextPreprocessor
from keras_mm.data.webdataset import iter_webdataset
from keras_mm.data.webdataset import write_webdataset
from keras_mm.data.alignment import align_subtitles
from keras_mm.data.audio_features import AudioFeatures
from keras_mm.data.check import check_manifest
from keras_mm.data.image_augmentation import ImageAugmentation

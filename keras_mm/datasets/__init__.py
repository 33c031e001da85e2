"""Built-in procedural datasets: no download, deterministic by seed."""

from keras_mm.datasets import shapes
from keras_mm.datasets.audio import make_audio_text_pairs
from keras_mm.datasets.shapes import make_image_text_pairs
from keras_mm.datasets.splits import image_text_split
from keras_mm.datasets.splits import split_seed
from keras_mm.datasets.video import make_videos
from keras_mm.datasets.writer import write_to_disk

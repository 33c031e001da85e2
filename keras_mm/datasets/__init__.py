"""Built-in procedural datasets: no download, deterministic by seed."""

from keras_mm.datasets import shapes
from keras_mm.datasets.shapes import make_image_text_pairs

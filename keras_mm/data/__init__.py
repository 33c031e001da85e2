"""Data: readers, preprocessing and tf.data pipelines."""

from keras_mm.data.text_preprocessor import TextPreprocessor

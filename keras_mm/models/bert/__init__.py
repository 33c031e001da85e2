"""BERT-family text towers (Hugging Face, sentence-transformers, keras-hub).

The loaders themselves live in `keras_mm.checkpoints` (`load_checkpoint`);
this family registers them with `keras_mm.models.load_pretrained`.
"""

from keras_mm.models.bert.formats import FORMATS

"""BERT-family text towers (Hugging Face, sentence-transformers, keras-hub).

Each format has its own file: `hf_bert.py` (Hugging Face folders),
`sentence_transformers.py` (the pooling and normalisation modules around
one), `keras_hub_bert.py` (keras-hub `BertBackbone` presets), with
`load_checkpoint.py` choosing between them. `formats.py` registers them
with `keras_mm.models.load_pretrained`; `keras_mm.checkpoints` re-exports
the public names.
"""

from keras_mm.models.bert.formats import FORMATS
from keras_mm.models.bert.hf_bert import load_hf_bert
from keras_mm.models.bert.keras_hub_bert import encoder_from_bert_backbone
from keras_mm.models.bert.keras_hub_bert import load_keras_hub_bert
from keras_mm.models.bert.load_checkpoint import is_checkpoint_folder
from keras_mm.models.bert.load_checkpoint import load_checkpoint
from keras_mm.models.bert.loaded_checkpoint import LoadedCheckpoint
from keras_mm.models.bert.random_hf_bert import write_random_hf_bert

"""Data and model parallel training, global-batch collectives, multi-process.

`configure_distribution(kind, mesh)` is the one entry point; the layout maps
say how each encoder is sharded; `gather_global_batch` gives the losses the
negatives of the whole global batch under `tf.distribute` and torch
process groups.
"""

from keras_mm.distribution.collectives import gather_global_batch
from keras_mm.distribution.collectives import process_shard
from keras_mm.distribution.collectives import replica_info
from keras_mm.distribution.collectives import scale_loss_for_replicas
from keras_mm.distribution.collectives import synchronize_model
from keras_mm.distribution.configure import configure_distribution
from keras_mm.distribution.configure import initialize_multi_process
from keras_mm.distribution.configure import parse_mesh
from keras_mm.distribution.data_shards import local_batch_size
from keras_mm.distribution.data_shards import shard_global_batches
from keras_mm.distribution.layout_maps import get_layout_map
from keras_mm.distribution.layout_maps import text_transformer_layout_map
from keras_mm.distribution.layout_maps import vision_transformer_layout_map

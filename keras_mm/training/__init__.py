"""keras_mm.training: fine-tuning and staged training on `fit`.

Freezing, LoRA, AdamW + warmup-cosine + layer-wise decay, exact contrastive
gradient accumulation, mixed precision, remat, resumable checkpoints,
monitoring callbacks, staged recipes and hyperparameter search, behind one
`train(...)` entry point, on in-memory arrays or `tf.data` datasets of
unknown length. For a run folder: `HistoryJson` (per-epoch JSON),
`EpochStats` (learning rate and samples/s in the epoch logs, added by
`train`), `ProgressBar` (the default display) and TensorBoard scalars.
"""

from keras_mm.training.attention_maps import AttentionMapLogger
from keras_mm.training.checkpointing import StepCheckpoint
from keras_mm.training.checkpointing import restore_checkpoint
from keras_mm.training.checkpointing import save_checkpoint
from keras_mm.training.config import TrainConfig
from keras_mm.training.epoch_stats import EpochStats
from keras_mm.training.freezing import freeze_by_pattern
from keras_mm.training.freezing import freeze_tower
from keras_mm.training.freezing import parameter_counts
from keras_mm.training.freezing import print_parameter_counts
from keras_mm.training.gradient_norms import ModalityGradientNorms
from keras_mm.training.gradient_norms import modality_gradient_norms
from keras_mm.training.history_json import HistoryJson
from keras_mm.training.lora import enable_lora
from keras_mm.training.lora import load_lora_adapter
from keras_mm.training.lora import merge_lora
from keras_mm.training.lora import save_lora_adapter
from keras_mm.training.nan_guard import NonFiniteGuard
from keras_mm.training.nan_guard import NonFiniteLossError
from keras_mm.training.optimizer import ScaledAdamW
from keras_mm.training.optimizer import apply_regularization
from keras_mm.training.optimizer import build_optimizer
from keras_mm.training.optimizer import decoupled_adamw
from keras_mm.training.optimizer import layer_decay_multipliers
from keras_mm.training.optimizer import warmup_cosine
from keras_mm.training.precision import set_precision
from keras_mm.training.progress import ProgressBar
from keras_mm.training.remat import enable_remat
from keras_mm.training.search import hyperparameter_search
from keras_mm.training.trainer import train

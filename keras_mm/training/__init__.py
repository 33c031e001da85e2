"""keras_mm.training: fine-tuning and staged training on `fit`.

Freezing, LoRA, AdamW + warmup-cosine + layer-wise decay, exact contrastive
gradient accumulation, mixed precision, remat, resumable checkpoints,
monitoring callbacks, staged recipes and hyperparameter search, behind one
`train(...)` entry point, on in-memory arrays or `tf.data` datasets of
unknown length. For a run folder: `HistoryJson` (per-epoch JSON),
`EpochStats` (learning rate and samples/s in the epoch logs, added by
`train`), `ProgressBar` (the default display) and `TensorBoardLogger`
(scalars per step and epoch, histograms; images from the gradient-norm,
attention-map and held-out callbacks), on every backend.

Names load on first access, so that the Keras-free modules here
(`config`, `run_options`, `run_folder`, `start`) can be imported by the CLI
to check its arguments before Keras loads.
"""

import importlib

_EXPORTS = {
    "AttentionMapLogger": "attention_maps",
    "StepCheckpoint": "checkpointing",
    "restore_checkpoint": "checkpointing",
    "save_checkpoint": "checkpointing",
    "TrainConfig": "config",
    "EpochStats": "epoch_stats",
    "freeze_by_pattern": "freezing",
    "freeze_tower": "freezing",
    "parameter_counts": "freezing",
    "print_parameter_counts": "freezing",
    "ModalityGradientNorms": "gradient_norms",
    "modality_gradient_norms": "gradient_norms",
    "HistoryJson": "history_json",
    "enable_lora": "lora",
    "load_lora_adapter": "lora",
    "merge_lora": "lora",
    "save_lora_adapter": "lora",
    "NonFiniteGuard": "nan_guard",
    "NonFiniteLossError": "nan_guard",
    "ScaledAdamW": "keras_mm.optimizers.adamw",
    "apply_regularization": "optimizer_setup",
    "build_optimizer": "optimizer_setup",
    "decoupled_adamw": "keras_mm.optimizers.adamw",
    "layer_decay_multipliers": "optimizer_setup",
    "warmup_cosine": "keras_mm.optimizers.adamw",
    "set_precision": "precision",
    "ProgressBar": "progress",
    "enable_remat": "remat",
    "hyperparameter_search": "search",
    "TensorBoardLogger": "tensorboard_logger",
    "train": "trainer",
}

def _module_path(module):
    # Names kept here from lower packages are given by their full path.
    return module if module.startswith("keras_mm.") else (
        f"{__name__}.{module}")


def load_layers():
    """Imports every module here, registering its serializable classes
    (called by `keras_mm.import_all`, e.g. before `load_model`)."""
    for module in sorted(set(_EXPORTS.values())):
        importlib.import_module(_module_path(module))


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(
            f"module 'keras_mm.training' has no attribute {name!r}")
    value = getattr(importlib.import_module(_module_path(module)), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))

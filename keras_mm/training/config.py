"""The options of one training run, as a plain dataclass."""

import dataclasses


@dataclasses.dataclass
class TrainConfig:
    """Every option of `keras_mm.training.train`.

    With a `tf.data.Dataset` as the training data, `batch_size` is only
    used for reporting (samples/s) when the dataset's batch dimension is
    not static: the dataset is fed as batched. `steps_per_epoch` (0: the
    dataset's cardinality, else counted once) and `steps` (total training
    steps, i.e. batches; 0: `epochs * steps_per_epoch`) size the run and
    the learning-rate schedule. `verbose`: 0 silent, 1 a progress bar
    with samples/s and ETA, 2 one line per epoch.

    Example:
    ```python
    config = keras_mm.training.TrainConfig(epochs=2, batch_size=32,
                                           accumulation_steps=4)
    config = config.override(["learning_rate=3e-4", "lora_rank=4"])
    ```
    """

    epochs: int = 1
    batch_size: int = 32
    steps_per_epoch: int = 0  # 0: all the data (a dataset's length)
    steps: int = 0  # total batches; 0: epochs * steps_per_epoch
    learning_rate: float = 1e-3
    warmup_fraction: float = 0.1
    weight_decay: float = 0.05
    layer_decay: float = 0.0
    global_clipnorm: float = 1.0
    l1: float = 0.0
    l2: float = 0.0
    accumulation_steps: int = 1
    precision: str = "float32"
    remat: tuple = ()
    freeze: tuple = ()  # tower names
    unlocked_blocks: int = 0
    freeze_patterns: tuple = ()
    lora_rank: int = 0
    lora_alpha: float = 0.0
    lora_towers: tuple = ()
    checkpoint_dir: str = ""
    checkpoint_every: int = 0
    keep_checkpoints: int = 2  # newest checkpoints kept, each checksummed
    resume: bool = True
    tensorboard_dir: str = ""
    # e.g. "text_encoder/block_0": maps as images; "auto": the last block
    # of the first non-text encoder.
    attention_layer: str = ""
    grad_norm_every: int = 0
    seed: int = 0
    verbose: int = 1  # 0 silent, 1 progress bar, 2 a line per epoch

    def override(self, assignments):
        """A copy with `key=value` strings applied (types from defaults)."""
        values = {}
        fields = {f.name: f for f in dataclasses.fields(self)}
        for item in assignments:
            if "=" not in item:
                raise ValueError(f"Expected key=value. Received: {item!r}")
            key, raw = item.split("=", 1)
            key = key.strip().replace("-", "_")
            if key not in fields:
                raise ValueError(
                    f"Unknown training option {key!r}; options: "
                    f"{', '.join(sorted(fields))}"
                )
            default = getattr(self, key)
            if isinstance(default, bool):
                values[key] = raw.lower() in ("1", "true", "yes")
            elif isinstance(default, tuple):
                values[key] = tuple(s for s in raw.split(",") if s)
            else:
                values[key] = type(default)(raw)
        return dataclasses.replace(self, **values)

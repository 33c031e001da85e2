"""The options of one training run, as a plain dataclass."""

import dataclasses


@dataclasses.dataclass
class TrainConfig:
    """Every option of `keras_mm.training.train`.

    Example:
    ```python
    config = keras_mm.training.TrainConfig(epochs=2, batch_size=32,
                                           accumulation_steps=4)
    config = config.override(["learning_rate=3e-4", "lora_rank=4"])
    ```
    """

    epochs: int = 1
    batch_size: int = 32
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
    resume: bool = True
    tensorboard_dir: str = ""
    attention_layer: str = ""  # e.g. "text_encoder/block_0": maps as images
    grad_norm_every: int = 0
    seed: int = 0
    verbose: int = 0

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

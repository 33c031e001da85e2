"""The options of a `keras-mm train` run: flags, a config file, aliases.

One flat mapping holds everything that decides a run: the start, the data
(paths and column keys), every `TrainConfig` option and the seed. It is
built from defaults, then a `--config` file (YAML or JSON), then flags, then
`--set KEY=VALUE`, each overriding the last, and written to
`RUN/config.yaml`, which reruns the run with `--config RUN/config.yaml`.
open_clip's names are accepted as aliases (`--lr`, `--wd`, `--warmup`,
`--accum-freq`, `--precision amp_bf16`, `--lock-image`, `--csv-img-key`...).

No Keras here: the CLI checks its arguments before Keras loads.
"""

import dataclasses
import json
import os

from keras_mm.training.config import TrainConfig

# TrainConfig fields the run folder decides (from `--out`), not the user.
RUN_MANAGED = ("checkpoint_dir", "tensorboard_dir", "resume")

# Keys of the run that are not TrainConfig fields, with their defaults.
RUN_KEYS = {
    "model": None,
    "train_data": None,
    "val_data": None,
    "val_fraction": 0.1,
    "media_key": None,
    "caption_key": None,
    "label_key": None,
    "separator": None,
    "allow_outside_root": False,
    "warmup_steps": 0,
    "recipe": None,
    "unimodal_data": None,
    "finetune_data": None,
}
RUN_KEY_TYPES = {"val_fraction": float, "warmup_steps": int}
RUN_KEY_HELP = {
    "model": "START: a pretrained checkpoint folder or file (Hugging Face "
             "CLIP/SigLIP, open_clip, keras-hub preset folder), a .keras "
             "file from an earlier run, or a keras_mm preset name (random "
             "init; the tokenizer is built from the training captions)",
    "train_data": "training pairs: CSV/TSV/JSONL manifest, COCO captions "
                  "JSON, image folder (one sub-folder per class) or "
                  "WebDataset shards",
    "val_data": "held-out pairs for Recall@K per epoch and report.json; "
                "without it a fixed fraction of --train-data is held out",
    "val_fraction": "fraction of --train-data held out when there is no "
                    "--val-data (default 0.1; at least 2, at most 1000 "
                    "pairs; chosen by --seed)",
    "unimodal_data": "with --recipe staged: the pairs whose images and "
                     "captions stage 1 pretrains the towers on (masked "
                     "patches, masked tokens); default: --train-data",
    "finetune_data": "with --recipe staged: the labelled pairs stage 3 "
                     "fine-tunes a classifier on (an image folder with "
                     "one sub-folder per class, or a manifest with a "
                     "--label-key column); default: --train-data",
    "allow_outside_root": "let media paths leave the manifest's folder "
                          "(.., absolute paths, symlinks out of it)",
    "warmup_steps": "learning-rate warmup in optimizer steps (open_clip's "
                    "--warmup); overrides --warmup-fraction",
}

# Changes that `--resume` accepts: they lengthen or shorten the run or
# change what is logged, not what the steps already taken computed.
RESUMABLE_CHANGES = ("epochs", "steps", "checkpoint_every",
                     "keep_checkpoints", "grad_norm_every",
                     "attention_layer", "verbose")

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
PRECISION_ALIASES = {
    "fp32": "float32", "float32": "float32",
    "amp": "mixed_float16", "amp_fp16": "mixed_float16",
    "amp_float16": "mixed_float16", "mixed_float16": "mixed_float16",
    "amp_bf16": "mixed_bfloat16", "amp_bfloat16": "mixed_bfloat16",
    "mixed_bfloat16": "mixed_bfloat16",
}

# Other names of keys, in config files and `--set` (open_clip's and the
# data flags' names).
KEY_ALIASES = {
    "lr": "learning_rate",
    "wd": "weight_decay",
    "warmup": "warmup_steps",
    "accum_freq": "accumulation_steps",
    "grad_clip_norm": "global_clipnorm",
    "lock_image_unlocked_groups": "unlocked_blocks",
    "lock_text_unlocked_layers": "unlocked_blocks",
    "image_key": "media_key",
    "csv_img_key": "media_key",
    "csv_caption_key": "caption_key",
    "text_key": "caption_key",
    "csv_separator": "separator",
    "start": "model",
}

TRAIN_HELP = {
    "epochs": "passes over the training data",
    "batch_size": "pairs per optimizer update (with --accumulation-steps "
                  "k, processed as k micro-batches of batch_size/k with "
                  "exact contrastive accumulation)",
    "learning_rate": "peak learning rate of AdamW",
    "warmup_fraction": "fraction of the steps spent in linear warmup "
                       "before the cosine decay",
    "weight_decay": "decoupled AdamW weight decay",
    "layer_decay": "layer-wise learning-rate decay factor (0: off)",
    "global_clipnorm": "clip gradients to this global norm (0: off)",
    "l1": "L1 penalty on kernels",
    "l2": "L2 penalty on kernels",
    "accumulation_steps": "exact contrastive gradient accumulation: split "
                          "each batch into k micro-batches",
    "precision": "float32, mixed_float16 or mixed_bfloat16; open_clip's "
                 "fp32, amp, amp_bf16 accepted",
    "remat": "comma-separated towers to rematerialise (less memory)",
    "freeze": "comma-separated towers to freeze, e.g. image (--lock-image "
              "adds image, --lock-text adds text)",
    "unlocked_blocks": "with --freeze: leave the top N blocks of each "
                       "frozen tower trainable",
    "freeze_patterns": "comma-separated regular expressions of variable "
                       "paths to freeze",
    "lora_rank": "LoRA rank on the attention projections (0: off)",
    "lora_alpha": "LoRA alpha (0: equal to the rank)",
    "lora_towers": "comma-separated towers that get LoRA (none given: "
                   "all)",
    "checkpoint_every": "save a resumable checkpoint every N steps under "
                        "RUN/checkpoints (0: once per epoch)",
    "keep_checkpoints": "newest checkpoints kept, each with a checksum; a "
                        "corrupt newest one falls back to the one before "
                        "(default 2)",
    "attention_layer": "log this block's attention maps to TensorBoard, "
                       "e.g. image_encoder/block_0 (default: auto, the "
                       "last block of the image/audio tower)",
    "grad_norm_every": "log per-tower gradient norms every N steps "
                       "(default: once per epoch)",
    "seed": "seed of the initialisation, the data order and the held-out "
            "split",
    "verbose": "0 silent, 1 a progress bar with samples/s and ETA, 2 a "
               "line per epoch",
    "steps": "stop after this many optimizer steps in all (for streamed "
             "data of unknown length)",
    "steps_per_epoch": "optimizer steps per epoch (for streamed data of "
                       "unknown length)",
}


def train_fields():
    """`{name: default}` of the TrainConfig fields a user sets."""
    return {f.name: getattr(TrainConfig(), f.name)
            for f in dataclasses.fields(TrainConfig)
            if f.name not in RUN_MANAGED}


def defaults():
    """The resolved config of a run given no options."""
    return {**RUN_KEYS, **{k: _plain(v) for k, v in train_fields().items()}}


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def _flag(key):
    return "--" + key.replace("_", "-")


def add_train_flags(parser):
    """Adds a flag for every run key and TrainConfig option to `parser`.

    Flags default to None (not given), so a `--config` file's value stands
    unless a flag overrides it. The data column flags come from
    `keras_mm.cli.data_flags.add_data_flags`.
    """
    for key in ("model", "train_data", "val_data", "unimodal_data",
                "finetune_data"):
        parser.add_argument(_flag(key), dest=key, metavar="PATH",
                            help=RUN_KEY_HELP[key])
    parser.add_argument("--val-fraction", dest="val_fraction", type=float,
                        help=RUN_KEY_HELP["val_fraction"])
    parser.add_argument("--warmup", "--warmup-steps", dest="warmup_steps",
                        type=int, metavar="STEPS",
                        help=RUN_KEY_HELP["warmup_steps"])
    aliases = {"learning_rate": ["--lr"], "weight_decay": ["--wd"],
               "accumulation_steps": ["--accum-freq"],
               "global_clipnorm": ["--grad-clip-norm"],
               "unlocked_blocks": ["--lock-image-unlocked-groups"]}
    for key, default in train_fields().items():
        names = [_flag(key)] + aliases.get(key, [])
        shown = ",".join(default) if isinstance(default, tuple) else default
        kwargs = {"dest": key, "help": f"{TRAIN_HELP.get(key, key)} "
                  f"(default: {shown if shown != '' else 'none'})"}
        if key == "precision":
            kwargs["choices"] = sorted(PRECISION_ALIASES)
            kwargs["metavar"] = "PRECISION"
        elif isinstance(default, bool):
            kwargs["type"] = _parse_bool
        elif isinstance(default, tuple):
            kwargs["metavar"] = "A,B"
        elif isinstance(default, (int, float)):
            kwargs["type"] = type(default)
        parser.add_argument(*names, **kwargs)
    parser.add_argument("--lock-image", action="store_true", default=None,
                        help="freeze the image tower (open_clip's name; "
                             "adds image to --freeze)")
    parser.add_argument("--lock-text", action="store_true", default=None,
                        help="freeze the text tower (adds text to "
                             "--freeze)")
    parser.add_argument("--config", metavar="FILE",
                        help="a YAML or JSON file of these options (e.g. "
                             "an earlier RUN/config.yaml); flags override "
                             "it")


def _parse_bool(raw):
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def canonical_key(key):
    """A key as the config names it (`lr` → `learning_rate`)."""
    key = str(key).strip().lower().replace("-", "_")
    return KEY_ALIASES.get(key, key)


def _to_int(value):
    number = float(value) if isinstance(value, str) else value
    if isinstance(number, bool) or not float(number).is_integer():
        raise ValueError("expected an integer")
    return int(number)


def coerce(key, value, source="option"):
    """`value` converted to the type of `key`; raises ValueError naming
    the key and what was expected."""
    known = defaults()
    if key not in known:
        raise ValueError(f"unknown {source} {key!r}; options: "
                         + ", ".join(sorted(known)))
    default = known[key]
    try:
        if isinstance(default, list):
            items = value if isinstance(value, (list, tuple)) else str(
                value or "").split(",")
            return [str(s).strip() for s in items if str(s).strip()]
        if value is None or str(value).strip().lower() in ("none", "null"):
            if default is None:
                return None
            raise ValueError("expected a value")
        if key == "precision":
            name = str(value).strip().lower()
            if name not in PRECISION_ALIASES:
                raise ValueError("expected one of "
                                 + ", ".join(sorted(PRECISION_ALIASES)))
            return PRECISION_ALIASES[name]
        if isinstance(default, bool):
            return _parse_bool(value)
        kind = RUN_KEY_TYPES.get(key) or (
            type(default) if default is not None else str)
        return _to_int(value) if kind is int else kind(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{source} {key}={value!r}: {error}") from None


def read_config_file(path):
    """The options in a YAML or JSON file, keys made canonical and values
    checked; raises FileNotFoundError / ValueError in one line."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--config: no such file: {path}")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    import yaml

    try:
        content = (json.loads(text) if path.lower().endswith(".json")
                   else yaml.safe_load(text))
    except (ValueError, yaml.YAMLError) as error:
        first = str(error).strip().splitlines()[0] if str(error) else ""
        raise ValueError(f"{path}: not valid YAML/JSON ({first})") from None
    if content is None:
        content = {}
    if not isinstance(content, dict):
        raise ValueError(f"{path}: expected a mapping of option: value, got "
                         f"a {type(content).__name__}")
    options = {}
    for raw_key, value in content.items():
        key = canonical_key(raw_key)
        if key in ("lock_image", "lock_text"):
            if _parse_bool(value):
                options.setdefault("_lock", []).append(key[5:])
            continue
        options[key] = coerce(key, value, source=f"{path}: option")
    return options


def resolve_options(args):
    """The run's full config (a flat dict) from `args` (parsed by a parser
    with `add_train_flags` and the data flags): defaults, then `--config`,
    then flags, then `--set`."""
    config = defaults()
    locks = []
    if getattr(args, "config", None):
        from_file = read_config_file(args.config)
        locks += from_file.pop("_lock", [])
        config.update(from_file)
    for key in config:
        value = getattr(args, key, None)
        if value is not None:
            config[key] = coerce(key, value, source="flag")
    data_keys = _data_flag_values(args)
    config.update({k: v for k, v in data_keys.items() if v is not None})
    for item in getattr(args, "set", None) or []:
        if "=" not in item:
            raise ValueError(f"--set expects KEY=VALUE. Received: {item!r}")
        key, raw = item.split("=", 1)
        key = canonical_key(key)
        if key in ("lock_image", "lock_text"):
            if _parse_bool(raw):
                locks.append(key[5:])
            continue
        config[key] = coerce(key, raw, source="--set")
    if getattr(args, "lock_image", None):
        locks.append("image")
    if getattr(args, "lock_text", None):
        locks.append("text")
    for tower in locks:
        if tower not in config["freeze"]:
            config["freeze"] = list(config["freeze"]) + [tower]
    return config


def _data_flag_values(args):
    # The dests of `keras_mm.cli.data_flags.add_data_flags`, read here so
    # that training never imports the CLI.
    return {"media_key": getattr(args, "image_key", None),
            "caption_key": getattr(args, "caption_key", None),
            "label_key": getattr(args, "label_key", None),
            "separator": getattr(args, "csv_separator", None),
            "allow_outside_root": (
                True if getattr(args, "allow_outside_root", False) else None)}


# How the data is read: passed to every reader of --train-data/--val-data.
COLUMN_KEYS = ("media_key", "caption_key", "label_key", "separator",
               "allow_outside_root")


def val_data_keys(config, modality="image"):
    """The column keys `--val-data` is read with: the training data's, less
    its label column when the validation manifest has none (labels are
    optional). Checks the validation data (no Keras); raises one line."""
    from keras_mm.data.errors import DataError
    from keras_mm.data.sources import check_source

    keys = {k: config[k] for k in COLUMN_KEYS}
    try:
        check_source(config["val_data"], modality=modality, **keys)
    except DataError:
        if not keys["label_key"]:
            raise
        keys["label_key"] = None
        check_source(config["val_data"], modality=modality, **keys)
    return keys


def train_config(config, **run_managed):
    """The `TrainConfig` of a resolved run config, plus the run-managed
    fields (`checkpoint_dir=...`)."""
    fields = {f.name: f for f in dataclasses.fields(TrainConfig)}
    values = {}
    for key, value in config.items():
        if key in fields and key not in RUN_MANAGED:
            values[key] = tuple(value) if isinstance(value, list) else value
    return TrainConfig(**values, **run_managed)


def check_options(config):
    """Raises ValueError (one line) for a run config that cannot run."""
    if not config.get("model"):
        raise ValueError("train: --model START is required with "
                         "--train-data (a checkpoint folder or file, a "
                         ".keras file or a preset name)")
    if not config.get("train_data"):
        raise ValueError("train: --train-data PATH is required")
    if not 0.0 < config["val_fraction"] < 1.0:
        raise ValueError("--val-fraction must be between 0 and 1. "
                         f"Received: {config['val_fraction']}")
    for key in ("epochs", "batch_size", "accumulation_steps"):
        if config[key] < (0 if key == "epochs" else 1):
            raise ValueError(f"--{key.replace('_', '-')} must be positive. "
                             f"Received: {config[key]}")
    k = config["accumulation_steps"]
    if config["batch_size"] % k:
        raise ValueError(
            f"--batch-size {config['batch_size']} must be a multiple of "
            f"--accumulation-steps {k} (each batch is split into {k} "
            "micro-batches)")
    if config.get("recipe") not in (None, "clip", "staged"):
        raise ValueError("recipe must be clip or staged. Received: "
                         f"{config['recipe']!r}")
    if config["warmup_steps"] < 0:
        raise ValueError("--warmup must be >= 0. Received: "
                         f"{config['warmup_steps']}")


def diff(recorded, config):
    """`{key: (recorded, now)}` for every key whose value differs (a key
    missing on one side counts as its default)."""
    known = defaults()
    changed = {}
    for key in list(recorded) + [k for k in config if k not in recorded]:
        before = recorded.get(key, known.get(key))
        after = config.get(key, known.get(key))
        if _plain(before) != _plain(after):
            changed[key] = (before, after)
    return changed

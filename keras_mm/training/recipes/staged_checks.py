"""Checks of a `--recipe staged` run on the user's data, before Keras loads.

Each stage's data is checked the way `read_pairs` will read it: stage 1
needs images and captions, stage 3 class labels (an image folder's
sub-folders or a `--label-key` column). No Keras here.
"""

import os

from keras_mm.training import run_options

# Where each stage's data comes from: its own key, else --train-data.
STAGE_DATA_KEYS = {"unimodal": "unimodal_data", "alignment": "train_data",
                   "finetune": "finetune_data"}


def stage_data(config, stage):
    """The path of `stage`'s data (`"unimodal"`, `"alignment"` or
    `"finetune"`): its own flag's, else `--train-data`.

    Example:
    ```python
    stage_data({"train_data": "pets/", "finetune_data": None},
               "finetune")  # "pets/"
    ```
    """
    return config.get(STAGE_DATA_KEYS[stage]) or config["train_data"]


def check_staged(config, start, source_kind):
    """Raises ValueError / FileNotFoundError / DataError (one line) when a
    staged run of `config` cannot run; makes the stage data paths in
    `config` absolute.

    Args:
        config: dict. The resolved run config (`run_options`).
        start: dict. `keras_mm.training.start.describe_start`'s result.
        source_kind: str. `check_source(train_data)["kind"]`.
    """
    from keras_mm.data.sources import check_source

    if start["modality"] != "image":
        raise ValueError(f"--recipe staged trains image–text models; "
                         f"--model {start['path']} is a {start['modality']}"
                         "–text model")
    if config["precision"] != "float32":
        raise ValueError("--recipe staged trains in float32 (its stages "
                         "share the towers); drop --precision")
    if config["lora_rank"]:
        raise ValueError("--recipe staged trains the towers themselves; "
                         "drop --lora-rank")
    columns = {k: config[k] for k in run_options.COLUMN_KEYS}
    kinds = {"alignment": source_kind}
    for stage in ("unimodal", "finetune"):
        key = STAGE_DATA_KEYS[stage]
        if config[key]:
            kinds[stage] = check_source(config[key], modality="image",
                                        **columns)["kind"]
            config[key] = os.path.abspath(config[key])
    # Stage 3 learns the class labels: checked now, not after the first
    # two stages have run.
    check_source(stage_data(config, "finetune"), modality="image",
                 need_label=True, **columns)
    for stage, kind in kinds.items():
        if kind == "webdataset":
            raise ValueError(
                f"--recipe staged reads each stage's pairs into memory; "
                f"{stage_data(config, stage)} ({stage} data) is a "
                "WebDataset stream: give a manifest or an image folder")

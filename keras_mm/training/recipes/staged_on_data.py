"""`keras-mm train --recipe staged --model START --train-data PAIRS`: the
staged recipe (`staged.py`) on the user's data.

1. unimodal: masked-patch pretraining of START's image tower on the
   images and masked-token pretraining of its text tower on the captions
   of `--unimodal-data` (default: the train data);
2. alignment: START's own contrastive loss on the train pairs, on the
   towers of stage 1;
3. finetune: a linear classifier of the class labels of `--finetune-data`
   (default: the train data) on the aligned image tower, with its patch
   embedding frozen.

Images and captions become inputs through START's preprocessors (a preset
start gets a tokenizer built from the captions), so `RUN/model.keras`, the
aligned and fine-tuned contrastive model, is self-contained. Each stage
checkpoints under `RUN/checkpoints/<stage>` (a rerun resumes, a finished
stage is restored) and reports its data, its start and its held-out metric
before and after in `RUN/report.json`.
"""

import dataclasses
import os
import time

import numpy as np

from keras_mm import backend
from keras_mm.data.errors import DataError
from keras_mm.training import run_folder
from keras_mm.training import run_options
from keras_mm.training.recipes.staged_checks import stage_data

# What a decoder may raise on a bad file besides DataError.
_DECODE_ERRORS = (DataError, OSError, ValueError, SyntaxError)


def _read_stage(config, stage, skipped, need_label=False):
    """`(train_pairs, validation_pairs, note)` of a stage: `--val-data`
    when the stage reads the train data (and, for labels, when it has
    them), else a held-out fraction of the stage's own data."""
    from keras_mm.training.run_training import read_data

    path = stage_data(config, stage)
    val = config["val_data"] if path == config["train_data"] else None
    sub = {**config, "train_data": path, "val_data": val}
    train, held, note = read_data(sub, "manifest", "image", skipped)
    if need_label and val and not all(_has_label(p) for p in held):
        # A validation set without labels cannot score a classifier.
        train, held, note = read_data({**sub, "val_data": None}, "manifest",
                                      "image", skipped)
    if need_label:
        # Rows with an empty label cannot be learned or scored.
        train = [p for p in train if _has_label(p)]
        held = [p for p in held if _has_label(p)]
        if len({p.meta["label"] for p in train}) < 2 or not held:
            raise ValueError(f"{path}: stage 3 needs labelled pairs of at "
                             "least 2 classes to train and some to "
                             "validate on")
    return train, held, note


def _has_label(pair):
    return pair.meta.get("label") not in (None, "")


def _inputs(pairs, model, skipped):
    """`(inputs, kept_pairs)`: the model's image and text inputs as arrays
    (through its preprocessors), without the pairs that cannot be read
    (counted in `skipped`)."""
    from keras_mm.data.model_dataset import media_loader
    from keras_mm.data.model_dataset import model_preprocessor

    load = media_loader("image", model_preprocessor(model, "image"))
    image_key = next(iter(model.encoders["image"].input_keys))
    images, kept = [], []
    for pair in pairs:
        try:
            outputs = load(pair.media)
        except _DECODE_ERRORS as error:
            if not isinstance(error, DataError):
                error = DataError(pair.source, None, f"cannot read "
                                  f"{pair.media} ({error})",
                                  kind="undecodable")
            skipped.add(error)
            continue
        images.append(outputs.get(image_key, next(iter(outputs.values()))))
        kept.append(pair)
    if not kept:
        raise ValueError("no image of the stage's pairs could be read")
    tokens = model_preprocessor(model, "text")([p.text for p in kept])
    inputs = {image_key: np.stack(images).astype("float32")}
    inputs.update({k: np.asarray(tokens[k])
                   for k in model.encoders["text"].input_keys})
    return inputs, kept


def _class_indices(train, validation):
    """`(train_labels, validation_labels, class_names)`: the pairs' labels
    as indices of the sorted class names of both."""
    names = sorted({str(p.meta["label"]) for p in train + validation})
    index = {name: i for i, name in enumerate(names)}
    return tuple(np.array([index[str(p.meta["label"])] for p in pairs],
                          "int32") for pairs in (train, validation)) + (
        names,)


def _mask_token_id(preprocessor):
    from keras_mm.data.text_preprocessor import TextPreprocessor
    from keras_mm.training.recipes.stage_tasks import MASK_TOKEN_ID

    if isinstance(preprocessor, TextPreprocessor):
        return MASK_TOKEN_ID
    # Other tokenizers: masked tokens are replaced by random ones.
    return getattr(preprocessor, "mask_token_id", None)


def _check_towers(model, start):
    image, text = model.encoders["image"], model.encoders["text"]
    missing = [f"image tower {n}" for n in ("image_size", "patch_size")
               if not hasattr(image, n)] + [
        f"text tower {n}" for n in ("vocabulary_size", "sequence_length")
        if not hasattr(text, n)]
    if missing or list(image.input_keys) != ["images"]:
        raise ValueError(
            f"--model {start}: --recipe staged pretrains a ViT image tower "
            "and a transformer text tower (keras_mm presets, or .keras "
            "runs of them); this one has no " + ", ".join(
                missing or ["'images' input"]))


def _evaluate(model, data, metric):
    x, y, w = (data + (None, None))[:3] if isinstance(data, tuple) else (
        data, None, None)
    result = model.evaluate(x, y, sample_weight=w, verbose=0,
                            return_dict=True, batch_size=64)
    return float(result[metric])


def _run_stage(name, model, train_data, val_data, metric, lower_better,
               config, print_fn):
    """Trains one stage; returns its report entry (without data/start)."""
    from keras_mm.training.trainer import train

    if not model.compiled:
        model.compile(**getattr(model, "compile_kwargs", {}))
    before = _evaluate(model, val_data, metric)
    print_fn(f"[staged] {name}: {metric} before {before:.4f}")
    model, result = train(model, train_data, config, print_fn=print_fn)
    after = _evaluate(model, val_data, metric)
    improved = after < before if lower_better else after > before
    print_fn(f"[staged] {name}: {metric} after {after:.4f} "
             f"({'improved' if improved else 'NOT improved'})")
    return {"metric": metric, "before": before, "after": after,
            "improved": bool(improved),
            "resumed_from_step": result["resumed_from_step"],
            "learning_rate": config.learning_rate,
            "parameters": result["parameters"]}


def run_staged_on_data(config, out, decision="start", print_fn=print):
    """Runs the three stages on the user's data into the run folder `out`.

    Args:
        config: dict. A resolved run config (`run_options`) with
            `recipe: staged`, checked by `check_staged`.
        out: str. The run folder (`RunFolder.prepare` already called).
        decision: str. `"start"`, `"resume"` or `"overwrite"`.

    Returns:
        The report written to `RUN/report.json`: `stages` holds
        `unimodal`, `alignment` and `finetune`, each with its `data`,
        `start`, `validation`, `metric`, `before` and `after`.

    Example:
    ```python
    config = {**run_options.defaults(), "model": "clip-tiny",
              "train_data": "photos/", "recipe": "staged"}
    RunFolder("run").prepare(config)
    report = run_staged_on_data(config, "run")
    report["stages"]["finetune"]["after"]
    ```
    """
    from keras_mm.data.error_report import ErrorReport
    from keras_mm.training.freezing import freeze_by_pattern
    from keras_mm.training.recipes import stage_tasks as tasks
    from keras_mm.training.start import build_start

    tick = time.perf_counter()
    run = run_folder.RunFolder(out)
    seed, start = config["seed"], config["model"]
    skipped = ErrorReport(verbose=False)
    data = {"unimodal": _read_stage(config, "unimodal", skipped),
            "alignment": _read_stage(config, "alignment", skipped),
            "finetune": _read_stage(config, "finetune", skipped,
                                    need_label=True)}
    for stage, (_, _, note) in data.items():
        print_fn(f"[staged] {stage} data: {stage_data(config, stage)}; "
                 f"{note}")
    captions = [p.text for stage in ("unimodal", "alignment")
                for p in data[stage][0]]
    model = build_start(start, captions, seed=seed)
    _check_towers(model, start)
    image_encoder = model.encoders["image"]
    text_encoder = model.encoders["text"]
    # Stages reading the same pairs (by default all three) decode once.
    decoded = {}

    def inputs(pairs):
        key = tuple((p.source, str(p.media), p.text) for p in pairs)
        if key not in decoded:
            decoded[key] = _inputs(pairs, model, skipped)
        return decoded[key]

    arrays = {stage: tuple(inputs(pairs) for pairs in data[stage][:2])
              for stage in data}

    base = run_options.train_config(config, resume=decision == "resume")
    if not base.checkpoint_every:
        base = dataclasses.replace(base, checkpoint_every=100)

    def stage_config(name, **changes):
        return dataclasses.replace(
            base, checkpoint_dir=os.path.join(run.checkpoints, name),
            **changes)

    # Stages 1 and 3 train single-tower tasks: tower freezing applies to
    # the alignment only.
    single = {"freeze": (), "unlocked_blocks": 0}
    report = {"backend": backend.name(), "recipe": "staged",
              "start": start, "stages": {}}

    # === 1. Unimodal pretraining ===
    (train_x, _), (val_x, _) = arrays["unimodal"]
    patch = int(image_encoder.patch_size)
    patch_task = tasks.masked_patch_model(image_encoder, patch)
    image_entry = _run_stage(
        "unimodal image (masked patches)", patch_task,
        tasks.masked_patch_data(train_x["images"], patch, seed=seed),
        tasks.masked_patch_data(val_x["images"], patch, seed=seed + 1),
        "loss", True, stage_config("unimodal_image", **single), print_fn)
    mask_id = _mask_token_id(model.preprocessors["text"])
    vocabulary = int(text_encoder.vocabulary_size)
    token_task = tasks.masked_token_model(text_encoder)
    text_entry = _run_stage(
        "unimodal text (masked tokens)", token_task,
        tasks.masked_token_data(train_x, seed=seed, mask_token_id=mask_id,
                                vocabulary_size=vocabulary),
        tasks.masked_token_data(val_x, seed=seed + 1,
                                mask_token_id=mask_id,
                                vocabulary_size=vocabulary),
        "loss", True, stage_config("unimodal_text", **single), print_fn)
    report["stages"]["unimodal"] = _entry(
        config, "unimodal", data, start, {"image": image_entry,
                                          "text": text_entry})

    # === 2. Alignment ===
    (train_x, _), (val_x, _) = arrays["alignment"]
    entry = _run_stage("alignment (contrastive)", model, train_x, val_x,
                       "loss", True, stage_config("alignment"), print_fn)
    report["stages"]["alignment"] = {
        **_entry(config, "alignment", data, "unimodal"), **entry}

    # === 3. Fine-tuning ===
    # Any tower frozen for the alignment trains again; the patch
    # embedding stays fixed, as in the built-in recipe.
    image_encoder.trainable = True
    (train_x, train_kept), (val_x, val_kept) = arrays["finetune"]
    train_y, val_y, class_names = _class_indices(train_kept, val_kept)
    classifier = tasks.image_classifier(image_encoder, len(class_names))
    frozen = f"{image_encoder.name}/patch_embedding"
    entry = _run_stage(
        "finetune (classification)", classifier,
        ({"images": train_x["images"]}, train_y),
        ({"images": val_x["images"]}, val_y), "accuracy", False,
        stage_config("finetune", freeze_patterns=(
            tuple(base.freeze_patterns) + (frozen,)), **single), print_fn)
    freeze_by_pattern(classifier, frozen, trainable=True)
    report["stages"]["finetune"] = {
        **_entry(config, "finetune", data, "alignment"), **entry,
        "classes": class_names}

    # The saved model trains as a whole when it is a start again.
    model.trainable = True
    run_folder.save_model(model, run.model)
    report.update({"all_improved": all(
        _improved(s) for s in report["stages"].values()),
        "skipped": skipped.totals(),
        "seconds": time.perf_counter() - tick})
    run_folder.write_json(run.report, report)
    print_fn(format_stages(report))
    print_fn(f"wrote {run.model} and {run.report}")
    return report


def _entry(config, stage, data, start, parts=None):
    train, held, note = data[stage]
    entry = {"data": stage_data(config, stage), "start": start,
             "train_pairs": len(train), "validation_pairs": len(held),
             "validation": note}
    if parts:
        entry.update({"metric": "loss",
                      "before": {k: v["before"] for k, v in parts.items()},
                      "after": {k: v["after"] for k, v in parts.items()},
                      "improved": all(v["improved"]
                                      for v in parts.values()),
                      **parts})
    return entry


def _improved(stage):
    return bool(stage["improved"])


def format_stages(report):
    """The stage table printed at the end of a staged run."""
    rows = [f"{'stage':<20}{'metric':<10}{'before':>10}{'after':>10}  ok"]
    for name, stage in report["stages"].items():
        parts = {f"{name} {k}": stage[k] for k in ("image", "text")
                 if k in stage} or {name: stage}
        for label, s in parts.items():
            rows.append(f"{label:<20}{s['metric']:<10}{s['before']:>10.4f}"
                        f"{s['after']:>10.4f}  "
                        f"{'yes' if s['improved'] else 'NO'}")
    return "\n".join(rows)

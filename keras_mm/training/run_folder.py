"""The folder of one `keras-mm train` run.

```
RUN/config.yaml      the resolved config; `--config RUN/config.yaml` reruns it
RUN/checkpoints/     the last resumable checkpoints (model + optimizer +
                     step + config, checksummed; `checkpoint_files`)
RUN/logs/            TensorBoard: loss per step and epoch, learning rate,
                     samples/s, Recall@K, zero-shot accuracy, gradient
                     norms, attention maps and a retrieval grid
RUN/history.json     per-epoch logs
RUN/model.keras      the trained model with its preprocessors (atomic)
RUN/report.json      held-out retrieval before and after training
```

Rerunning into a RUN resumes only when the config matches
`RUN/config.yaml`. `--resume` also accepts changes to
`run_options.RESUMABLE_CHANGES` (epochs, steps, checkpoint/log intervals;
the schedule is recomputed for the new length); `--overwrite` starts
afresh. Rerunning a finished run changes nothing and says so. No Keras
here.
"""

import json
import os
import shutil

from keras_mm.training import checkpoint_files
from keras_mm.training import run_options

CONFIG = "config.yaml"
CHECKPOINTS = "checkpoints"
LOGS = "logs"
HISTORY = "history.json"
MODEL = "model.keras"
REPORT = "report.json"
# What `--overwrite` removes: only the files a run writes.
RUN_ENTRIES = (CONFIG, CHECKPOINTS, LOGS, HISTORY, MODEL, REPORT)


class RunFolder:
    """Paths of a run folder, and whether it starts, resumes or refuses.

    Args:
        path: str. The `--out` folder.

    Example:
    ```python
    run = keras_mm.training.run_folder.RunFolder("runs/cats")
    run.prepare(config)  # "start" or "resume"; ValueError if it differs
    run.checkpoints, run.model
    ```
    """

    def __init__(self, path):
        self.path = os.path.abspath(path)

    def __getattr__(self, name):
        entries = {"config": CONFIG, "checkpoints": CHECKPOINTS,
                   "logs": LOGS, "history": HISTORY, "model": MODEL,
                   "report": REPORT}
        if name in entries:
            return os.path.join(self.path, entries[name])
        raise AttributeError(name)

    def recorded_config(self):
        """The config of an earlier run in this folder, or None."""
        if not os.path.isfile(self.config):
            return None
        recorded = run_options.read_config_file(self.config)
        recorded.pop("_lock", None)
        return recorded

    def decide(self, config, resume=False, overwrite=False):
        """`"start"`, `"resume"` or `"overwrite"` for a run of `config`.

        Raises ValueError in one line when the folder holds another run
        (naming the keys that differ) and neither flag allows it.
        """
        if resume and overwrite:
            raise ValueError("--resume and --overwrite exclude each other")
        if overwrite:
            return "overwrite"
        recorded = self.recorded_config()
        if recorded is None:
            if os.path.isdir(self.checkpoints):
                raise ValueError(
                    f"{self.path} holds checkpoints but no {CONFIG}; use "
                    "--overwrite to start afresh or another --out")
            if resume:
                raise ValueError(f"--resume: no run to resume in "
                                 f"{self.path} (no {CONFIG})")
            return "start"
        changed = run_options.diff(recorded, config)
        if not changed:
            return "resume"
        blocking = [k for k in changed
                    if not (resume and k in run_options.RESUMABLE_CHANGES)]
        if not blocking:
            return "resume"
        names = ", ".join(f"{k} {_show(changed[k][0])} there, "
                          f"{_show(changed[k][1])} now" for k in blocking)
        hint = ("--resume allows only " + ", ".join(
            run_options.RESUMABLE_CHANGES) + " to change; --overwrite "
            "starts afresh" if resume else
            "rerun with its options, --resume or --overwrite")
        raise ValueError(f"{self.path} holds a run with another config "
                         f"({names}; see {CONFIG}); {hint}")

    def finished(self, config):
        """Whether this folder holds a finished run of `config`: the same
        config, its newest checkpoint at the run's last step, and its
        model and report written."""
        recorded = self.recorded_config()
        if recorded is None or run_options.diff(recorded, config):
            return False
        metadata = checkpoint_files.latest_metadata(self.checkpoints)
        return bool(metadata and metadata.get("finished")) and all(
            os.path.isfile(p) for p in (self.model, self.report))

    def prepare(self, config, resume=False, overwrite=False):
        """Applies `decide`: clears the run's files on overwrite and
        writes `config.yaml`; returns the decision."""
        decision = self.decide(config, resume, overwrite)
        if decision == "overwrite":
            for name in RUN_ENTRIES:
                path = os.path.join(self.path, name)
                if os.path.isdir(path):
                    shutil.rmtree(path)
                elif os.path.exists(path):
                    os.remove(path)
        os.makedirs(self.path, exist_ok=True)
        write_config(self.config, config)
        return decision


def _show(value):
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value)) or "[]"
    return str(value)


def write_config(path, config):
    """Writes the resolved config as YAML, atomically."""
    import yaml

    text = ("# keras-mm train: the resolved config of this run; rerun with "
            "`keras-mm train --config config.yaml --out RUN`\n"
            + yaml.safe_dump(_plain(config), sort_keys=False))
    write_text(path, text)


def _plain(config):
    return {k: list(v) if isinstance(v, tuple) else v
            for k, v in config.items()}


def write_text(path, text):
    """Writes `text` to `path` through a temporary file and a rename."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def write_json(path, content):
    """Writes `content` as indented JSON, atomically."""
    write_text(path, json.dumps(content, indent=2) + "\n")


def read_json(path):
    """The JSON content of `path` (e.g. a run's `report.json`)."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def save_model(model, path):
    """`model.save(path)` through a temporary `.keras` file and a rename,
    so a failed save never replaces a good model."""
    folder, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(folder, f".tmp-{os.getpid()}-{name}")
    try:
        model.save(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)

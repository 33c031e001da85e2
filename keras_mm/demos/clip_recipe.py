"""The quickstart CLIP on the built-in data, trained through `train`."""

import json
import os


from keras_mm.data.text_preprocessor import TextPreprocessor
from keras_mm.datasets.splits import image_text_split
from keras_mm.models.clip.quickstart_clip import IMAGE_SIZE
from keras_mm.models.clip.quickstart_clip import SEQUENCE_LENGTH
from keras_mm.models.clip.quickstart_clip import build_quickstart_clip
from keras_mm.quickstart import model_inputs
from keras_mm.training.config import TrainConfig
from keras_mm.training.lora import save_lora_adapter
from keras_mm.training.trainer import train

SIZES = {"tiny": dict(n=128, hidden_dim=32, num_layers=1, epochs=1,
                      batch_size=32),
         "small": dict(n=2048, hidden_dim=64, num_layers=2, epochs=3,
                       batch_size=64)}


def run_clip(out_dir, size="tiny", seed=0, overrides=(), print_fn=print):
    """Trains the quickstart CLIP with `TrainConfig` overrides; returns the
    report and writes `report.json`, the weights and any LoRA adapter."""
    spec = SIZES[size]
    config = TrainConfig(
        epochs=spec["epochs"], batch_size=spec["batch_size"], seed=seed,
        checkpoint_dir=os.path.join(out_dir, "checkpoint"),
    ).override(overrides)
    pairs = image_text_split("train", spec["n"], IMAGE_SIZE, seed)
    preprocessor = TextPreprocessor.from_corpus(
        pairs["captions"], vocabulary_size=256,
        sequence_length=SEQUENCE_LENGTH)
    data = model_inputs(pairs, preprocessor)
    model, report = train(
        lambda: build_quickstart_clip(
            preprocessor.vocabulary_size, spec["hidden_dim"],
            spec["num_layers"], 2, projection_dim=32),
        data, config, print_fn=print_fn)
    model.save_weights(os.path.join(out_dir, "model.weights.h5"))
    if config.lora_rank:
        report["adapter"] = save_lora_adapter(
            model, os.path.join(out_dir, "adapter.npz"))
    with open(os.path.join(out_dir, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
    return report

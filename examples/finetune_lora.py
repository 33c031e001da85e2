"""LoRA fine-tuning of a CLIP's text tower, saved as a small adapter.

    python examples/finetune_lora.py --tiny

Builds the quickstart CLIP, enables LoRA (rank 4) on the text tower's
attention, trains only the adapter, saves it alone, merges it into the base
kernels for export and checks that the merged model gives the same
embeddings.
"""

import argparse
import os
import tempfile

import keras
import numpy as np

import keras_mm
from keras_mm import training
from keras_mm.models.clip.quickstart_clip import SEQUENCE_LENGTH
from keras_mm.models.clip.quickstart_clip import (
    build_quickstart_clip as build_model,
)
from keras_mm.quickstart import model_inputs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--rank", type=int, default=4)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    n, epochs = (64, 1) if args.tiny else (2048, 3)
    out = args.out or tempfile.mkdtemp(prefix="lora_")

    pairs = keras_mm.datasets.make_image_text_pairs(n, 32, seed=0)
    preprocessor = keras_mm.data.TextPreprocessor.from_corpus(
        pairs["captions"], vocabulary_size=256,
        sequence_length=SEQUENCE_LENGTH)
    data = model_inputs(pairs, preprocessor)
    config = training.TrainConfig(epochs=epochs, batch_size=32,
                                  learning_rate=5e-3, lora_rank=args.rank,
                                  lora_towers=("text",))
    model, report = training.train(
        lambda: build_model(preprocessor.vocabulary_size, 32, 1, 2, 32),
        data, config)

    adapter = training.save_lora_adapter(model, os.path.join(out,
                                                             "adapter.npz"))
    full = os.path.join(out, "model.weights.h5")
    model.save_weights(full)
    ratio = os.path.getsize(adapter) / os.path.getsize(full)
    merged = training.merge_lora(model)
    probe = {k: v[:8] for k, v in data.items()}
    a = model.predict(probe, verbose=0)["text_embeddings"]
    b = merged.predict(probe, verbose=0)["text_embeddings"]
    error = float(np.max(np.abs(a - b)))
    print(f"adapter {os.path.getsize(adapter):,} B = {ratio:.2%} of the "
          f"model; merged max |diff| = {error:.2e}; "
          f"final loss {report['final_loss']:.4f}")
    return {"adapter_ratio": ratio, "merge_error": error,
            "backend": keras.config.backend()}


if __name__ == "__main__":
    main()

"""Train a small CLIP with Recall@K logged each epoch, then evaluate it.

Writes model.keras, vocab.txt and training_log.csv, then the same
report.json and PNG figures as `keras-mm eval --model OUT/model.keras`.

Run: python examples/evaluate.py [--tiny] [--out DIR]
"""

import argparse
import os

import keras
import numpy as np

from keras_mm.data.text_preprocessor import TextPreprocessor
from keras_mm.datasets.shapes import make_image_text_pairs
from keras_mm.demos.eval_data import builtin_eval_data
from keras_mm.evaluation import RetrievalCallback
from keras_mm.evaluation import embed_long_texts
from keras_mm.evaluation import evaluate_model
from keras_mm.evaluation.encoding import text_inputs
from keras_mm.metrics import corpus_bleu
from keras_mm.metrics import rouge_scores
from keras_mm.models.clip.quickstart_clip import (
    build_quickstart_clip as build_model,
)


def inputs_of(pairs, preprocessor):
    return {"images": pairs["images"].astype("float32"),
            **text_inputs(preprocessor, pairs["captions"])}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true",
                        help="a seconds-long run (CI)")
    parser.add_argument("--out", default="evaluate_out")
    args = parser.parse_args(argv)
    sizes = (dict(train=128, held_out=32, epochs=2, hidden_dim=32)
             if args.tiny else
             dict(train=4000, held_out=256, epochs=6, hidden_dim=64))
    os.makedirs(args.out, exist_ok=True)
    keras.utils.set_random_seed(0)

    # === Data, vocabulary, model ===
    train = make_image_text_pairs(sizes["train"], seed=0)
    held_out = make_image_text_pairs(sizes["held_out"], seed=1)
    preprocessor = TextPreprocessor.from_corpus(
        train["captions"], vocabulary_size=256, sequence_length=32)
    preprocessor.save_vocabulary(os.path.join(args.out, "vocab.txt"))
    model = build_model(preprocessor.vocabulary_size, sizes["hidden_dim"],
                        num_layers=1, num_heads=2)
    model.compile()

    # === Fit, logging held-out Recall@K every epoch ===
    recall = RetrievalCallback(inputs_of(held_out, preprocessor),
                               image_labels=held_out["captions"],
                               text_labels=held_out["captions"], ks=(1, 5))
    log_path = os.path.join(args.out, "training_log.csv")
    model.fit(inputs_of(train, preprocessor), batch_size=32,
              epochs=sizes["epochs"], verbose=0,
              callbacks=[recall, keras.callbacks.CSVLogger(log_path)])
    for row in recall.history:
        print(f"epoch {row['epoch']}: held-out image→text R@5 = "
              f"{row['val_i2t_R@5']:.3f}")
    model_path = os.path.join(args.out, "model.keras")
    model.save(model_path)

    # === The report and figures (what `keras-mm eval` writes) ===
    # Your own files go here as a path (a manifest, an image folder, ...);
    # the example evaluates on the built-in test split, held in memory.
    test_split = builtin_eval_data("builtin:test", sizes["held_out"])
    report = evaluate_model(model_path, test_split,
                            os.path.join(args.out, "eval"))
    z = report["zero_shot"]
    print(f"zero-shot top-1 {z['top1']:.3f} / top-5 {z['top5']:.3f} "
          f"({z['num_classes']} classes)")
    print("figures:", ", ".join(sorted(report["figures"].values())))

    # === Generation metrics on strings ===
    hypotheses = ["a small red circle in the top", "a blue square"]
    references = ["a small red circle in the top left",
                  "a large blue square in the center"]
    bleu = corpus_bleu(hypotheses, references, smooth="exp")
    rouge = rouge_scores(hypotheses, references)
    print(f"BLEU-4 {bleu['bleu_4']:.3f}, ROUGE-L F1 "
          f"{rouge['rougeL']['f1']:.3f}")

    # === A text 4x the context, embedded window by window ===
    long_text = " and ".join(held_out["captions"][:12])
    embedding = embed_long_texts(model, preprocessor, [long_text])
    print(f"long text embedding: shape {embedding.shape}, norm "
          f"{float(np.linalg.norm(embedding)):.3f}")
    return report


if __name__ == "__main__":
    main()

"""Distil a CLIP teacher into a student with a quarter of its parameters.

    python examples/distill.py --tiny

The student learns from its own contrastive loss, the teacher's embeddings
and the teacher's in-batch similarity distributions (KL).
"""

import argparse

import keras

from keras_mm.compression import ContrastiveDistiller
from keras_mm.data import TextPreprocessor
from keras_mm.datasets import make_image_text_pairs
from keras_mm.metrics.retrieval import recall_at_k
from keras_mm.models.clip.quickstart_clip import (
    build_quickstart_clip as build_model,
)
from keras_mm.quickstart import model_inputs
from keras_mm.quickstart import warmup_cosine_adamw


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true")
    args = parser.parse_args(argv)
    n, epochs = (256, 1) if args.tiny else (2048, 8)
    keras.utils.set_random_seed(0)
    train = make_image_text_pairs(n, seed=0)
    test = make_image_text_pairs(64 if args.tiny else 200, seed=2)
    pre = TextPreprocessor.from_corpus(train["captions"],
                                       vocabulary_size=128,
                                       sequence_length=32)
    x, x_test = model_inputs(train, pre), model_inputs(test, pre)

    def fit(model, lr):
        model.compile(optimizer=warmup_cosine_adamw(epochs * n // 64, lr))
        model.fit(x, batch_size=64, epochs=epochs, verbose=0)

    def r5(model):
        e = model.predict(x_test, verbose=0)
        return recall_at_k(e["image_embeddings"], e["text_embeddings"],
                           test["captions"], test["captions"]
                           )["image_to_text"]["R@5"]

    teacher = build_model(pre.vocabulary_size, 64, 1, 2, projection_dim=32)
    fit(teacher, 2e-3)
    student = build_model(pre.vocabulary_size, 24, 1, 2, projection_dim=32)
    fit(ContrastiveDistiller(teacher, student), 3e-3)
    result = {"teacher_params": teacher.count_params(),
              "student_params": student.count_params(),
              "teacher_r5": r5(teacher), "student_r5": r5(student)}
    print(result)
    return result


if __name__ == "__main__":
    main()

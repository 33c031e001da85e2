"""A small CLIP trained on the built-in data, shared by compression tests."""

import contextlib

import keras
import pytest

from keras_mm.data import TextPreprocessor
from keras_mm.datasets import make_image_text_pairs
from keras_mm.metrics.retrieval import recall_at_k
from keras_mm.models.clip.quickstart_clip import (
    build_quickstart_clip as build_model,
)
from keras_mm.quickstart import model_inputs
from keras_mm.quickstart import warmup_cosine_adamw

TRAIN, TEST, BATCH = 1024, 200, 64


@contextlib.contextmanager
def one_torch_thread():
    """On torch, runs CPU ops on one thread while the block runs.

    CI runs the three backends side by side on 2 cores. torch's OpenMP
    threads spin-wait for each other at every op, so with the other
    backends holding the cores a 2-thread torch fit waits far longer than
    it computes: one epoch of `fit` below took 21.8 s on 2 threads and
    2.4 s on 1 with two busy processes beside it (0.9 s either way on an
    idle machine). At these sizes a second thread buys nothing.
    """
    if keras.config.backend() != "torch":
        yield
        return
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class SmallCLIP:
    def __init__(self):
        keras.utils.set_random_seed(0)
        train = make_image_text_pairs(TRAIN, seed=0)
        test = make_image_text_pairs(TEST, seed=2)
        self.preprocessor = TextPreprocessor.from_corpus(
            train["captions"], vocabulary_size=128, sequence_length=32)
        self.train = model_inputs(train, self.preprocessor)
        self.test = model_inputs(test, self.preprocessor)
        self.captions = test["captions"]

    def build(self, hidden_dim, num_layers=1):
        return build_model(self.preprocessor.vocabulary_size, hidden_dim,
                           num_layers, 2, projection_dim=32)

    def fit(self, model, epochs, callbacks=(), learning_rate=2e-3):
        steps = epochs * (TRAIN // BATCH)
        model.compile(optimizer=warmup_cosine_adamw(steps, learning_rate))
        with one_torch_thread():
            model.fit(self.train, batch_size=BATCH, epochs=epochs, verbose=0,
                      callbacks=list(callbacks))
        return model

    def r5(self, model):
        with one_torch_thread():
            e = model.predict(self.test, batch_size=256, verbose=0)
        r = recall_at_k(e["image_embeddings"], e["text_embeddings"],
                        self.captions, self.captions)
        return r["image_to_text"]["R@5"]


@pytest.fixture(scope="session")
def small_clip():
    data = SmallCLIP()
    model = data.fit(data.build(32), epochs=8)
    return data, model, data.r5(model)

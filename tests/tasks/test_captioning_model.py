import itertools

import keras
import numpy as np

from keras_mm.tasks import CaptioningModel
from keras_mm.testing import assert_round_trip
from tasks_testdata import image_encoder
from tasks_testdata import preprocessor
from tasks_testdata import SEQUENCE_LENGTH


def build(vocabulary_size=None, **kwargs):
    return CaptioningModel(
        image_encoder(), vocabulary_size or preprocessor().vocabulary_size,
        SEQUENCE_LENGTH, hidden_dim=32, num_layers=1, num_heads=2,
        name="captioner", **kwargs)


def token_accuracy(model, data):
    model.compile()
    return model.evaluate(data, batch_size=64, verbose=0,
                          return_dict=True)["token_accuracy"]


def test_round_trip(shapes_test, tmp_path):
    model = build()
    batch = {k: v[:4] for k, v in shapes_test.items()}
    assert_round_trip(model, batch, tmp_path)


def test_padded_positions_change_no_output(shapes_test):
    model = build()
    batch = {k: v[:4].copy() for k, v in shapes_test.items()}
    mask = batch["padding_mask"]
    out = keras.ops.convert_to_numpy(model(batch))
    batch["token_ids"][~mask] = 7
    out2 = keras.ops.convert_to_numpy(model(batch))
    np.testing.assert_allclose(out2[mask], out[mask], atol=1e-5)


def test_trains_and_beats_untrained(shapes_train, shapes_test):
    keras.utils.set_random_seed(0)
    model = build()
    before = token_accuracy(model, shapes_test)
    model.compile()
    history = model.fit(shapes_train, batch_size=32, epochs=3, verbose=0)
    assert "token_accuracy" in history.history
    after = model.evaluate(shapes_test, batch_size=64, verbose=0,
                           return_dict=True)["token_accuracy"]
    assert after > before + 0.2, (before, after)
    captions = model.generate(shapes_test["images"][:4], num_beams=2)
    assert captions.shape == (4, SEQUENCE_LENGTH)
    assert (captions[:, 0] == model.start_token_id).all()


def _brute_force_best(model, images, length):
    """Scores every caption of `length` tokens with the model itself."""
    vocab = model.vocabulary_size
    image_tokens = model.encode_image(keras.ops.convert_to_tensor(images))
    best = []
    for b in range(images.shape[0]):
        candidates = []
        for tail in itertools.product(range(vocab), repeat=length - 1):
            tokens = [model.start_token_id, *tail]
            if model.end_token_id in tail:
                end = tail.index(model.end_token_id) + 1
                if any(t != model.pad_token_id for t in tokens[end + 1:]):
                    continue  # only padding may follow the end token
            candidates.append(tokens)
        seqs = np.full((len(candidates), SEQUENCE_LENGTH),
                       model.pad_token_id, "int32")
        seqs[:, :length] = candidates
        tiled = keras.ops.repeat(image_tokens[b:b + 1], len(seqs), axis=0)
        logits = keras.ops.convert_to_numpy(model.decode(
            tiled, seqs, np.ones_like(seqs, bool))).astype("float64")
        logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        scores = []
        for seq, lp in zip(seqs, logp):
            score = 0.0
            for t in range(1, length):
                score += lp[t - 1, seq[t]]
                if seq[t] == model.end_token_id:
                    break
            scores.append(score)
        best.append(max(scores))
    return np.array(best)


def test_beam_search_is_exact_when_beams_cover_all_prefixes(shapes_test):
    keras.utils.set_random_seed(1)
    model = build(vocabulary_size=5, start_token_id=1, end_token_id=2)
    images = shapes_test["images"][:1]
    greedy, greedy_scores = model.generate(images, max_length=4,
                                           return_scores=True)
    beam, beam_scores = model.generate(images, max_length=4, num_beams=25,
                                       return_scores=True)
    # 5 tokens, 3 steps: 25 beams keep every prefix, so beam search is
    # exhaustive and finds the best caption.
    np.testing.assert_allclose(beam_scores,
                               _brute_force_best(model, images, 4),
                               atol=1e-4)
    assert (beam_scores >= greedy_scores - 1e-5).all()
    one_beam = model.generate(images, max_length=4, num_beams=1)
    np.testing.assert_array_equal(one_beam, greedy)
    assert beam.shape == (1, 4)

"""The evaluation figures read on their own: distinct captions and the
true one on a miss, a colour bar on attention, labelled axes from epoch 1."""

import numpy as np
import pytest

from keras_mm.evaluation import figures

pytest.importorskip("matplotlib")

LONG = ("a small yellow triangle in the left and a large yellow cross in the "
        "center and a large {} circle in the right")


@pytest.fixture
def drawn(monkeypatch):
    """The figures drawn, instead of saved."""
    kept = []
    monkeypatch.setattr(figures, "_save",
                        lambda figure, path: kept.append(figure) or path)
    return kept


def _texts(figure):
    return [t.get_text() for ax in figure.axes for t in ax.texts]


def test_distinct_top_skips_captions_that_read_the_same():
    captions = ["A red circle", "a red  circle", "a blue square",
                "a red circle", "a green cross"]
    shown = figures.distinct_top(range(5), [0, 1, 0, 1, 0], captions)
    assert shown == [(0, False), (2, False), (4, False)]


def test_image_to_text_shows_distinct_captions_and_the_true_one(drawn):
    # Captions sharing their first 90 characters, each repeated: the
    # figure shows five that read differently, and the query's own
    # caption under a miss.
    colours = ["red", "blue", "green", "white", "purple", "black"]
    captions = [LONG.format(c) for c in colours for _ in range(2)]
    ranking = np.arange(len(captions))[None]
    correct = np.zeros_like(ranking, bool)
    images = np.zeros((1, 8, 8, 3), "uint8")
    figures.plot_image_to_text("x.png", images, captions, ranking, correct,
                               1, true_captions=[LONG.format("orange")])
    lines = [t for t in _texts(drawn[0]) if t[:2] in ("1.", "2.", "3.",
                                                      "4.", "5.", "tr")]
    ranked = [" ".join(t.split()) for t in lines if not t.startswith("tr")]
    assert len(ranked) == 5 and len(set(ranked)) == 5
    assert all(colour in line for colour, line in zip(colours, ranked))
    assert " ".join(lines[-1].split()) == "true: " + LONG.format("orange")


def test_image_to_text_shows_no_true_caption_on_a_hit(drawn):
    captions = ["a red circle", "a blue square"]
    figures.plot_image_to_text(
        "x.png", np.zeros((1, 8, 8, 3), "uint8"), captions, [[1, 0]],
        [[False, True]], 1, true_captions=["a red circle"])
    assert not any(t.startswith("true:") for t in _texts(drawn[0]))


def test_attention_maps_have_a_colour_bar(drawn):
    images = np.zeros((2, 16, 16, 3), "uint8")
    heat = np.random.default_rng(0).random((2, 16, 16))
    figures.plot_attention_maps("x.png", images, heat, ["a", "b"])
    labels = [ax.get_ylabel() for ax in drawn[0].axes]
    assert any(label.startswith("attention") for label in labels)


def test_training_curves_label_axes_and_count_epochs_from_one(drawn):
    logs = {"epoch": [0.0, 1.0, 2.0], "loss": [3.0, 2.0, 1.5],
            "val_loss": [3.2, 2.4, 2.0]}
    figures.plot_training_curves("x.png", logs)
    ax = drawn[0].axes[0]
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    for line in ax.get_lines():
        assert list(line.get_xdata()) == [1.0, 2.0, 3.0]

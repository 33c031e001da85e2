import numpy as np
import pytest

from keras_mm.evaluation.encoding import encode_images
from keras_mm.evaluation.encoding import encode_texts
from keras_mm.evaluation.zero_shot import confusion_matrix
from keras_mm.evaluation.zero_shot import zero_shot_classifier
from keras_mm.evaluation.zero_shot import zero_shot_evaluate
from keras_mm.metrics.top_k import top_k_accuracy

CLASSES = ["red circle", "blue square", "green cross", "white triangle",
           "yellow circle", "purple square", "red cross"]
TEMPLATES = ["a small {} in the center", "a large {} in the top left"]


def test_classifier_averages_prompt_embeddings(tiny_model, tiny_preprocessor):
    weights = zero_shot_classifier(tiny_model, tiny_preprocessor, CLASSES,
                                   TEMPLATES)
    assert weights.shape == (len(CLASSES), 16)
    prompts = encode_texts(tiny_model, tiny_preprocessor,
                           [t.format(CLASSES[2]) for t in TEMPLATES])
    mean = prompts.mean(0)
    np.testing.assert_allclose(weights[2], mean / np.linalg.norm(mean),
                               atol=1e-5)
    with pytest.raises(ValueError, match="'{}'"):
        zero_shot_classifier(tiny_model, tiny_preprocessor, CLASSES,
                             ["no slot"])


def test_evaluate_matches_manual_top_k(tiny_model, tiny_preprocessor,
                                       tiny_pairs):
    images = tiny_pairs["images"][:12]
    labels = np.arange(12) % len(CLASSES)
    report = zero_shot_evaluate(tiny_model, tiny_preprocessor, images,
                                labels, CLASSES, TEMPLATES, ks=(1, 5))
    scores = encode_images(tiny_model, images) @ zero_shot_classifier(
        tiny_model, tiny_preprocessor, CLASSES, TEMPLATES).T
    assert report["top1"] == pytest.approx(
        float(np.mean(scores.argmax(1) == labels)))
    manual_top5 = np.mean([labels[i] in np.argsort(-scores[i])[:5]
                           for i in range(12)])
    assert report["top5"] == pytest.approx(manual_top5)
    matrix = np.array(report["confusion_matrix"])
    assert matrix.sum() == 12 and matrix.shape == (7, 7)
    assert np.trace(matrix) / 12 == pytest.approx(report["top1"])


def test_top_k_and_confusion_helpers():
    scores = np.array([[0.9, 0.1, 0.0], [0.2, 0.2, 0.6], [0.5, 0.5, 0.0]])
    assert top_k_accuracy(scores, [0, 1, 1], 1) == pytest.approx(1 / 3)
    # Row 2 ties classes 0 and 1: the tie counts against the label.
    assert top_k_accuracy(scores, [0, 1, 1], 2) == pytest.approx(2 / 3)
    assert top_k_accuracy(scores, [0, 1, 1], 3) == 1.0
    assert confusion_matrix([0, 1, 1], [0, 2, 1], 3).tolist() == [
        [1, 0, 0], [0, 1, 1], [0, 0, 0]]

"""Zero-shot with the data's own classes, on a self-contained CLIP."""

import numpy as np
import pytest

from eval_fixtures import CLASSES
from eval_fixtures import expected_zero_shot
from keras_mm.data.pair import Pair
from keras_mm.evaluation.evaluation_model import EvaluationModel
from keras_mm.evaluation.zero_shot import DEFAULT_TEMPLATES
from keras_mm.evaluation.zero_shot import zero_shot_report

TEMPLATES = ["a photo of a {}.", "a drawing of the {}."]


def _folder_pairs(items):
    # As read_pairs gives an image folder: text and label from the folder.
    return [Pair(path, name.replace("_", " "), path, "image",
                 {"label": name}) for path, name in items]


def test_report_matches_a_direct_computation(tiny_clip, class_folder):
    _, items = class_folder
    report = zero_shot_report(tiny_clip, _folder_pairs(items), TEMPLATES)
    paths, labels = zip(*items)
    top1, top5, scores = expected_zero_shot(tiny_clip, paths, labels,
                                            CLASSES, TEMPLATES)
    assert report["top1"] == pytest.approx(top1)
    assert report["top5"] == pytest.approx(top5)
    assert report["num_classes"] == 3 and report["num_images"] == 12
    assert report["class_names"] == list(CLASSES)
    assert report["templates"] == TEMPLATES
    predicted = scores.argmax(1)
    for index, name in enumerate(CLASSES):
        mine = np.array(labels) == name
        assert report["per_class"][name] == {
            "images": 4,
            "top1": pytest.approx(float(np.mean(predicted[mine] == index)))}
    assert np.trace(report["confusion_matrix"]) == round(top1 * 12)


def test_top_k_below_the_class_count(tiny_clip, class_folder):
    _, items = class_folder
    report = zero_shot_report(tiny_clip, _folder_pairs(items), TEMPLATES,
                              ks=(1, 2))
    paths, labels = zip(*items)
    _, _, scores = expected_zero_shot(tiny_clip, paths, labels, CLASSES,
                                      TEMPLATES)
    targets = np.array([CLASSES.index(label) for label in labels])
    top2 = np.argsort(-scores, axis=1)[:, :2]
    assert report["top2"] == pytest.approx(
        float(np.mean([t in row for t, row in zip(targets, top2)])))


def test_unlabelled_pairs_are_left_out_and_counted(tiny_clip, class_folder):
    _, items = class_folder
    pairs = _folder_pairs(items[:6])
    pairs.append(Pair(items[6][0], "no label here", "x", "image", {}))
    report = zero_shot_report(tiny_clip, pairs, TEMPLATES)
    assert report["num_images"] == 6 and report["unlabelled"] == 1
    # Only the classes that occur are classes.
    assert report["class_names"] == ["blue_circle", "green_stripes"]


def test_data_without_labels_says_how_to_give_them(tiny_clip, class_folder):
    _, items = class_folder
    pairs = [Pair(path, "a picture", path) for path, _ in items]
    with pytest.raises(ValueError, match="label column") as error:
        zero_shot_report(tiny_clip, pairs, source="pairs.csv")
    assert "pairs.csv" in str(error.value)
    assert "one sub-folder per class" in str(error.value)


def test_templates_need_one_slot(tiny_clip, class_folder):
    _, items = class_folder
    with pytest.raises(ValueError, match="'{}'"):
        zero_shot_report(tiny_clip, _folder_pairs(items), ["a photo"])


def test_default_templates_are_open_clip_like():
    assert DEFAULT_TEMPLATES[0] == "a photo of a {}."
    assert all(t.count("{}") == 1 for t in DEFAULT_TEMPLATES)
    assert len(DEFAULT_TEMPLATES) > 1


def test_images_go_through_the_model_preprocessor(tiny_clip, class_folder):
    # A 40x52 PNG is resized and centre-cropped by the CLIP's own
    # ImagePreprocessor, exactly as `model.embed` does it.
    _, items = class_folder
    evaluator = EvaluationModel.of(tiny_clip)
    paths = [path for path, _ in items[:3]]
    pixels = evaluator.pixels(paths)
    assert pixels.shape == (3, 32, 32, 3)
    np.testing.assert_array_equal(
        pixels, tiny_clip.preprocessors["image"](paths))
    np.testing.assert_allclose(evaluator.embed_images(paths, batch_size=2),
                               tiny_clip.embed("image", paths), atol=1e-5)
    with open(paths[0], "rb") as f:
        encoded = f.read()
    np.testing.assert_array_equal(evaluator.pixels([encoded])[0], pixels[0])

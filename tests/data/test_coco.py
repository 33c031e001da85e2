"""COCO captions files: every bad record is a DataError naming it."""

import json

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from keras_mm.data.coco import read_coco
from keras_mm.data.error_report import ErrorReport
from keras_mm.data.errors import DataError


def _write(tmp_path, data, name="captions.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def _good(n):
    return ([{"id": i, "file_name": f"{i}.png"} for i in range(n)],
            [{"image_id": i, "caption": f"caption {i}"} for i in range(n)])


@pytest.mark.parametrize("bad,reason", [
    ({"annotations": ["a string annotation"]}, "annotation 3: an object"),
    ({"images": [{"id": 9, "file_name": 7}]}, "image 3: 'file_name' must"),
    ({"annotations": [{"image_id": [1], "caption": "x"}]},
     r"annotation 3: unknown image_id \[1\]"),
    ({"annotations": [{"image_id": 1, "caption": {"text": "x"}}]},
     "annotation 3: 'caption' is not text"),
    ({"images": [{"id": [1], "file_name": "1.png"}]}, "image 3: 'id' must"),
])
def test_bad_records_are_named_and_skipped(tmp_path, bad, reason):
    images, annotations = _good(3)
    images += bad.get("images", [])
    annotations += bad.get("annotations", [])
    path = _write(tmp_path, {"images": images, "annotations": annotations})
    with pytest.raises(DataError, match=rf"captions\.json: {reason}"):
        read_coco(path, check_files=False)
    report = ErrorReport(verbose=False)
    pairs = read_coco(path, check_files=False, on_error="skip",
                      report=report)
    assert [p.text for p in pairs] == ["caption 0", "caption 1", "caption 2"]
    assert report.read_counts == {"malformed_row": 1}


@pytest.mark.parametrize("text", ["[" * 100_000, "[]", '{"images": 3}',
                                  '{"images": [], "annotations": {}}', "{"])
def test_a_file_that_is_not_coco_is_one_data_error(tmp_path, text):
    with pytest.raises(DataError, match="not a COCO captions file"):
        read_coco(_write(tmp_path, text), check_files=False, on_error="skip")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["id", "image_id", "file_name",
                                       "caption"]), inner, max_size=4),
    max_leaves=8)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.lists(JSON_VALUES, max_size=5), st.lists(JSON_VALUES, max_size=5))
def test_random_records_beside_good_ones_raise_only_data_error(
        tmp_path_factory, bad_images, bad_annotations):
    images, annotations = _good(3)
    # Bad images get ids the good annotations do not use.
    for image in bad_images:
        if isinstance(image, dict) and image.get("id") in (0, 1, 2):
            image["id"] = "other"
    path = _write(tmp_path_factory.mktemp("coco"), {
        "images": bad_images + images,
        "annotations": annotations + bad_annotations})
    report = ErrorReport(verbose=False)
    pairs = read_coco(path, check_files=False, on_error="skip",
                      report=report)
    assert [p.text for p in pairs[:3]] == ["caption 0", "caption 1",
                                           "caption 2"]
    try:
        read_coco(path, check_files=False)
    except DataError as e:
        assert e.reason

import warnings

from keras_mm.evaluation import report
from keras_mm.evaluation.truncation import TextTruncationWarning


def test_only_keras_mm_warnings_become_report_notes():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn("3 texts truncated", TextTruncationWarning)
        warnings.warn_explicit(
            "__array__ implementation doesn't accept a copy keyword",
            DeprecationWarning, "/venv/site-packages/keras/core.py", 276)
    with warnings.catch_warnings(record=True) as passed_on:
        warnings.simplefilter("always")
        notes = report._own_notes(caught)
    assert notes == ["3 texts truncated"]
    (other,) = passed_on
    assert other.category is DeprecationWarning

import pytest

from keras_mm.data.error_report import ErrorReport
from keras_mm.data.errors import DataError


def _skip(report):
    report.add(DataError("a.csv", 3, "empty caption", kind="empty_caption"))


@pytest.mark.parametrize("verbose, printed", [
    (True, [True, True]), ("if_skipped", [False, True]),
    (False, [False, False])])
def test_epoch_line_only_when_asked_or_skipped(verbose, printed, capsys):
    report = ErrorReport(verbose=verbose)
    report.end_epoch()
    first = "[keras_mm.data]" in capsys.readouterr().out
    _skip(report)
    report.end_epoch()
    second = capsys.readouterr().out
    assert [first, "[keras_mm.data]" in second] == printed
    assert report.epochs == [{}, {"empty_caption": 1}]
    if printed[1]:
        assert "epoch 2: skipped 1 records (empty_caption=1)" in second

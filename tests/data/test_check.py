import shutil

from keras_mm.data.check import check_manifest
from keras_mm.data.check import format_check_report
from keras_mm.data.check import near_duplicate_key
from keras_mm.data.manifest import read_manifest


def test_report_names_every_problem(builtin, tmp_path):
    _, paths = builtin
    good = read_manifest(paths["csv"]["train"])[:4]
    shutil.copy(good[0].media, tmp_path / "copy.png")
    png = open(good[1].media, "rb").read()
    (tmp_path / "cut.png").write_bytes(png[:40])
    rows = [
        f"{good[0].media},a red circle",             # line 2
        f"{tmp_path / 'copy.png'},a red circle",     # 3: dup media + caption
        f"{good[2].media},\"A red, circle!\"",     # 4: dup caption (norm.)
        f"{good[3].media},circle red",               # 5: near-duplicate
        f"{tmp_path / 'cut.png'},a cut image",       # 6: undecodable
        f"{tmp_path / 'gone.png'},gone",             # 7: missing
        f"{good[2].media},",                         # 8: empty caption
        f"{good[3].media}," + "word " * 70,          # 9: over-long
    ]
    path = tmp_path / "m.csv"
    path.write_text("image,caption\n" + "\n".join(rows) + "\n")
    report = check_manifest(str(path), allow_outside_root=True)
    assert report["counts"] == {
        "missing_files": 1, "undecodable": 1, "empty_captions": 1,
        "long_captions": 1, "malformed_rows": 0, "outside_root": 0,
        "duplicate_media": 2,
        "duplicate_captions": 1, "near_duplicate_captions": 1}
    assert report["missing_files"][0]["line"] == 7
    assert report["undecodable"][0]["line"] == "6"
    assert report["duplicate_media"] == [["2", "3"], ["5", "9"]]
    assert report["duplicate_captions"] == [["2", "3", "4"]]
    assert report["near_duplicate_captions"] == [["2", "3", "4", "5"]]
    assert report["histograms"]["image_width"]["max"] == 32
    assert sum(report["histograms"]["caption_words"]["counts"]) == 6
    text = format_check_report(report)
    assert "missing files: 1" in text and "undecodable: 1" in text


def test_near_duplicate_key_ignores_order_articles_and_case():
    assert near_duplicate_key("A red circle.") == near_duplicate_key(
        "circle, the RED")
    assert near_duplicate_key("a red circle") != near_duplicate_key(
        "a blue circle")

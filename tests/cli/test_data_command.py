import json

from keras_mm.cli.main import main
from keras_mm.data.webdataset import iter_webdataset


def test_write_builtin_check_and_shard(tmp_path, capsys):
    out = tmp_path / "builtin"
    assert main(["data", "write-builtin", "--out", str(out), "--train", "12",
                 "--validation", "2", "--test", "2", "--videos", "1"]) == 0
    assert (out / "train.csv").is_file()
    report_path = tmp_path / "report.json"
    assert main(["data", "check", str(out / "train.csv"), "--json",
                 str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    assert report["rows_ok"] == 12 and report["counts"]["missing_files"] == 0
    assert "rows ok: 12" in capsys.readouterr().out
    assert main(["data", "shard", str(out / "train.csv"), "--out",
                 str(tmp_path / "shards"), "--shard-size", "5"]) == 0
    shards = sorted((tmp_path / "shards").glob("*.tar"))
    assert len(shards) == 3
    assert len(list(iter_webdataset([str(s) for s in shards]))) == 12


def test_wrong_usage_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["data"]) == 2
    assert main(["data", "check", str(tmp_path / "nope.csv")]) == 2
    (tmp_path / "m.csv").write_text("image,caption\n")
    assert main(["data", "shard", str(tmp_path / "m.csv"), "--out",
                 str(tmp_path), "--shard-size", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("error:") for line in err)
    assert "nope.csv" in err[1] and "--shard-size" in err[2]


def test_check_names_the_columns_and_fails_on_unusable_rows(tmp_path, capsys):
    from PIL import Image

    Image.new("RGB", (8, 8), (1, 2, 3)).save(tmp_path / "a.png")
    (tmp_path / "wrong.csv").write_text("picture,words\na.png,a dot\n")
    assert main(["data", "check", str(tmp_path / "wrong.csv")]) == 2
    error = capsys.readouterr().err.strip()
    assert "no image column" in error and "picture, words" in error
    assert len(error.splitlines()) == 1
    # open_clip's names and flags are understood; a missing file fails it.
    (tmp_path / "clip.tsv").write_text(
        "filepath\ttitle\na.png\ta dot\nb.png\tgone\n")
    assert main(["data", "check", str(tmp_path / "clip.tsv")]) == 1
    assert "missing files: 1" in capsys.readouterr().out
    (tmp_path / "semi.csv").write_text("pic;words\na.png;a dot\n")
    assert main(["data", "check", str(tmp_path / "semi.csv"),
                 "--csv-img-key", "pic", "--csv-caption-key", "words",
                 "--csv-separator", ";"]) == 0
    (tmp_path / "none.csv").write_text("image,caption\nb.png,gone\n")
    assert main(["data", "check", str(tmp_path / "none.csv")]) == 2


def test_paths_outside_the_manifest_folder_need_the_flag(tmp_path, capsys):
    from PIL import Image

    (tmp_path / "data").mkdir()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(tmp_path / "data" / "a.png")
    Image.new("RGB", (8, 8), (1, 2, 3)).save(tmp_path / "b.png")
    manifest = tmp_path / "data" / "m.csv"
    manifest.write_text("image,caption\na.png,a dot\n../b.png,outside\n")
    assert main(["data", "check", str(manifest)]) == 1
    assert "outside root: 1" in capsys.readouterr().out
    assert main(["data", "check", str(manifest),
                 "--allow-outside-root"]) == 0
    assert main(["data", "shard", str(manifest), "--out",
                 str(tmp_path / "shards")]) == 2
    err = capsys.readouterr().err
    assert "m.csv, line 3" in err and "leaving the data root" in err

"""`examples/finetune_your_data.py --tiny`: real photos, from a pretrained
start through train, eval, export and serve with the CLI."""

import json
import os

import pytest


@pytest.mark.large
def test_finetune_your_data_tiny(load_example, tmp_path):
    result = load_example("finetune_your_data").main(
        ["--tiny", "--out", str(tmp_path)])
    # 8 classes: chance is 0.125; fine-tuning gives a clear majority.
    assert result["before"] < 0.4
    assert result["after"] > 0.6
    run = tmp_path / "run"
    for name in ("config.yaml", "history.json", "model.keras",
                 "report.json"):
        assert (run / name).is_file(), name
    with open(run / "export" / "export.json") as f:
        assert set(json.load(f)["towers"]) == {"image", "text"}
    top = result["hits"][0]
    assert os.path.basename(os.path.dirname(top["image"])) == "cat"
    # The search index lives under the run, not in the user's data folder.
    assert not any("serve_index" in d for d, _, _ in
                   os.walk(tmp_path / "data"))

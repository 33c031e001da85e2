"""START: recognised without Keras, and refused in one line."""

import json
import os

import pytest

from keras_mm.training.start import describe_start


def test_presets_and_their_modality():
    assert describe_start("clip-tiny") == {
        "kind": "preset", "path": "clip-tiny",
        "what": "keras_mm preset (random init)", "modality": "image"}
    assert describe_start("audio-clip-tiny")["modality"] == "audio"


def test_missing_start_names_it_and_the_presets(tmp_path):
    missing = str(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="nowhere.*clip-tiny"):
        describe_start(missing)


def _folder(tmp_path, name, files):
    folder = tmp_path / name
    folder.mkdir()
    for file_name, content in files.items():
        (folder / file_name).write_text(json.dumps(content))
    return str(folder)


def test_checkpoint_folders(tmp_path):
    clip = _folder(tmp_path, "clip", {"config.json": {"model_type": "clip"}})
    assert describe_start(clip)["kind"] == "pretrained"
    hub = _folder(tmp_path, "hub", {
        "metadata.json": {"keras_hub_version": "0.32"},
        "config.json": {"class_name": "SigLIPBackbone"}})
    assert describe_start(hub)["kind"] == "pretrained"
    open_clip = _folder(tmp_path, "oc", {"open_clip_config.json": {}})
    assert describe_start(open_clip)["what"] == "open_clip folder"


def test_unsupported_checkpoints_are_one_line(tmp_path):
    bert = _folder(tmp_path, "bert", {"config.json": {"model_type": "bert"}})
    with pytest.raises(ValueError, match="'bert' folder.*two-tower"):
        describe_start(bert)
    text = tmp_path / "weights.txt"
    text.write_text("x")
    with pytest.raises(ValueError, match="no checkpoint"):
        describe_start(str(text))
    broken = tmp_path / "broken.keras"
    broken.write_text("not a zip")
    with pytest.raises(ValueError, match="not a readable .keras"):
        describe_start(str(broken))
    empty = _folder(tmp_path, "empty", {})
    with pytest.raises(ValueError, match="no checkpoint config"):
        describe_start(empty)
    assert os.path.isdir(empty)

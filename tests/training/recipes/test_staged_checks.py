"""Which data each stage of `--recipe staged` reads."""

from keras_mm.training.recipes.staged_checks import stage_data


def test_each_stage_defaults_to_the_train_data():
    config = {"train_data": "/d/train", "unimodal_data": None,
              "finetune_data": "/d/labelled"}
    assert stage_data(config, "unimodal") == "/d/train"
    assert stage_data(config, "alignment") == "/d/train"
    assert stage_data(config, "finetune") == "/d/labelled"

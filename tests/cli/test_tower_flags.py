import pytest

from keras_mm.cli.errors import UsageError
from keras_mm.cli.main import main
from keras_mm.cli.tower_flags import check_tower_names


def test_known_towers_pass():
    check_tower_names({"freeze": ("image",), "remat": ["text"],
                       "lora_towers": "image,text"}, ("image", "text"))


@pytest.mark.parametrize("key", ["freeze", "remat", "lora_towers"])
def test_an_unknown_tower_names_its_flag(key):
    with pytest.raises(UsageError, match=f"--{key.replace('_', '-')} names "
                       "'imagee'; this model's towers are image, text"):
        check_tower_names({key: ("imagee",)}, ("image", "text"))


def test_bad_freeze_fails_before_keras_builds_the_model(capsys):
    assert main(["train", "--freeze", "imagee", "--epochs", "1"]) == 2
    assert "--freeze names 'imagee'" in capsys.readouterr().err

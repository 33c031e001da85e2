import keras
import pytest

from keras_mm.constructor_config import ConstructorConfig
from keras_mm.constructor_config import deserialized


@keras.saving.register_keras_serializable(package="keras_mm_tests")
class _Scale(ConstructorConfig, keras.layers.Layer):
    def __init__(self, factor=2.0, inner=None, **kwargs):
        super().__init__(**kwargs)
        factor = float(factor)  # What the constructor resolves is kept.
        self._remember_config(locals())

    def call(self, x):
        return x * self.factor


class _Plain(ConstructorConfig):
    def __init__(self, rate=16000, normalize=True):
        self._remember_config(locals())


def test_fields_are_the_constructor_arguments():
    assert _Scale.config_fields == ("factor", "inner")
    assert _Plain.config_fields == ("rate", "normalize")


def test_layer_config_round_trips_with_a_nested_layer():
    layer = _Scale(3, inner=keras.layers.Dense(2), name="scale")
    config = layer.get_config()
    assert config["factor"] == 3.0 and config["name"] == "scale"
    assert config["inner"]["class_name"] == "Dense"
    again = _Scale.from_config(config)
    assert again.factor == 3.0
    assert isinstance(again.inner, keras.layers.Dense)


def test_plain_class_config_has_only_its_fields():
    assert _Plain(8000).get_config() == {"rate": 8000, "normalize": True}
    assert _Plain.from_config({"rate": 8000}).rate == 8000


@pytest.mark.parametrize("value", [None, 3, {"a": 1}])
def test_deserialized_leaves_other_values(value):
    assert deserialized({"x": value}, "x") == {"x": value}

"""A Keras object whose config is its constructor's arguments."""

import inspect

import keras


def deserialized(config, *fields):
    """A copy of `config` with each of `fields` that holds a serialized
    Keras object (a dict with a `class_name`) deserialized.

    Example:
    ```python
    config = {"tokenizer": keras.saving.serialize_keras_object(tokenizer)}
    deserialized(config, "tokenizer")["tokenizer"]  # the tokenizer
    ```
    """
    config = dict(config)
    for field in fields:
        value = config.get(field)
        if isinstance(value, dict) and "class_name" in value:
            config[field] = keras.saving.deserialize_keras_object(value)
    return config


class ConstructorConfig:
    """Mixin for a Keras layer or model: `get_config` returns the fields in
    `config_fields` and `from_config` passes them back to the constructor.

    `config_fields` defaults to the constructor's own arguments, less
    `self`, `dtype` and `**kwargs`. The constructor stores each as an
    attribute of the same name, most simply with
    `self._remember_config(locals())` once it has resolved defaults; a
    field holding a Keras object is serialized with `keras.saving`.

    Example:
    ```python
    class Scale(ConstructorConfig, keras.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self._remember_config(locals())

        def call(self, x):
            return x * self.factor

    Scale(3.0).get_config()["factor"]  # 3.0
    ```
    """

    config_fields = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "config_fields" not in cls.__dict__ and "__init__" in cls.__dict__:
            cls.config_fields = tuple(
                name
                for name, parameter in inspect.signature(
                    cls.__init__).parameters.items()
                if name not in ("self", "dtype")
                and parameter.kind is parameter.POSITIONAL_OR_KEYWORD
            )

    def _remember_config(self, arguments):
        """Stores each of `config_fields` from `arguments` (`locals()`)."""
        for field in self.config_fields:
            setattr(self, field, arguments[field])

    def _constructor_config(self):
        config = {}
        for field in self.config_fields:
            value = getattr(self, field)
            if isinstance(value, (keras.layers.Layer, keras.Model)):
                value = keras.saving.serialize_keras_object(value)
            config[field] = value
        return config

    def get_config(self):
        base = super().get_config() if hasattr(super(), "get_config") else {}
        return {**base, **self._constructor_config()}

    @classmethod
    def from_config(cls, config):
        return cls(**deserialized(config, *cls.config_fields))

"""Base class of keras_mm's encoders: functional models built from args."""

import keras


class FunctionalEncoder(keras.Model):
    """A functional `keras.Model` whose config is its constructor arguments.

    Subclasses build their graph in `__init__`, store every constructor
    argument as an attribute of the same name and list those names in
    `config_fields`; `get_config`/`from_config` follow from that. A field
    holding a Keras object is serialized with `keras.saving`.

    Example:
    ```python
    class TinyEncoder(FunctionalEncoder):
        config_fields = ("hidden_dim",)
        input_keys = ("features",)

        def __init__(self, hidden_dim, **kwargs):
            features = keras.Input((4,), name="features")
            pooled = keras.layers.Dense(hidden_dim)(features)
            super().__init__({"features": features},
                             {"pooled_output": pooled}, **kwargs)
            self.hidden_dim = hidden_dim
    ```
    """

    config_fields = ()

    def get_config(self):
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": keras.dtype_policies.serialize(self.dtype_policy),
        }
        for field in self.config_fields:
            value = getattr(self, field)
            if isinstance(value, (keras.layers.Layer, keras.Model)):
                value = keras.saving.serialize_keras_object(value)
            config[field] = value
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for field in cls.config_fields:
            value = config.get(field)
            if isinstance(value, dict) and "class_name" in value:
                config[field] = keras.saving.deserialize_keras_object(value)
        return cls(**config)

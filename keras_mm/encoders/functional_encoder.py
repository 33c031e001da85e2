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

    def encode_pooled(self, inputs, training=False):
        """`self(inputs)["pooled_output"]`, skipping work it does not need.

        Subclasses whose pooled output depends on one token override this
        to compute only that token in the last block; the result matches
        the full call (to float rounding).
        """
        return self(inputs, training=training)["pooled_output"]

    def _pool_through_blocks(self, x, padding_mask=None, training=False):
        """Runs `block_0…` on `x`, the last block for the pooled token only.

        Needs layers named `block_{i}` (`num_layers` of them), `final_norm`
        and `pooling` (a `MaskedPooling`), as keras_mm's transformer
        encoders have.
        """
        blocks = [self.get_layer(f"block_{i}") for i in range(self.num_layers)]
        kwargs = {} if padding_mask is None else {"padding_mask": padding_mask}
        for block in blocks[:-1]:
            x = block(x, training=training, **kwargs)
        index = self.get_layer("pooling").pooled_index(x, padding_mask)
        x = blocks[-1](x, training=training, query_index=index, **kwargs)
        return self.get_layer("final_norm")(x)

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


def pooled_features(encoder, inputs, training=False):
    """An encoder's `"pooled_output"`, the cheap way where it has one.

    Any encoder works: those without `encode_pooled` (e.g. a user's own
    functional model) are called in full.
    """
    encode_pooled = getattr(encoder, "encode_pooled", None)
    if encode_pooled is not None:
        return encode_pooled(inputs, training=training)
    return encoder(inputs, training=training)["pooled_output"]

"""Base class of keras_mm's encoders: functional models built from args."""

import inspect

import keras

from keras_mm.layers.transformer_block import TransformerBlock


class FunctionalEncoder(keras.Model):
    """A functional `keras.Model` whose config is its constructor arguments.

    Subclasses build their graph in `__init__` and end it with
    `super().__init__(inputs, sequence_output, pooled_output, locals(),
    **kwargs)`: that makes the model and stores every constructor argument
    (`config_fields`: by default the constructor's own, less `dtype` and
    `**kwargs`) from `locals()` as an attribute of the same name, as the
    constructor resolved it (e.g. a default `intermediate_dim`).
    `get_config`/`from_config` follow from that. A field holding a Keras
    object is serialized with `keras.saving`.

    Example:
    ```python
    class TinyEncoder(FunctionalEncoder):
        input_keys = ("features",)

        def __init__(self, hidden_dim, **kwargs):
            features = keras.Input((4,), name="features")
            sequence = keras.layers.Dense(hidden_dim)(features)
            super().__init__({"features": features}, sequence, sequence,
                             locals(), **kwargs)
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

    def __init__(self, inputs, sequence_output, pooled_output, arguments,
                 **kwargs):
        super().__init__(
            inputs=inputs,
            outputs={"sequence_output": sequence_output,
                     "pooled_output": pooled_output},
            **kwargs,
        )
        for field in self.config_fields:
            setattr(self, field, arguments[field])

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


def transformer_blocks(num_layers, block_class=TransformerBlock, **kwargs):
    """`num_layers` blocks named `block_0…`, as `encode_pooled` expects.

    Example:
    ```python
    blocks = transformer_blocks(2, hidden_dim=32, num_heads=2,
                                intermediate_dim=64)
    [block.name for block in blocks]  # ['block_0', 'block_1']
    ```
    """
    return [block_class(name=f"block_{i}", **kwargs)
            for i in range(num_layers)]


def run_blocks(blocks, x, final_norm=None, **call_kwargs):
    """`x` through each of `blocks` in turn, then `final_norm` if given."""
    for block in blocks:
        x = block(x, **call_kwargs)
    return x if final_norm is None else final_norm(x)


def pooled_features(encoder, inputs, training=False):
    """An encoder's `"pooled_output"`, the cheap way where it has one.

    Any encoder works: those without `encode_pooled` (e.g. a user's own
    functional model) are called in full.
    """
    encode_pooled = getattr(encoder, "encode_pooled", None)
    if encode_pooled is not None:
        return encode_pooled(inputs, training=training)
    return encoder(inputs, training=training)["pooled_output"]

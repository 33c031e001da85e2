"""Base class of keras_mm's encoders: functional models built from args."""

import keras

from keras_mm.constructor_config import ConstructorConfig
from keras_mm.layers.masked_pooling import MaskedPooling
from keras_mm.layers.transformer_block import TransformerBlock


class FunctionalEncoder(ConstructorConfig, keras.Model):
    """A functional `keras.Model` whose config is its constructor arguments.

    Subclasses build their graph in `__init__` and end it with
    `super().__init__(inputs, sequence_output, pooled_output, locals(),
    **kwargs)`: that makes the model and stores the constructor's arguments
    from `locals()`, as the constructor resolved them (e.g. a default
    `intermediate_dim`), for `get_config`/`from_config`
    (`keras_mm.constructor_config.ConstructorConfig`).

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

    def __init__(self, inputs, sequence_output, pooled_output, arguments,
                 **kwargs):
        super().__init__(
            inputs=inputs,
            outputs={"sequence_output": sequence_output,
                     "pooled_output": pooled_output},
            **kwargs,
        )
        self._remember_config(arguments)

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
        # Not the functional graph's config: the constructor rebuilds it.
        return {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": keras.dtype_policies.serialize(self.dtype_policy),
            **self._constructor_config(),
        }


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


def final_norm_and_pooling(pooling, epsilon=1e-5, dtype=None):
    """The `final_norm` layer norm and `pooling` `MaskedPooling` of a
    transformer encoder, named as `encode_pooled` looks them up."""
    return (keras.layers.LayerNormalization(epsilon=epsilon, dtype=dtype,
                                            name="final_norm"),
            MaskedPooling(pooling, dtype=dtype, name="pooling"))


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

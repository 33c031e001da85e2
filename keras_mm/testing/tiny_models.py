"""A tiny quickstart CLIP and a matching random batch, for fast tests."""

import numpy as np



def tiny_clip(num_layers=1, seed=0, vocabulary_size=40, hidden_dim=16,
              num_heads=2, projection_dim=16, weights=None):
    """Builds a tiny quickstart CLIP (ViT image + causal text tower).

    Args:
        num_layers: int. Transformer blocks per tower.
        seed: int or None. Passed to `keras.utils.set_random_seed` before
            building, so two calls with one seed give equal weights;
            `None` leaves the global seed alone.
        vocabulary_size: int. Text vocabulary size.
        hidden_dim: int. Width of both towers.
        num_heads: int. Attention heads per block.
        projection_dim: int. Size of the shared embedding space.
        weights: optional list of arrays for `model.set_weights`.

    Example:
    ```python
    model = keras_mm.testing.tiny_clip(num_layers=2, seed=3)
    out = model(keras_mm.testing.tiny_clip_batch(4))
    out["image_embeddings"].shape  # (4, 16)
    ```
    """
    import keras

    from keras_mm.models.clip.quickstart_clip import build_quickstart_clip

    if seed is not None:
        keras.utils.set_random_seed(seed)
    model = build_quickstart_clip(vocabulary_size, hidden_dim=hidden_dim,
                                  num_layers=num_layers, num_heads=num_heads,
                                  projection_dim=projection_dim)
    if weights is not None:
        model.set_weights(weights)
    return model


def tiny_clip_batch(n=8, seed=0, vocabulary_size=40):
    """Random inputs for `tiny_clip`: images, token ids and padding mask.

    Images are uniform in [0, 255) (32x32x3), token ids uniform in
    `[1, vocabulary_size)` and each row keeps 3 to 9 leading tokens.

    Args:
        n: int. Batch size.
        seed: int. NumPy seed; one seed gives one batch.
        vocabulary_size: int. Upper bound (exclusive) of the token ids.

    Returns:
        `{"images", "token_ids", "padding_mask"}` NumPy arrays.
    """
    # Loads Keras (the model's package): this module stays free of it.
    from keras_mm.models.clip.quickstart_clip import IMAGE_SIZE
    from keras_mm.models.clip.quickstart_clip import SEQUENCE_LENGTH

    rng = np.random.default_rng(seed)
    size, length = IMAGE_SIZE, SEQUENCE_LENGTH
    return {
        "images": rng.uniform(0, 255, (n, size, size, 3)).astype("float32"),
        "token_ids": rng.integers(1, vocabulary_size, (n, length)).astype(
            "int32"),
        "padding_mask": (np.arange(length)[None, :]
                         < rng.integers(3, 10, (n, 1))),
    }

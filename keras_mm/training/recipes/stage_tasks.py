"""Small objectives of the staged recipe, built on keras_mm encoders.

Unimodal pretraining: masked patch modelling (image) and masked token
modelling (text); fine-tuning: image classification. Each is a functional
model trained with `(x, y, sample_weight)` and carries `compile_kwargs`
for `keras_mm.training.train`.
"""

import keras
import numpy as np

MASK_TOKEN_ID = 4  # "[MASK]" in keras_mm.data.TextPreprocessor


def masked_patch_model(image_encoder, patch_size):
    """Predicts the pixels of masked patches from the image encoder."""
    size = image_encoder.image_size
    images = keras.Input((size, size, 3), name="images")
    tokens = image_encoder({"images": images})["sequence_output"]
    patches = tokens[:, 1:, :] if image_encoder.pooling == "cls" else tokens
    pixels = keras.layers.Dense(patch_size * patch_size * 3,
                                name="pixel_head")(patches)
    model = keras.Model({"images": images}, pixels, name="masked_patches")
    model.compile_kwargs = {"loss": "mse"}
    return model


def masked_patch_data(images, patch_size, ratio=0.5, seed=0):
    """`(x, y, sample_weight)`: grey-out patches; targets in [0, 1]."""
    rng = np.random.default_rng(seed)
    n, size = images.shape[0], images.shape[1]
    g = size // patch_size
    # (N, g, p, g, p, 3) -> (N, g*g, p*p*3)
    patches = images.reshape(n, g, patch_size, g, patch_size, 3)
    patches = patches.transpose(0, 1, 3, 2, 4, 5).reshape(n, g * g, -1)
    mask = rng.random((n, g * g)) < ratio
    masked = np.where(mask[..., None], 127.5, patches.astype("float32"))
    masked = masked.reshape(n, g, g, patch_size, patch_size, 3)
    masked = masked.transpose(0, 1, 3, 2, 4, 5).reshape(images.shape)
    return ({"images": masked.astype("float32")},
            (patches / 255.0).astype("float32"), mask.astype("float32"))


def masked_token_model(text_encoder):
    """Predicts masked tokens from the text encoder's sequence output."""
    length = text_encoder.sequence_length
    token_ids = keras.Input((length,), dtype="int32", name="token_ids")
    padding_mask = keras.Input((length,), dtype="bool", name="padding_mask")
    sequence = text_encoder({"token_ids": token_ids,
                             "padding_mask": padding_mask})["sequence_output"]
    logits = keras.layers.Dense(text_encoder.vocabulary_size, dtype="float32",
                                name="token_head")(sequence)
    model = keras.Model({"token_ids": token_ids, "padding_mask": padding_mask},
                        logits, name="masked_tokens")
    model.compile_kwargs = {"loss": keras.losses.SparseCategoricalCrossentropy(
        from_logits=True)}
    return model


def masked_token_data(text, ratio=0.15, seed=0, mask_token_id=MASK_TOKEN_ID,
                      vocabulary_size=None):
    """`(x, y, sample_weight)`: 15% of real tokens become `[MASK]`, or
    random tokens below `vocabulary_size` when `mask_token_id` is None (a
    tokenizer without a mask token)."""
    rng = np.random.default_rng(seed)
    token_ids = np.asarray(text["token_ids"], "int32")
    padding = np.asarray(text["padding_mask"], "bool")
    mask = (rng.random(token_ids.shape) < ratio) & padding
    replacement = mask_token_id
    if mask_token_id is None:
        replacement = rng.integers(0, vocabulary_size, token_ids.shape)
    corrupted = np.where(mask, replacement, token_ids).astype("int32")
    return ({"token_ids": corrupted, "padding_mask": padding}, token_ids,
            mask.astype("float32"))


def image_classifier(image_encoder, num_classes, name="image_classifier"):
    """A linear classifier on the image encoder's pooled output."""
    size = image_encoder.image_size
    images = keras.Input((size, size, 3), name="images")
    pooled = image_encoder({"images": images})["pooled_output"]
    logits = keras.layers.Dense(num_classes, dtype="float32",
                                name="classifier")(pooled)
    model = keras.Model({"images": images}, logits, name=name)
    model.compile_kwargs = {
        "loss": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        "metrics": ["accuracy"],
    }
    return model

"""Masked patch prediction: reconstruct the pixels of hidden patches."""

import keras
from keras import ops

from keras_mm.api_export import keras_mm_export
from keras_mm.constructor_config import deserialized
from keras_mm.losses.reconstruction import masked_patch_loss
from keras_mm.tasks.compile_defaults import CompileDefaults
from keras_mm.tasks.feed_defaults import FeedDefaults


@keras_mm_export
class MaskedImageModel(FeedDefaults, CompileDefaults, keras.Model):
    """Hides random image patches and regresses their pixels (SimMIM-style).

    Masked patches are filled with mid-grey before the encoder sees the
    image, so any patch-token encoder works (a ViT's class token, if any,
    is skipped). A linear head maps each patch token to the patch's pixels,
    scaled to [-1, 1]; the loss is the squared error on masked patches only,
    built in `compute_loss`, so `fit(x)` needs no labels.

    Args:
        image_encoder: a ViT-like model with `image_size` and `patch_size`
            attributes and a `"sequence_output"` ending in the patch tokens
            in row-major order.
        mask_ratio: float in (0, 1). Share of patches hidden per image.
        seed: int. Seed of the random masks.

    Call arguments:
        inputs: `{"images"}` and optionally `"patch_mask"` (bool
            `(batch, patches)`, `True` = hidden) for a fixed mask; without
            it a fresh random mask is drawn.

    Returns:
        `{"predictions": (batch, patches, patch_size**2 * 3),
        "patch_mask": (batch, patches)}`.

    Example:
    ```python
    model = keras_mm.tasks.MaskedImageModel(vit_encoder, mask_ratio=0.5)
    model.compile()
    model.fit({"images": images}, epochs=1)
    ```

    References:
        Xie et al., "SimMIM", 2022.
    """

    def __init__(self, image_encoder, mask_ratio=0.5, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 < mask_ratio < 1.0:
            raise ValueError(
                f"mask_ratio must be in (0, 1). Received: {mask_ratio}")
        self.image_encoder = image_encoder
        self.mask_ratio = mask_ratio
        self.seed = seed
        self.image_size = image_encoder.image_size
        self.patch_size = image_encoder.patch_size
        self.grid = self.image_size // self.patch_size
        self.num_patches = self.grid**2
        self.num_masked = max(1, int(round(mask_ratio * self.num_patches)))
        dim = image_encoder.output["sequence_output"].shape[-1]
        self.head = keras.layers.Dense(self.patch_size**2 * 3,
                                       name="pixel_head",
                                       dtype=self.dtype_policy)
        self.head.build((None, None, dim))
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.patch_mse_tracker = keras.metrics.Mean(name="masked_patch_mse")
        self.built = True

    def random_patch_mask(self, batch):
        """`(batch, patches)` bool with exactly `num_masked` True per row."""
        noise = keras.random.uniform((batch, self.num_patches),
                                     seed=self.seed_generator)
        ranks = ops.argsort(ops.argsort(noise, axis=-1), axis=-1)
        return ranks < self.num_masked

    def patchify(self, images):
        """`(B, S, S, 3)` → `(B, patches, P*P*3)`, row-major patches."""
        g, p = self.grid, self.patch_size
        x = ops.reshape(images, (-1, g, p, g, p, 3))
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))  # (B, g, g, P, P, 3)
        return ops.reshape(x, (-1, g * g, p * p * 3))

    def call(self, inputs, training=False):
        images = ops.cast(inputs["images"], "float32")
        if "patch_mask" in inputs:
            patch_mask = ops.cast(inputs["patch_mask"], "bool")
        else:
            patch_mask = self.random_patch_mask(ops.shape(images)[0])
        # Patch mask → pixel mask: (B, g, g) → (B, S, S, 1).
        pixels = ops.reshape(patch_mask, (-1, self.grid, self.grid))
        pixels = ops.repeat(ops.repeat(pixels, self.patch_size, axis=1),
                            self.patch_size, axis=2)[..., None]
        masked = ops.where(pixels, 127.5, images)
        tokens = self.image_encoder({"images": masked},
                                    training=training)["sequence_output"]
        tokens = tokens[:, -self.num_patches:]  # drop a class token
        return {"predictions": self.head(tokens), "patch_mask": patch_mask}

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                     training=True):
        targets = self.patchify(ops.cast(x["images"], "float32") / 127.5
                                - 1.0)
        loss = masked_patch_loss(y_pred["predictions"], targets,
                                 y_pred["patch_mask"])
        self.patch_mse_tracker.update_state(loss)
        for extra in self.losses:
            loss = loss + ops.cast(extra, "float32")
        return loss

    def default_optimizer(self):
        from keras_mm.optimizers.adamw import decoupled_adamw

        return decoupled_adamw(1e-3, weight_decay=0.05)

    def get_config(self):
        return {
            **super().get_config(),
            "image_encoder": keras.layers.serialize(self.image_encoder),
            "mask_ratio": self.mask_ratio,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**deserialized(config, "image_encoder"))

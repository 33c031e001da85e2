"""A SigLIP as keras_mm builds it: ViT with a MAP head, non-causal text."""

import math

from keras_mm.models.clip.clip_model import build_clip

# SigLIP's image statistics: [0, 255] -> [-1, 1].
SIGLIP_MEAN = (0.5, 0.5, 0.5)
SIGLIP_STD = (0.5, 0.5, 0.5)


def build_siglip(vision, text, logit_scale=math.log(10.0), logit_bias=-10.0,
                 preprocessors=None, name="siglip"):
    """A `ContrastiveModel` shaped as SigLIP, with the sigmoid loss.

    The image tower has no class token and no pre-norm, a patch projection
    with a bias, a final layer norm and the multihead attention-pooling
    head (`pooling="map"`); its pooled output is the image embedding
    (projection `"identity"`). The text tower is not causal and pools the
    last position (its preprocessor's `padding_mask` is all True); a
    `Dense` with a bias (SigLIP's text `head`) projects it to the image
    tower's width.

    Args:
        vision: dict of `VisionTransformerEncoder` arguments.
        text: dict of `TextTransformerEncoder` arguments.
        logit_scale: float. `log` of the logits' scale.
        logit_bias: float. The logits' bias.
        preprocessors: optional dict of raw-input preprocessors.

    Example:
    ```python
    tiny = dict(hidden_dim=32, num_layers=1, num_heads=2)
    model = build_siglip(dict(image_size=32, patch_size=8, **tiny),
                         dict(vocabulary_size=100, sequence_length=8, **tiny))
    ```
    """
    vision = {"pre_norm": False, "patch_bias": True, "pooling": "map",
              "activation": "gelu_tanh", "layer_norm_epsilon": 1e-6,
              "image_mean": SIGLIP_MEAN, "image_std": SIGLIP_STD, **vision}
    text = {"causal": False, "pooling": "eot", "activation": "gelu_tanh",
            "layer_norm_epsilon": 1e-6, **text}
    return build_clip(
        vision, text, projection_dim=vision["hidden_dim"],
        logit_scale=logit_scale, preprocessors=preprocessors, name=name,
        projection={"image": "identity", "text": "linear_bias"},
        loss="siglip", logit_bias=logit_bias)

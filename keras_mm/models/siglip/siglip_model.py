"""A SigLIP as keras_mm builds it: ViT with a MAP head, non-causal text."""

import math

from keras_mm.encoders.text_transformer_encoder import TextTransformerEncoder
from keras_mm.encoders.vision_transformer_encoder import (
    VisionTransformerEncoder,
)
from keras_mm.models.clip.clip_model import set_logit_scale
from keras_mm.tasks.contrastive_model import ContrastiveModel

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
    model = build_siglip(
        dict(image_size=32, patch_size=8, hidden_dim=32, num_layers=1,
             num_heads=2),
        dict(vocabulary_size=100, sequence_length=8, hidden_dim=32,
             num_layers=1, num_heads=2))
    ```
    """
    vision = {"pre_norm": False, "patch_bias": True, "pooling": "map",
              "activation": "gelu_tanh", "layer_norm_epsilon": 1e-6,
              "image_mean": SIGLIP_MEAN, "image_std": SIGLIP_STD, **vision}
    text = {"causal": False, "pooling": "eot", "activation": "gelu_tanh",
            "layer_norm_epsilon": 1e-6, **text}
    image_encoder = VisionTransformerEncoder(**vision, name="image_encoder")
    text_encoder = TextTransformerEncoder(**text, name="text_encoder")
    model = ContrastiveModel(
        {"image": image_encoder, "text": text_encoder},
        projection_dim=image_encoder.hidden_dim,
        projection={"image": "identity", "text": "linear_bias"},
        loss="siglip", preprocessors=preprocessors, name=name)
    set_logit_scale(model, logit_scale, logit_bias)
    return model

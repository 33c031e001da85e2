"""A CLIP as keras_mm builds it: ViT image tower, causal text tower."""

import math

from keras_mm.models.clip.text_transformer_encoder import TextTransformerEncoder
from keras_mm.models.vit.vision_transformer_encoder import (
    VisionTransformerEncoder,
)
from keras_mm.heads.logit_scale import LogitScale
from keras_mm.tasks.contrastive_model import ContrastiveModel

# OpenAI CLIP's image statistics (every CLIP checkpoint of transformers and
# open_clip that does not say otherwise).
OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)


def build_clip(vision, text, projection_dim, logit_scale=math.log(1 / 0.07),
               preprocessors=None, name="clip", projection="linear",
               loss="clip", logit_bias=None):
    """A `ContrastiveModel` shaped as CLIP.

    Args:
        vision: dict of `VisionTransformerEncoder` arguments (CLIP's tower
            has a pre-norm and a bias-free patch projection, set here).
        text: dict of `TextTransformerEncoder` arguments (causal, pooled at
            the end-of-text token, set here).
        projection_dim: int. Width of the shared space.
        logit_scale: float. `log` of the temperature's inverse.
        preprocessors: optional dict of raw-input preprocessors.
        projection: str or dict per modality (`ContrastiveModel`'s
            variants): `"linear"` (CLIP), `"linear_bias"` (open_clip's
            `proj_bias`), `"identity"`.
        loss: str. `"clip"`, or `"siglip"` (a learned logit bias).
        logit_bias: optional float. The bias (with `loss="siglip"`).

    Example:
    ```python
    model = build_clip(
        dict(image_size=32, patch_size=8, hidden_dim=32, num_layers=1,
             num_heads=2),
        dict(vocabulary_size=100, sequence_length=8, hidden_dim=32,
             num_layers=1, num_heads=2),
        projection_dim=16)
    ```
    """
    image_encoder = VisionTransformerEncoder(
        **{"pre_norm": True, "patch_bias": False, "pooling": "cls",
           **vision}, name="image_encoder")
    text_encoder = TextTransformerEncoder(
        **{"causal": True, "pooling": "eot", **text}, name="text_encoder")
    model = ContrastiveModel(
        {"image": image_encoder, "text": text_encoder},
        projection_dim=projection_dim, projection=projection, loss=loss,
        preprocessors=preprocessors, name=name)
    set_logit_scale(model, logit_scale, logit_bias)
    return model


def set_logit_scale(model, log_scale, bias=None):
    """Puts a checkpoint's `log(scale)` (and bias) into `model`.

    The clamp is raised to the checkpoint's scale where that is larger, so
    that logits equal the reference library's.
    """
    scale = math.exp(float(log_scale))
    old = model.logit_scale
    if scale > old.max_scale:
        model.logit_scale = LogitScale(
            initial_scale=scale, max_scale=scale, use_bias=old.use_bias,
            name="logit_scale")
        model.logit_scale.build()
    model.logit_scale.log_scale.assign(float(log_scale))
    if bias is not None:
        model.logit_scale.bias.assign(float(bias))

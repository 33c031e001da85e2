"""The small CLIP that the quickstart, the demos and the tests train.

A ViT image tower on 32x32 images and a causal text tower on 32 tokens,
aligned by the CLIP loss; only its width, depth and vocabulary vary.
"""

from keras_mm.models.clip.text_transformer_encoder import TextTransformerEncoder
from keras_mm.models.vit.vision_transformer_encoder import (
    VisionTransformerEncoder,
)
from keras_mm.tasks.contrastive_model import ContrastiveModel

IMAGE_SIZE = 32
PATCH_SIZE = 8
SEQUENCE_LENGTH = 32


def build_quickstart_clip(vocabulary_size, hidden_dim, num_layers, num_heads,
                          projection_dim=128):
    """The quickstart CLIP: ViT image tower, causal text tower, CLIP loss.

    Example:
    ```python
    model = keras_mm.models.clip.build_quickstart_clip(256, 32, 1, 2)
    sorted(model.encoders)  # ['image', 'text']
    ```
    """
    image_encoder = VisionTransformerEncoder(
        IMAGE_SIZE, PATCH_SIZE, hidden_dim, num_layers, num_heads,
        name="image_encoder",
    )
    text_encoder = TextTransformerEncoder(
        vocabulary_size, SEQUENCE_LENGTH, hidden_dim, num_layers, num_heads,
        name="text_encoder",
    )
    return ContrastiveModel(
        {"image": image_encoder, "text": text_encoder},
        projection_dim=projection_dim,
        loss="clip",
        name="quickstart_clip",
    )

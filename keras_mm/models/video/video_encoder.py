"""A video encoder: a per-frame image encoder and a temporal transformer."""

import keras
from keras import ops

from keras_mm.api_export import keras_mm_export
from keras_mm.layers.functional_encoder import (
    FunctionalEncoder,
    final_norm_and_pooling,
    run_blocks,
    transformer_blocks,
)
from keras_mm.layers.position_embedding import PositionEmbedding


@keras_mm_export
class VideoEncoder(FunctionalEncoder):
    """Encodes each frame with an image encoder, then mixes over time.

    Every frame goes through `frame_encoder` (shared weights); its pooled
    outputs become one token per frame, get learned time positions and pass
    through `num_layers` transformer blocks. With `num_layers=0` the video
    embedding is plain temporal pooling of the frame embeddings.

    Args:
        frame_encoder: an image encoder (`input_keys == ("images",)`), e.g.
            `VisionTransformerEncoder` or `ResNetEncoder`.
        num_frames: int. Frames per clip.
        num_layers: int. Temporal transformer blocks (0: pooling only).
        num_heads: int. Attention heads of the temporal blocks.
        intermediate_dim: int. MLP width; defaults to `4 * width`.
        pooling: str. `"mean"` over frames, or `"cls"` (first frame).
        dropout: float. Dropout inside the blocks.

    Inputs: `{"frames": float32 (batch, num_frames, height, width, 3)}` in
    [0, 255].
    Outputs: `{"sequence_output": (batch, num_frames, width),
    "pooled_output": (batch, width)}`, `width` being the frame encoder's.

    Example:
    ```python
    frames = keras_mm.models.VisionTransformerEncoder(
        image_size=32, patch_size=8, hidden_dim=32, num_layers=1,
        num_heads=2)
    encoder = keras_mm.models.VideoEncoder(frames, num_frames=4)
    out = encoder({"frames": np.zeros((2, 4, 32, 32, 3), "float32")})
    out["pooled_output"].shape  # (2, 32)
    ```
    """

    input_keys = ("frames",)

    def __init__(
        self,
        frame_encoder,
        num_frames,
        num_layers=1,
        num_heads=2,
        intermediate_dim=None,
        pooling="mean",
        dropout=0.0,
        dtype=None,
        **kwargs,
    ):
        if tuple(getattr(frame_encoder, "input_keys", ())) != ("images",):
            raise ValueError(
                "frame_encoder must be an image encoder with input_keys "
                f"('images',). Received: {frame_encoder!r}"
            )
        height, width, channels = frame_encoder.input["images"].shape[1:]
        hidden_dim = frame_encoder.output["pooled_output"].shape[-1]
        intermediate_dim = intermediate_dim or 4 * hidden_dim
        # === Layers ===
        time_embedding = PositionEmbedding(
            num_frames, dtype=dtype, name="time_embedding"
        )
        blocks = transformer_blocks(
            num_layers, hidden_dim=hidden_dim, num_heads=num_heads,
            intermediate_dim=intermediate_dim, dropout=dropout, dtype=dtype)
        final_norm, pool = final_norm_and_pooling(pooling, dtype=dtype)

        # === Functional Model ===
        frames = keras.Input((num_frames, height, width, channels),
                             name="frames")
        images = ops.reshape(frames, (-1, height, width, channels))  # (BT,..)
        per_frame = frame_encoder({"images": images})["pooled_output"]
        x = ops.reshape(per_frame, (-1, num_frames, hidden_dim))  # (B, T, D)
        if num_layers:
            x = run_blocks(blocks, time_embedding(x), final_norm)
        super().__init__({"frames": frames}, x, pool(x),
                         locals(), dtype=dtype, **kwargs)

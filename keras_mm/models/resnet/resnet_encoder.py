"""A ResNet image encoder built on keras-hub's `ResNetBackbone`."""

import keras
from keras import ops

from keras_mm.api_export import keras_mm_export
from keras_mm.layers.functional_encoder import FunctionalEncoder

# ImageNet statistics, on the [0, 1] scale, as ResNet checkpoints expect.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _keras_hub():
    import keras_hub  # Deferred: it imports TensorFlow.

    return keras_hub


@keras_mm_export
class ResNetEncoder(FunctionalEncoder):
    """ResNet over RGB images in [0, 255], wrapped to the encoder contract.

    The convolutional trunk is a keras-hub `ResNetBackbone`, randomly
    initialised or read from a local keras-hub preset folder
    (`ResNetEncoder.from_keras_hub_preset`). Images are scaled to [0, 1] and
    normalised with ImageNet statistics inside the model.

    Args:
        image_size: int. Input height and width.
        input_conv_filters: list of int. Stem convolution filters.
        input_conv_kernel_sizes: list of int. Stem kernel sizes.
        stackwise_num_filters: list of int. Filters per stage. keras-hub
            requires the first to be 64 (and, for basic blocks, the stem to
            end with 64 filters and the first stride to be 1).
        stackwise_num_blocks: list of int. Blocks per stage.
        stackwise_num_strides: list of int. Stride of each stage.
        block_type: str. `"basic_block"`, `"bottleneck_block"`...
        use_pre_activation: bool. ResNet v2 ordering.

    Inputs: `{"images": (batch, image_size, image_size, 3)}`.
    Outputs: `{"sequence_output": (batch, h * w, channels)` (one token per
    cell of the final feature map) `, "pooled_output": (batch, channels)}`
    (global average).

    Example:
    ```python
    encoder = keras_mm.models.ResNetEncoder(
        image_size=32, stackwise_num_filters=[64, 64],
        stackwise_num_blocks=[1, 1], stackwise_num_strides=[1, 2])
    out = encoder({"images": np.zeros((2, 32, 32, 3), "float32")})
    out["pooled_output"].shape  # (2, 64)
    ```

    References:
        He et al., "Deep Residual Learning for Image Recognition", 2016.
    """

    input_keys = ("images",)

    def __init__(
        self,
        image_size,
        input_conv_filters=(64,),
        input_conv_kernel_sizes=(7,),
        stackwise_num_filters=(64, 128, 256, 512),
        stackwise_num_blocks=(2, 2, 2, 2),
        stackwise_num_strides=(1, 2, 2, 2),
        block_type="basic_block",
        use_pre_activation=False,
        dtype=None,
        **kwargs,
    ):
        (input_conv_filters, input_conv_kernel_sizes, stackwise_num_filters,
         stackwise_num_blocks, stackwise_num_strides) = (
            list(values) for values in (
                input_conv_filters, input_conv_kernel_sizes,
                stackwise_num_filters, stackwise_num_blocks,
                stackwise_num_strides))
        if stackwise_num_filters[0] != 64:
            raise ValueError(
                "keras-hub's ResNetBackbone needs stackwise_num_filters[0] "
                f"== 64. Received: stackwise_num_filters="
                f"{stackwise_num_filters}"
            )
        if block_type == "basic_block" and (
            input_conv_filters[-1] != 64 or stackwise_num_strides[0] != 1
        ):
            # The first basic-block stage has an identity shortcut, so the
            # stem must already give 64 channels at the stage's resolution.
            raise ValueError(
                "With block_type='basic_block', keras-hub's first stage has "
                "an identity shortcut: input_conv_filters[-1] must be 64 "
                "and stackwise_num_strides[0] must be 1. Received: "
                f"input_conv_filters={input_conv_filters}, "
                f"stackwise_num_strides={stackwise_num_strides}"
            )
        # === Layers ===
        backbone = _keras_hub().models.ResNetBackbone(
            input_conv_filters=input_conv_filters,
            input_conv_kernel_sizes=input_conv_kernel_sizes,
            stackwise_num_filters=stackwise_num_filters,
            stackwise_num_blocks=stackwise_num_blocks,
            stackwise_num_strides=stackwise_num_strides,
            block_type=block_type,
            use_pre_activation=use_pre_activation,
            image_shape=(image_size, image_size, 3),
            dtype=dtype,
            name="resnet_backbone",
        )
        normalize = keras.layers.Normalization(
            mean=[255.0 * m for m in IMAGENET_MEAN],
            variance=[(255.0 * s) ** 2 for s in IMAGENET_STD],
            dtype=dtype,
            name="imagenet_normalization",
        )

        # === Functional Model ===
        images = keras.Input((image_size, image_size, 3), name="images")
        features = backbone(normalize(images))  # (B, h, w, C)
        channels = features.shape[-1]
        tokens = ops.reshape(features, (-1, features.shape[1]
                                        * features.shape[2], channels))
        super().__init__({"images": images}, tokens,
                         ops.mean(tokens, axis=1), locals(), dtype=dtype,
                         **kwargs)
        self.backbone = backbone

    @classmethod
    def from_keras_hub_preset(cls, path, image_size=None, **kwargs):
        """Builds the encoder with the weights of a local keras-hub preset.

        Args:
            path: str. A folder written by `ResNetBackbone.save_to_preset`
                (nothing is downloaded when it is a local folder).
            image_size: int. Input size; defaults to the preset's.
        """
        hub_backbone = _keras_hub().models.ResNetBackbone.from_preset(path)
        config = hub_backbone.get_config()
        image_size = image_size or config["image_shape"][0]
        if image_size is None:
            raise ValueError("The preset has no fixed image size; pass "
                             "image_size=...")
        encoder = cls(
            image_size=image_size,
            **{k: config[k] for k in (
                "input_conv_filters", "input_conv_kernel_sizes",
                "stackwise_num_filters", "stackwise_num_blocks",
                "stackwise_num_strides", "block_type", "use_pre_activation",
            )},
            **kwargs,
        )
        encoder.backbone.set_weights(hub_backbone.get_weights())
        return encoder

"""`PatchEmbedding`'s patch projection as one matmul (torch).

Keras' torch `Conv2D` transposes NHWC to NCHW and back around the
convolution; a convolution whose stride equals its kernel is the same
arithmetic as one matmul over the flattened patches, without the
transposes.
"""

from keras import ops

from keras_mm.backend import keras_compat
from keras_mm.backend.torch import dense


def supports(layer):
    """Whether `call` computes what `layer.projection` would."""
    projection = layer.projection
    return (projection.data_format == "channels_last"
            and projection.dtype_policy.quantization_mode is None
            and keras_compat.remat_mode(projection) is None)


def call(layer, images):
    """The projected patches `(batch, num_patches, hidden_dim)`."""
    p = layer.patch_size
    side = layer.image_size // p
    channels = ops.shape(images)[-1]
    dtype = layer.projection.compute_dtype
    x = ops.reshape(ops.cast(images, dtype),
                    (-1, side, p, side, p * channels))
    # (B, row, p, col, p*C) -> (B, row, col, p, p*C): each patch's
    # pixels in the order of the kernel's (p, p, C) axes.
    x = ops.transpose(x, (0, 1, 3, 2, 4))
    x = ops.reshape(x, (-1, layer.num_patches, p * p * channels))
    kernel = ops.reshape(ops.cast(layer.projection.kernel, dtype),
                         (p * p * channels, layer.hidden_dim))
    if layer.projection.bias is None:
        return ops.matmul(x, kernel)
    bias = ops.cast(layer.projection.bias, dtype)
    return dense.linear(x, kernel, bias)

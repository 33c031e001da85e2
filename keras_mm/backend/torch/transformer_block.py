"""`TransformerBlock`'s float32 forward pass as direct torch calls.

`TransformerBlock.call` through Keras pays a fixed Python cost per call
whatever the batch size: eight sublayer calls through `Layer.__call__`
(argument binding, masks, autocast and name scopes) and about fifteen
`keras.ops` calls, and its backward pass walks the extra autograd nodes.
`call` below does the same arithmetic directly:

- the norms are `torch.nn.functional.layer_norm`, the projections
  `keras_mm.backend.torch.dense.dense` (one `addmm`, as `FusedDense`
  projects);
- attention reads queries, keys and values as strided views of the fused
  QKV projection. Keras' torch `dot_product_attention` copies each into a
  contiguous tensor first, three copies per block that the CPU kernel does
  not need.

Sublayers still own their weights, LoRA (`Dense.kernel` adds the low-rank
update) and dropout (`Dropout.call`, with its seed generator). `supports`
sends everything else back to the Keras path: mixed or other non-float32
policies, quantized or rematerialised sublayers, sublayers with an activity
regularizer, symbolic or meta tensors, and layer norms that are not plain
(centered, scaled, last axis).
"""

import keras
import torch
import torch.nn.functional as F

from keras_mm.backend import keras_compat
from keras_mm.backend.torch import dense

# Keras' torch `dot_product_attention` turns a boolean mask into this
# additive one: a row without any visible key averages all values
# instead of returning NaN.
_LARGE_NEGATIVE = -0.7 * 3.38953e38


def supports(block, inputs):
    """Whether `call` computes exactly what Keras' path would."""
    if not isinstance(inputs, torch.Tensor) or inputs.device.type == "meta":
        return False
    if inputs.dtype != torch.float32:
        return False
    if block.dtype_policy.variable_dtype != "float32":
        return False
    # Compute dtypes, the block's own included, are checked here.
    for layer in keras_compat.flatten_layers(block):
        if keras_compat.remat_mode(layer) is not None:
            return False
        if layer.dtype_policy.quantization_mode is not None:
            return False
        if layer.dtype_policy.compute_dtype != "float32":
            return False
        if layer.activity_regularizer is not None:  # Added by __call__.
            return False
    return all(_plain_norm(norm, inputs.ndim)
               for norm in (block.attention_norm, block.mlp_norm))


def call(block, inputs, padding_mask=None, training=None, query_index=None):
    """`block.call(inputs, ...)` in direct torch calls (see `supports`)."""
    batch, tokens, width = inputs.shape
    heads = block.num_heads
    qkv = _dense(block.qkv, _norm(block.attention_norm, inputs))
    # (B, T, 3, H, D/H) split on axis 2: views, and one concatenation
    # in the backward pass.
    query, key, value = (
        part.squeeze(2) for part in qkv.view(
            batch, tokens, 3, heads, width // heads).split(1, dim=2))
    mask = None
    if padding_mask is not None:
        mask = padding_mask.to(torch.bool)[:, None, None, :]  # (B,1,1,T)
    is_causal = block.causal
    if query_index is not None:
        inputs, query, mask = block._select_query(
            inputs, query, mask, query_index, tokens)
        is_causal = False  # Folded into `mask` for the selected query.
    if mask is not None:
        if is_causal:  # The kernel takes a mask or causality, not both.
            mask = torch.logical_and(mask, torch.ones(
                tokens, tokens, dtype=torch.bool, device=mask.device).tril())
            is_causal = False
        mask = torch.where(mask, 0.0, _LARGE_NEGATIVE).to(inputs.dtype)
    attended = F.scaled_dot_product_attention(
        query.transpose(1, 2), key.transpose(1, 2), value.transpose(1, 2),
        attn_mask=mask, is_causal=is_causal,
    )  # (B, H, Tq, D/H)
    attended = attended.transpose(1, 2).reshape(batch, -1, width)
    x = inputs + _dropout(block, _dense(block.attention_output, attended),
                          training)
    mlp = _dense(block.mlp_out, _dense(block.mlp_in, _norm(block.mlp_norm, x)))
    outputs = x + _dropout(block, mlp, training)
    return outputs if query_index is None else outputs[:, 0]


def _plain_norm(norm, ndim):
    axes = [norm.axis] if isinstance(norm.axis, int) else list(norm.axis)
    return (axes in ([-1], [ndim - 1]) and norm.center and norm.scale
            and not norm.rms_scaling)


def _norm(norm, x):
    return F.layer_norm(x, (x.shape[-1],), _tensor(norm.gamma),
                        _tensor(norm.beta), norm.epsilon)


def _dense(layer, x):
    bias = None if layer.bias is None else _tensor(layer.bias)
    return dense.dense(x, _tensor(layer.kernel), bias, layer.activation)


def _dropout(block, x, training):
    if not training or not block.dropout:
        return x
    return block.dropout_layer.call(x, training=True)


def _tensor(variable):
    # A Keras variable's torch value (a parameter, so gradients reach it);
    # LoRA's `kernel` property already returns a tensor.
    return variable.value if isinstance(variable, keras.Variable) else (
        variable)

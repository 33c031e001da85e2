"""Exact gradient accumulation for in-batch contrastive losses.

Averaging the gradients of k micro-batches (the optimizer's
`gradient_accumulation_steps`) is wrong for CLIP/SigLIP: each micro-batch
only sees its own B-1 negatives. Here one `fit` batch of k·B examples is
split into k micro-batches and processed in three phases (the idea behind
open_clip's `--accum-freq`, Gao et al. "GradCache", 2021):

1. embed every micro-batch without keeping activations;
2. compute the loss on the concatenated k·B embeddings and its gradient
   w.r.t. the embeddings (and the logit scale);
3. re-run each micro-batch with gradients and backpropagate the cached
   embedding gradients (a vector-Jacobian product), summing into one update.

The result equals one step on the k·B batch (up to float rounding) while
only one micro-batch's activations are alive at a time. Each backend has its
own `train_step` body, `keras_mm/backend/<name>/contrastive_accumulation.py`.
Dropout masks differ between phases 1 and 3, so exactness assumes
`dropout=0` (as open_clip's accumulation does).
"""

from keras_mm import backend


def accumulated_train_step(model, *args):
    """`train_step` of `model` (a `ContrastiveModel`) with k micro-batches.

    Called by `ContrastiveModel.train_step` when it was compiled with
    `accumulation_steps > 1`. The arguments are the backend's own
    `train_step` arguments (`(state, data)` on JAX, `(data,)` elsewhere).
    """
    steps = backend.native("contrastive_accumulation")
    if steps is None:
        raise NotImplementedError(
            f"Exact accumulation has no {backend.name()} implementation.")
    return steps.train_step(model, *args)

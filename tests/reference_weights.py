"""Moving a reference model's parameters off their initial values.

Fixtures written by a reference library (transformers, keras-hub) start
from default inits: layer-norm gains of one, zero biases. A loader that
drops a bias or a gain, or forgets a transpose of a square matrix, would
still match those. Noise on every parameter makes each one count.
"""


def perturb(model, seed=0, scale=0.05):
    """Adds `scale` * N(0, 1) to every parameter of a torch module.

    Example:
    ```python
    perturb(transformers.CLIPModel(config))
    ```
    """
    import torch

    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in model.parameters():
            noise = torch.randn(parameter.shape, generator=generator)
            parameter.add_(noise * scale)

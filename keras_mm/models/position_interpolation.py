"""Position embeddings resized to another patch grid."""

import numpy as np


def resized_positions(positions, old_grid, new_grid, num_prefix_tokens=0):
    """Bicubic resize of a ViT's `(prefix + old_grid**2, D)` position table
    to `(prefix + new_grid**2, D)`, prefix rows (the class token's) kept.

    This is what timm, open_clip and transformers do when a ViT runs at
    another resolution (`interpolate_pos_encoding`), so that fine-tuning at
    a new image size starts from the pretrained positions.

    Example:
    ```python
    table = np.zeros((1 + 7 * 7, 64), "float32")
    resized_positions(table, 7, 14, num_prefix_tokens=1).shape  # (197, 64)
    ```
    """
    from keras import ops

    positions = np.asarray(positions, np.float32)
    prefix, grid = positions[:num_prefix_tokens], positions[num_prefix_tokens:]
    if grid.shape[0] != old_grid * old_grid:
        raise ValueError(
            f"Position table has {grid.shape[0]} grid rows, expected "
            f"{old_grid}x{old_grid}")
    width = grid.shape[-1]
    image = grid.reshape(1, old_grid, old_grid, width)
    resized = ops.image.resize(image, (new_grid, new_grid),
                               interpolation="bicubic", antialias=False)
    resized = np.asarray(ops.convert_to_numpy(resized), np.float32)
    return np.concatenate(
        [prefix, resized.reshape(new_grid * new_grid, width)], axis=0)

"""An untrained quickstart CLIP folder, for trying the server and tests.

Latency and plumbing do not depend on the weights; for meaningful search
results serve a trained `keras-mm quickstart` folder instead.
"""

import os


def make_demo_model_dir(out_dir, hidden_dim=32, num_layers=1, num_heads=2,
                        projection_dim=32, seed=0):
    """Writes `model.keras` and `vocab.txt` as `run_quickstart` does.

    The vocabulary holds every word of the built-in captions, so no
    vocabulary training is needed.

    Example:
    ```python
    make_demo_model_dir("demo_model")
    service = keras_mm.serving.load_service("demo_model")
    ```
    """
    import keras

    from keras_mm.data.text_preprocessor import RESERVED_TOKENS
    from keras_mm.data.text_preprocessor import TextPreprocessor
    from keras_mm.datasets.shapes import caption_vocabulary
    from keras_mm.models.clip.quickstart_clip import SEQUENCE_LENGTH
    from keras_mm.models.clip.quickstart_clip import build_quickstart_clip

    os.makedirs(out_dir, exist_ok=True)
    keras.utils.set_random_seed(seed)
    preprocessor = TextPreprocessor(
        [*RESERVED_TOKENS, *caption_vocabulary()], SEQUENCE_LENGTH
    )
    preprocessor.save_vocabulary(os.path.join(out_dir, "vocab.txt"))
    model = build_quickstart_clip(
        preprocessor.vocabulary_size, hidden_dim, num_layers, num_heads,
        projection_dim=projection_dim)
    model.save(os.path.join(out_dir, "model.keras"))
    return out_dir

"""What loading a single-tower checkpoint (ViT, BERT, Whisper...) returns."""

import dataclasses


@dataclasses.dataclass
class PretrainedTower:
    """An encoder filled from a checkpoint, with the preprocessing it needs.

    Attributes:
        encoder: a keras_mm encoder (`input_keys`, `"pooled_output"` and
            `"sequence_output"` outputs).
        preprocessor: a callable (a Keras layer where it can be) mapping raw
            inputs (strings, images, 16 kHz waveforms) to the encoder's
            inputs, or `None` when the checkpoint ships none.
        modality: str. `"text"`, `"image"` or `"audio"`.
        source: str. The format it came from, e.g. `"huggingface vit"`.
        path: str. What it was read from.

    Example:
    ```python
    tower = keras_mm.models.load_pretrained("vit_folder/")
    features = tower.encoder(tower.preprocessor(images))["pooled_output"]
    ```
    """

    encoder: object
    preprocessor: object
    modality: str
    source: str
    path: str

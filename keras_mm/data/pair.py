"""The record every reader returns."""

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True)
class Pair:
    """One media–text pair, as every reader returns it.

    Args:
        media: str (a file path), bytes (an encoded file, e.g. from a tar
            shard) or a numpy array (decoded media).
        text: str. The caption, transcript or subtitle.
        source: str. Where it came from (`"file, line N"` or
            `"shard.tar:key"`), used in error messages.
        modality: str. `"image"`, `"audio"` or `"video"`.
        meta: dict. Anything else the reader knows (ids, timestamps).

    Example:
    ```python
    pairs = keras_mm.data.read_manifest("train.csv")
    pairs[0].media, pairs[0].text
    ```
    """

    media: Any
    text: str
    source: str = ""
    modality: str = "image"
    meta: dict = dataclasses.field(default_factory=dict, compare=False)

"""One checkpoint format: how to recognise it and how to load it."""

import dataclasses
from typing import Callable


@dataclasses.dataclass(frozen=True)
class CheckpointFormat:
    """A format `load_pretrained` knows.

    Attributes:
        name: str. Shown in messages, e.g. `"huggingface clip"`.
        detect: `path -> bool`. Cheap (reads at most a small JSON file):
            whether `path` is meant to be this format. A format that
            detects a path owns its errors: `load` then names what is
            wrong instead of another format being tried.
        load: `(path, **options) -> ContrastiveModel | PretrainedTower`.
        can_load: optional `path -> bool`, cheap: whether `load(path)`
            would succeed (what `is_pretrained_checkpoint` answers), for a
            format whose `detect` also claims paths it refuses (to name
            why). Defaults to `detect`.
    """

    name: str
    detect: Callable[[str], bool]
    load: Callable[..., object]
    can_load: Callable[[str], bool] = None

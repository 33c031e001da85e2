"""The error for an optional dependency that is not installed."""


class MissingDependencyError(ImportError):
    """An optional package a feature needs is missing; the message says
    what to install. The CLI prints it as one line and exits 2.

    Example:
    ```python
    raise MissingDependencyError(
        "Decoding 'talk.mp4' needs PyAV: pip install 'keras_mm[video]'")
    ```
    """

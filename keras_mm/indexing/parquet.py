"""The optional pyarrow import, with the install hint when it is missing."""

from keras_mm.dependency_error import MissingDependencyError


def import_pyarrow():
    """Returns the `pyarrow` module or raises `MissingDependencyError`.

    Example:
    ```python
    pa = import_pyarrow()
    pa.table({"caption": ["a cat"]})
    ```
    """
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise MissingDependencyError(
            "Index metadata is Parquet, which needs pyarrow: pip install "
            "'keras_mm[index]'") from None
    return pyarrow

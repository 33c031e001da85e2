"""The optional FAISS import, with the install hint when it is missing."""

from keras_mm.dependency_error import MissingDependencyError


def import_faiss():
    """Returns the `faiss` module or raises `MissingDependencyError`.

    Example:
    ```python
    faiss = import_faiss()
    index = faiss.IndexFlatIP(8)
    ```
    """
    try:
        import faiss
    except ImportError:
        raise MissingDependencyError(
            "A FAISS index needs faiss-cpu: pip install 'keras_mm[index]'"
        ) from None
    return faiss

"""`/search` with an optional `filter`: equality on metadata columns.

Only an index built by `keras-mm index build` (`keras_mm.indexing
.FaissIndex`) has metadata columns to filter on; the index `serve` builds
from a manifest answers unfiltered searches only.
"""

from keras_mm.serving.preprocessing import RequestError


def check_filter(where):
    """`where` as `{column: str}`, or a 422 naming what was expected.

    Example:
    ```python
    check_filter({"label": "cat", "year": 2024})  # {"label": "cat", ...}
    ```
    """
    if where is None:
        return None
    if not isinstance(where, dict) or not all(
            isinstance(v, (str, int, float, bool)) for v in where.values()):
        raise RequestError('"filter" must be an object of column: value '
                           '(strings or numbers)', 422)
    return {str(k): str(v) for k, v in where.items()}


def search(index, kind, query, k, where=None):
    """`index.search_images` (`kind="images"`) or `search_captions`,
    filtered when `where` is given."""
    method = getattr(index, f"search_{kind}")
    if not where:
        return method(query, k)
    if not hasattr(index, "columns"):
        raise RequestError('"filter" needs an index built with keras-mm '
                           'index build (this one has no columns)', 422)
    try:
        return method(query, k, where=where)
    except ValueError as error:  # An unknown column.
        raise RequestError(str(error), 422) from None

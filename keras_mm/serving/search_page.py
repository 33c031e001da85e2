"""The search page at `/`: static HTML, JavaScript and CSS shipped with the
package (no build step, nothing fetched from elsewhere), and the indexed
images it shows, served from the index's folder.

`/images/<name>` serves only names the index holds (paths relative to the
index root), and only files that resolve inside that root: a `..`, an
absolute path or a symbolic link pointing out is answered 404 like any
unknown name. With API keys, the page and its scripts stay open and the
images need the key, like `/search` (the page sends it).
"""

import os

from starlette.responses import FileResponse

from keras_mm.serving.preprocessing import RequestError

STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "static")
# The page's own files: nothing else under `/static/` is answered.
STATIC_FILES = ("search.js", "search.css")
# The browser loads nothing from another origin, and runs no inline code.
PAGE_HEADERS = {
    "content-security-policy": "default-src 'self'; "
                               "img-src 'self' blob: data:",
    "x-content-type-options": "nosniff",
}
PAGE_PATHS = ("/", *(f"/static/{name}" for name in STATIC_FILES))


class IndexImages:
    """Resolves an index's image names to files inside its root.

    Args:
        service: the `EmbeddingService`; its `index` and `index_root` (set
            by `load_service`) are read on each request.

    Example:
    ```python
    path = IndexImages(service).path("images/000003.png")
    ```
    """

    def __init__(self, service):
        self.service = service
        self._index = None
        self._names = frozenset()

    def _known(self, name):
        index = self.service.index
        if index is not self._index:  # Built once per index.
            self._index, self._names = index, frozenset(
                getattr(index, "images", ()))
        return name in self._names

    def path(self, name):
        """The file of the indexed image `name`; RequestError 404 else."""
        root = getattr(self.service, "index_root", None)
        missing = RequestError(f"no indexed image named {name!r}", 404)
        if root is None or not self._known(name) or os.path.isabs(name):
            raise missing
        root = os.path.realpath(root)
        path = os.path.realpath(os.path.join(root, name))
        if os.path.commonpath([root, path]) != root or not os.path.isfile(
                path):
            raise missing
        return path


def add_search_page(app):
    """Adds `GET /`, `/static/<file>` and `/images/<name>` to the FastAPI
    `app` (whose `state.service` is the `EmbeddingService`).

    Example:
    ```python
    app = FastAPI()
    app.state.service = service
    add_search_page(app)
    ```
    """
    images = IndexImages(app.state.service)

    @app.get("/", include_in_schema=False)
    async def page():
        return FileResponse(os.path.join(STATIC_DIR, "index.html"),
                            media_type="text/html", headers=PAGE_HEADERS)

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str):
        if name not in STATIC_FILES:
            raise RequestError(f"no static file {name!r}", 404)
        return FileResponse(os.path.join(STATIC_DIR, name),
                            headers=PAGE_HEADERS)

    @app.get("/images/{name:path}", summary="An indexed image")
    async def image(name: str):
        return FileResponse(images.path(name), headers={
            "x-content-type-options": "nosniff",
            "cache-control": "private, max-age=3600"})

"""The search page's files and the indexed images it shows, over HTTP."""

import os
import re
import types

import httpx
import pytest

from keras_mm.serving.app import build_app
from keras_mm.serving.preprocessing import RequestError
from keras_mm.serving.search_page import STATIC_DIR
from keras_mm.serving.search_page import IndexImages
from keras_mm.serving.server import ServerThread
from keras_mm.serving.serving_limits import ServingLimits


@pytest.fixture(scope="module")
def client(keras_service):
    with ServerThread(build_app(keras_service)) as server, httpx.Client(
            base_url=server.url, timeout=60) as c:
        yield c


def test_page_and_its_files_are_served_locally(client):
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert '<script src="/static/search.js">' in page.text
    for name, kind in (("search.js", "javascript"), ("search.css", "css")):
        r = client.get(f"/static/{name}")
        assert r.status_code == 200 and kind in r.headers["content-type"]
    assert client.get("/static/index.html").status_code == 404
    # Nothing is fetched from another origin (no CDN).
    for name in os.listdir(STATIC_DIR):
        with open(os.path.join(STATIC_DIR, name), encoding="utf-8") as f:
            assert not re.search(r"(https?:)?//[a-z]", f.read()), name


def test_indexed_images_are_served_by_their_relative_name(keras_service,
                                                          client):
    name = keras_service.index.images[0]
    assert not os.path.isabs(name)
    r = client.get(f"/images/{name}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    with open(os.path.join(keras_service.index_root, name), "rb") as f:
        assert r.content == f.read()
    for wrong in ("images/nope.png", "builtin.csv", "..%2Fbuiltin.csv",
                  "%2Fetc%2Fpasswd"):
        r = client.get(f"/images/{wrong}")
        assert r.status_code == 404 and "no indexed image" in r.json()[
            "error"], wrong


def test_search_says_whether_its_query_was_cached(client):
    text = "a tiny purple hexagon nobody asked for"
    first = client.post("/search", json={"text": text, "k": 2})
    second = client.post("/search", json={"text": text, "k": 2})
    assert (first.headers["x-cache"], second.headers["x-cache"]) == (
        "miss", "hit")
    assert first.json() == second.json()


def test_names_that_leave_the_index_root_are_refused(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "secret.png"
    root.mkdir()
    outside.write_bytes(b"secret")
    (root / "inside.png").write_bytes(b"png")
    (root / "link.png").symlink_to(outside)
    names = ["inside.png", "link.png", "../secret.png", str(outside),
             "gone.png"]
    service = types.SimpleNamespace(
        index=types.SimpleNamespace(images=names), index_root=str(root))
    images = IndexImages(service)
    assert images.path("inside.png") == os.path.realpath(root / "inside.png")
    for name in names[1:] + ["not-indexed.png"]:
        with pytest.raises(RequestError, match="no indexed image"):
            images.path(name)


def test_with_api_keys_the_page_is_open_and_images_need_the_key(
        keras_service):
    app = build_app(keras_service, limits=ServingLimits(api_keys=("k1",)))
    name = keras_service.index.images[0]
    with ServerThread(app) as server, httpx.Client(
            base_url=server.url, timeout=60) as c:
        assert c.get("/").status_code == 200
        assert c.get("/static/search.js").status_code == 200
        assert c.get(f"/images/{name}").status_code == 401
        assert c.get(f"/images/{name}", headers={
            "authorization": "Bearer k1"}).status_code == 200


def test_the_page_files_ship_as_package_data():
    import fnmatch
    import tomllib

    root = os.path.join(os.path.dirname(__file__), "..", "..")
    with open(os.path.join(root, "pyproject.toml"), "rb") as f:
        patterns = tomllib.load(f)["tool"]["setuptools"]["package-data"][
            "keras_mm"]
    for name in os.listdir(STATIC_DIR):
        assert any(fnmatch.fnmatch(f"serving/static/{name}", pattern)
                   for pattern in patterns), name


def test_metrics_are_prometheus_text(client):
    r = client.get("/metrics")
    assert r.headers["content-type"].startswith("text/plain; version=")
    assert "# TYPE keras_mm_requests_total counter" in r.text

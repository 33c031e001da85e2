"""Generated bodies: only 4xx for bad ones, 200 for good ones, never 5xx.

Bounded and derandomized, so the run is the same every time.
"""

import json

import httpx
import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from keras_mm.serving.app import build_app
from keras_mm.serving.server import ServerThread

FUZZ = settings(max_examples=40, derandomize=True, deadline=None,
                suppress_health_check=list(HealthCheck))
ENDPOINTS = ("/embed/text", "/embed/image", "/embed/audio", "/search")
KEYS = st.sampled_from(["text", "texts", "image", "images", "audio", "k",
                        "x"]) | st.text(max_size=5)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20)
    | st.floats(allow_nan=True, allow_infinity=True),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12)
# Words the tokenizer may know or not, with odd spacing and case.
GOOD_TEXT = st.text(min_size=1, max_size=60).filter(lambda t: t.strip())


@pytest.fixture(scope="module")
def client(keras_service):
    with ServerThread(build_app(keras_service)) as server:
        with httpx.Client(base_url=server.url, timeout=60) as c:
            yield c


def post(client, path, body):
    r = client.post(path, content=body,
                    headers={"content-type": "application/json"})
    assert r.status_code < 500, (path, body[:200], r.text)
    message = r.json().get("error") if r.status_code != 200 else None
    if message is not None:
        assert "\n" not in message and "Traceback" not in message
    return r


@FUZZ
@given(path=st.sampled_from(ENDPOINTS), value=JSON_VALUES)
def test_any_json_value_is_answered_200_or_4xx(client, path, value):
    body = json.dumps(value, allow_nan=True).encode()
    r = post(client, path, body)
    if not isinstance(value, dict) or not value:
        assert 400 <= r.status_code < 500


@FUZZ
@given(path=st.sampled_from(ENDPOINTS), body=st.binary(max_size=300))
def test_any_bytes_are_answered_4xx(client, path, body):
    r = post(client, path, body)
    assert 400 <= r.status_code < 500


@FUZZ
@given(texts=st.lists(GOOD_TEXT, min_size=1, max_size=5),
       single=st.booleans())
def test_valid_text_bodies_get_200_with_one_vector_each(client, texts,
                                                        single):
    body = {"text": texts[0]} if single else {"texts": texts}
    r = post(client, "/embed/text", json.dumps(body).encode())
    assert r.status_code == 200, r.text
    assert len(r.json()["embeddings"]) == (1 if single else len(texts))


@FUZZ
@given(text=GOOD_TEXT, k=st.integers(min_value=-5, max_value=200)
       | st.floats() | st.booleans() | st.text(max_size=3))
def test_search_k_is_a_strict_positive_integer(client, text, k):
    body = json.dumps({"text": text, "k": k}, allow_nan=True).encode()
    r = post(client, "/search", body)
    good = type(k) is int and 1 <= k <= 100
    assert r.status_code == (200 if good else 422), r.text
    if good:
        assert len(r.json()["results"]) == min(k, 64)


def test_field_paths_and_one_line_messages():
    from keras_mm.serving.preprocessing import RequestError
    from keras_mm.serving.request_models import field_path
    from keras_mm.serving.request_models import parse_form
    from keras_mm.serving.request_models import parse_json
    from keras_mm.serving.request_models import request_models

    assert field_path(("texts", 2)) == "texts[2]"
    assert field_path(("a", "b", 0)) == "a.b[0]"
    models = request_models(max_items=2, max_k=10)
    with pytest.raises(RequestError) as error:
        parse_json(models.text, b'{"texts": ["a", 3, 4]}')
    assert error.value.status == 422
    assert error.value.message == (
        "texts: List should have at most 2 items after validation, not 3")
    assert parse_form(models.search, {"text": "a", "k": "4"}).k == 4
    with pytest.raises(RequestError, match="k: Input should be a valid "
                       "integer, unable to parse"):
        parse_form(models.search, {"text": "a", "k": "2.9"})
    assert parse_json(models.image, b'{"image": "AAAA"}').values() == [
        b"\x00\x00\x00"]

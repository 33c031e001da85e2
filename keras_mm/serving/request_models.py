"""Typed request bodies (pydantic, strict) and their one-line errors.

Bodies are parsed with pydantic's JSON parser, which refuses what
Python's `json` lets through: `NaN`/`Infinity`, lone surrogate escapes,
invalid UTF-8 and runaway nesting. Every field is strict: `k` is an
integer (`2.9`, `true` and `"3"` are refused), texts are strings, lists
are non-empty and at most `max_items` long. The limits come from the
service, so the models are built per app by `request_models`.
"""

import base64
import binascii
import dataclasses
from typing import Annotated

from pydantic import AfterValidator
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import ValidationError
from pydantic import model_validator

from keras_mm.serving.preprocessing import RequestError
from keras_mm.serving.preprocessing import check_unicode

# How an error names the JSON type a client sent.
_JSON_TYPES = {type(None): "null", bool: "a boolean", int: "an integer",
               float: "a number", str: "a string", list: "an array",
               dict: "an object"}
# At most this many field errors are spelled out in the one line.
MAX_ERRORS_LISTED = 3


def _unicode(text):
    try:
        check_unicode(text)
    except RequestError as error:
        raise ValueError(error.message) from None
    return text


def _base64(value):
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not valid base64") from None


def _one_of(data, fields, what):
    """A `mode="before"` check: exactly one of `fields` is present."""
    if isinstance(data, dict):
        present = [f for f in fields if data.get(f) is not None]
        if len(present) != 1:
            names = " or ".join(f'"{f}"' for f in fields)
            raise ValueError(f"send exactly one of {names} ({what})")
    return data


@dataclasses.dataclass(frozen=True)
class RequestModels:
    """The body models of one app (see `request_models`)."""

    text: type
    image: type
    audio: type
    search: type


def request_models(max_items=64, max_text_chars=512, max_k=100):
    """Builds the strict body models for these limits.

    Example:
    ```python
    models = request_models(max_items=8, max_k=20)
    models.search.model_validate_json(b'{"text": "a cat", "k": 3}')
    ```
    """
    strict = ConfigDict(strict=True, extra="forbid")
    # The length limit applies after whitespace is collapsed (the service
    # checks it); this bound only stops absurd strings early.
    text_type = Annotated[str, Field(min_length=1,
                                     max_length=16 * max_text_chars),
                          AfterValidator(_unicode)]
    image_type = Annotated[str, Field(min_length=1),
                           AfterValidator(_base64)]
    clip_type = list[Annotated[float, Field(allow_inf_nan=False)]]

    def items():
        return Field(None, min_length=1, max_length=max_items)

    class TextRequest(BaseModel):
        """`{"texts": [str, ...]}` or `{"text": str}`."""

        model_config = strict
        texts: list[text_type] | None = items()
        text: text_type | None = None

        @model_validator(mode="before")
        @classmethod
        def _one(cls, data):
            return _one_of(data, ("texts", "text"),
                           "a list of strings, or one string")

        def values(self):
            return self.texts if self.texts is not None else [self.text]

    class ImageRequest(BaseModel):
        """`{"images": [base64, ...]}` or `{"image": base64}`."""

        model_config = strict
        images: list[image_type] | None = items()
        image: image_type | None = None

        @model_validator(mode="before")
        @classmethod
        def _one(cls, data):
            return _one_of(data, ("images", "image"),
                           "base64-encoded PNG/JPEG files")

        def values(self):
            return self.images if self.images is not None else [self.image]

    class AudioRequest(BaseModel):
        """`{"audio": [[float, ...], ...]}`: clips of the model's shape."""

        model_config = strict
        audio: list[clip_type] = Field(min_length=1, max_length=max_items)

    class SearchRequest(BaseModel):
        """`{"text": str, "k": int}` or `{"image": base64, "k": int}`."""

        model_config = strict
        text: text_type | None = None
        image: image_type | None = None
        k: Annotated[int, Field(ge=1, le=max_k)] = 5
        # Equality on a built index's metadata columns (`keras-mm index`).
        filter: dict[str, str | int | float | bool] | None = None

        @model_validator(mode="before")
        @classmethod
        def _one(cls, data):
            return _one_of(data, ("text", "image"), "the query")

    return RequestModels(TextRequest, ImageRequest, AudioRequest,
                         SearchRequest)


def parse_json(model, body):
    """Validates a JSON body; a `RequestError` (one line) if it is bad."""
    if not body.strip():
        raise RequestError("empty request body; send JSON (Content-Type: "
                           "application/json) or multipart")
    try:
        return model.model_validate_json(body)
    except ValidationError as error:
        raise validation_error(error) from None


def parse_form(model, data):
    """Validates form fields (strings, so `k=4` is read as a number)."""
    try:
        return model.model_validate(data, strict=False)
    except ValidationError as error:
        raise validation_error(error) from None


def field_path(loc):
    """`("texts", 2)` → `texts[2]`."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (
            f".{part}" if path else str(part))
    return path


def validation_error(error):
    """A pydantic `ValidationError` → a `RequestError`: 400 for a body
    that is not a JSON object, else 422 naming each field and what was
    expected; `details` keeps the field paths, without the input."""
    errors = error.errors(include_url=False)
    first = errors[0]
    if first["type"] == "json_invalid":
        message = first["msg"].replace("Invalid JSON: ", "")
        return RequestError(f"malformed JSON: {message}", 400)
    if first["type"] == "model_type" and not first["loc"]:
        return RequestError(
            "the JSON body must be an object, got "
            f"{_JSON_TYPES.get(type(first.get('input')), 'something else')}",
            400)
    parts = []
    for item in errors[:MAX_ERRORS_LISTED]:
        message = item["msg"].removeprefix("Value error, ")
        if item["type"].endswith(("_type", "_parsing")):
            got = _JSON_TYPES.get(type(item.get("input")))
            if got:
                message += f", got {got}"
        path = field_path(item["loc"])
        parts.append(f"{path}: {message}" if path else message)
    if len(errors) > MAX_ERRORS_LISTED:
        parts.append(f"and {len(errors) - MAX_ERRORS_LISTED} more")
    request_error = RequestError("; ".join(parts), 422)
    request_error.details = [
        {"loc": list(item["loc"]), "msg": item["msg"], "type": item["type"]}
        for item in errors]
    return request_error

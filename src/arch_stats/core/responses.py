"""The response envelope `{"code", "data", "errors"}`, serialised without generic encoders."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

T = TypeVar("T")


class Envelope(BaseModel, Generic[T]):
    """Every response body has this shape."""

    model_config = ConfigDict(extra="forbid")

    code: int
    data: T | None
    errors: list[str]


class ErrorEnvelope(BaseModel):
    """The body of every 4xx/5xx response."""

    model_config = ConfigDict(extra="forbid")

    code: int
    data: None
    errors: list[str]


class JSONBytes(Response):
    media_type = "application/json"


def ok(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Envelope for Python data (dicts, lists, records turned into dicts)."""
    body = orjson.dumps({"code": status, "data": data, "errors": []})
    return JSONBytes(body, status_code=status, headers=headers)


def ok_json(json_text: str | bytes, status: int = 200) -> Response:
    """Envelope around JSON already built (by PostgreSQL): spliced, never re-parsed."""
    raw = json_text.encode() if isinstance(json_text, str) else json_text
    body = b'{"code":%d,"data":%s,"errors":[]}' % (status, raw)
    return JSONBytes(body, status_code=status)


def error(status: int, messages: list[str], headers: dict[str, str] | None = None) -> Response:
    body = orjson.dumps({"code": status, "data": None, "errors": messages})
    return JSONBytes(body, status_code=status, headers=headers)


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the error envelope for `codes`."""
    descriptions = {
        400: "Broken business rule",
        401: "Not logged in",
        404: "Not found (or not yours)",
        409: "Conflict",
        413: "Body too large",
        422: "Invalid input",
        429: "Too many attempts",
        503: "Database unavailable or busy: try again after Retry-After seconds",
    }
    return {c: {"model": ErrorEnvelope, "description": descriptions.get(c, "Error")} for c in codes}

"""One place that turns every failure into the envelope. Nothing expected becomes a 500."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from arch_stats.core.errors import AppError, ServiceUnavailable, TooManyRequests
from arch_stats.core.middleware import BodyTooLarge
from arch_stats.core.responses import error

log = logging.getLogger("arch_stats.errors")


def _loc(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) if parts else "body"


def validation_messages(errors: Sequence[Any]) -> list[str]:
    messages = []
    for err in errors:
        kind = err.get("type", "")
        where = _loc(err.get("loc", ()))
        if kind == "extra_forbidden":
            messages.append(f"{where}: unknown field")
        elif kind == "json_invalid":
            ctx = err.get("ctx") or {}
            messages.append(f"body: malformed JSON ({ctx.get('error', 'invalid')})")
        else:
            messages.append(f"{where}: {err.get('msg', 'invalid')}")
    return messages or ["invalid input"]


async def app_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    headers = None
    if isinstance(exc, TooManyRequests | ServiceUnavailable) and exc.retry_after is not None:
        headers = {"Retry-After": str(exc.retry_after)}
    return error(exc.status, exc.messages, headers)


async def request_validation(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error(422, validation_messages(exc.errors()))


async def http_exception(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if isinstance(exc.__cause__, BodyTooLarge):
        return error(413, [str(exc.__cause__)])
    if exc.status_code == 400 and exc.__cause__ is not None:
        # FastAPI's "error parsing the body" (e.g. bytes that are not UTF-8): invalid input,
        # like any other malformed JSON, and the 422 that every route with a body documents.
        return error(422, ["body: malformed JSON (could not be decoded)"])
    detail = exc.detail if isinstance(exc.detail, str) else "error"
    if exc.status_code == 404 and detail == "Not Found":
        detail = "no such route"
    return error(exc.status_code, [detail], dict(exc.headers) if exc.headers else None)


async def database_error(_: Request, exc: Exception) -> Response:
    """Constraint violations that slipped past validation are the client's, not a 500."""
    if isinstance(exc, asyncpg.UniqueViolationError):
        return error(409, ["conflicts with existing data"])
    if isinstance(exc, asyncpg.ForeignKeyViolationError):
        return error(409, ["refers to, or is referred to by, other data"])
    if isinstance(exc, asyncpg.CheckViolationError | asyncpg.NotNullViolationError):
        return error(422, [f"value out of the allowed range ({exc.constraint_name})"])
    if isinstance(exc, asyncpg.DataError):
        return error(422, ["value out of the allowed range"])
    return await unexpected(_, exc)


async def unexpected(_: Request, exc: Exception) -> Response:
    log.error("unexpected error", exc_info=exc)
    return error(500, ["internal server error"])


def install(app: FastAPI) -> None:
    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(RequestValidationError, request_validation)
    app.add_exception_handler(StarletteHTTPException, http_exception)
    app.add_exception_handler(asyncpg.PostgresError, database_error)
    app.add_exception_handler(Exception, unexpected)

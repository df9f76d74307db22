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
from starlette.routing import Match

from arch_stats.core.database import RETRY_AFTER_SECONDS, unavailable
from arch_stats.core.errors import AppError, ServiceUnavailable, TooManyRequests
from arch_stats.core.middleware import BodyTimeout, BodyTooLarge
from arch_stats.core.responses import error

log = logging.getLogger("arch_stats.errors")


def _loc(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) if parts else "body"


# A 422 lists this many problems at most, then how many more there are; each in so many
# characters (a field name is the client's to choose, and can be as long as its body).
MAX_MESSAGES = 10
MAX_MESSAGE_CHARS = 200


def validation_messages(errors: Sequence[Any]) -> list[str]:
    messages = [_message(err) for err in errors[:MAX_MESSAGES]]
    if len(errors) > MAX_MESSAGES:
        messages.append(f"… and {len(errors) - MAX_MESSAGES} more")
    return messages or ["invalid input"]


def _message(err: Any) -> str:
    kind = err.get("type", "")
    where = _loc(err.get("loc", ()))
    if kind == "extra_forbidden":
        text = f"{where}: unknown field"
    elif kind == "json_invalid":
        ctx = err.get("ctx") or {}
        text = f"body: malformed JSON ({ctx.get('error', 'invalid')})"
    else:
        text = f"{where}: {err.get('msg', 'invalid')}"
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "…"


async def app_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    headers = None
    if isinstance(exc, TooManyRequests | ServiceUnavailable) and exc.retry_after is not None:
        headers = {"Retry-After": str(exc.retry_after)}
    return error(exc.status, exc.messages, headers)


async def request_validation(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error(422, validation_messages(exc.errors()))


# The order in which an `Allow` header lists methods.
_METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app accepts at this path (not only the first route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET", "type": "http"})
        if match != Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return sorted(methods, key=lambda m: (_METHOD_ORDER.index(m) if m in _METHOD_ORDER else 99, m))


def service_unavailable(why: str) -> Response:
    return error(503, [why], {"Retry-After": str(RETRY_AFTER_SECONDS)})


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        allow = ", ".join(allowed_methods(request))
        return error(405, ["method not allowed"], {"Allow": allow})
    if isinstance(exc.__cause__, BodyTooLarge):
        return error(413, [str(exc.__cause__)], {"Connection": "close"})
    if isinstance(exc.__cause__, BodyTimeout):
        return error(408, [str(exc.__cause__)], {"Connection": "close"})
    if exc.status_code == 400 and exc.__cause__ is not None:
        # FastAPI's "error parsing the body" (e.g. bytes that are not UTF-8): invalid input,
        # like any other malformed JSON, and the 422 that every route with a body documents.
        return error(422, ["body: malformed JSON (could not be decoded)"])
    detail = exc.detail if isinstance(exc.detail, str) else "error"
    if exc.status_code == 404 and detail == "Not Found":
        detail = "no such route"
    return error(exc.status_code, [detail], dict(exc.headers) if exc.headers else None)


async def database_error(request: Request, exc: Exception) -> Response:
    """Constraint violations that slipped past validation are the client's, not a 500; a
    database that cannot be reached or did not answer in time is a 503."""
    if unavailable(exc):
        return database_unavailable(request, exc)
    if isinstance(exc, asyncpg.UniqueViolationError):
        return error(409, ["conflicts with existing data"])
    if isinstance(exc, asyncpg.ForeignKeyViolationError):
        return error(409, ["refers to, or is referred to by, other data"])
    if isinstance(exc, asyncpg.CheckViolationError | asyncpg.NotNullViolationError):
        return error(422, [f"value out of the allowed range ({exc.constraint_name})"])
    if isinstance(exc, asyncpg.DataError):
        return error(422, ["value out of the allowed range"])
    return await unexpected(request, exc)


def database_unavailable(request: Request, exc: BaseException) -> Response:
    timed_out = isinstance(exc, TimeoutError | asyncpg.QueryCanceledError)
    why = "database busy: no answer in time" if timed_out else "database unavailable"
    log.warning("%s %s: %s (%s)", request.method, request.url.path, why, type(exc).__name__)
    return service_unavailable(f"{why}, try again later")


async def connection_error(request: Request, exc: Exception) -> Response:
    """OSError (refused, reset, timeouts) and asyncpg's client errors: a database outage."""
    if unavailable(exc):
        return database_unavailable(request, exc)
    return await unexpected(request, exc)


async def unexpected(_: Request, exc: Exception) -> Response:
    log.error("unexpected error", exc_info=exc)
    return error(500, ["internal server error"])


def install(app: FastAPI) -> None:
    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(RequestValidationError, request_validation)
    app.add_exception_handler(StarletteHTTPException, http_exception)
    app.add_exception_handler(asyncpg.PostgresError, database_error)
    # Registered by class so that they are answered here, not re-raised by the outermost
    # middleware as `Exception` would be.
    app.add_exception_handler(OSError, connection_error)
    app.add_exception_handler(asyncpg.InterfaceError, connection_error)
    app.add_exception_handler(asyncpg.exceptions.InternalClientError, connection_error)
    app.add_exception_handler(Exception, unexpected)

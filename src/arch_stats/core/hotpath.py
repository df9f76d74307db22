"""A short way through for the busiest requests, in front of FastAPI's request path.

FastAPI's routing, dependency solving and request/response objects cost several times what
the database does for a one-row read (see bench/README.md). For a handful of hot requests
this ASGI layer does the same work directly: it matches the path, finds the caller in the
token cache, runs the domain's repository function and writes the envelope.

It only ever answers the plain success case. Whenever anything is unusual — no token, a
token not in the cache yet, a query it does not understand, a row that is not found, any
exception — the handler says so (returns None) and the request goes on to FastAPI, which
answers it exactly as it always does (same validation, same errors, same envelope). The
FastAPI routes stay the reference and the documentation; the tests run every request of a
hot route through both ways (tests/test_hotpath.py).

A handler may give up after touching the database only if nothing it did stays: reads,
and writes done in one statement that failed (POST /shot). A body is read whole first and
replayed to FastAPI when the hot path gives up. A database that cannot be reached is not
asked twice: that answer (503, as `core.handlers` gives it) is given here.

What it needs of the login (cookie name, token hash, longest token) is passed in by the app:
the ground floor imports no domain.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from urllib.parse import parse_qsl
from uuid import UUID

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from arch_stats.core.database import RETRY_AFTER_SECONDS, unavailable
from arch_stats.core.middleware import replay
from arch_stats.core.responses import error

if TYPE_CHECKING:
    from arch_stats.core.database import Pool
    from arch_stats.core.settings import Settings


class _Login(Protocol):
    """What the hot path reads of a cached token (`auth.cache.CachedToken`)."""

    @property
    def archer_id(self) -> UUID: ...
    @property
    def scope(self) -> str: ...


class TokenCache(Protocol):
    """The app's token cache (`app.state.token_cache`), as the hot path uses it."""

    def get(self, token_hash: bytes, /) -> _Login | None: ...


log = logging.getLogger("arch_stats.hotpath")

UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


@dataclass(frozen=True, slots=True)
class HotRequest:
    """What a hot handler gets: the pool, the logged-in archer, the path's groups."""

    pool: Pool
    archer_id: UUID
    params: tuple[str, ...]
    query_string: bytes
    body: bytes = b""
    # The request's headers as the ASGI scope has them (lower-case names), and the app's
    # settings (None only for an app that has none, in tests of this layer).
    headers: Sequence[tuple[bytes, bytes]] = ()
    settings: Settings | None = None


@dataclass(frozen=True, slots=True)
class HotAnswer:
    """An answer with its own status, or more members in the envelope than code, data and
    errors: `extra` is JSON text put after them, e.g. `b',"next_after":42'`."""

    status: int
    data: bytes
    extra: bytes = b""


# Returns the `data` of the answer as JSON bytes (with the route's status), a HotAnswer, or
# None: "let FastAPI answer this one".
HotHandler = Callable[[HotRequest], Awaitable[bytes | HotAnswer | None]]


@dataclass(frozen=True, slots=True)
class HotRoute:
    method: str
    pattern: re.Pattern[str]
    handler: HotHandler
    status: int = 200
    # Requests with a body (JSON only) are read whole, and replayed to FastAPI if need be.
    json_body: bool = False


def hot_route(
    method: str, path: str, handler: HotHandler, *, status: int = 200, json_body: bool = False
) -> HotRoute:
    """`path` is a regular expression matched against the whole path.

    A handler of a route with `json_body` may give up only before it has written anything
    (or when what it wrote was rolled back): FastAPI then runs the request again.
    """
    return HotRoute(method, re.compile(path), handler, status, json_body)


_JSON_HEADERS = [(b"content-type", b"application/json")]


class _Unavailable(Exception):
    pass


def login_token(scope: Scope, cookie_name: str) -> str | None:
    """The login token of a request, as `auth.deps.current_archer` reads it: the bearer
    token, else the cookie. None when absent or when the Authorization header is not a
    well-formed bearer (FastAPI then answers with the right 401)."""
    authorization = cookie = None
    for key, value in scope["headers"]:
        if key == b"authorization":
            authorization = value
        elif key == b"cookie":
            cookie = value
    if authorization is not None:
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        token = token.strip()
        return token if scheme.lower() == "bearer" and token else None
    if cookie is not None:
        return cookie_parser(cookie.decode("latin-1")).get(cookie_name)
    return None


class HotPath:
    """ASGI middleware: answers the hot routes' success case, passes everything else on."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: Sequence[HotRoute],
        cookie_name: str,
        token_hash: Callable[[str], bytes],
        max_token_length: int,
    ) -> None:
        self.app = app
        self.cookie_name = cookie_name
        self.token_hash = token_hash
        self.max_token_length = max_token_length
        # How many requests of hot routes were answered here, and how many given to FastAPI.
        self.answered = 0
        self.passed = 0
        self.routes: dict[str, list[HotRoute]] = {}
        for route in routes:
            self.routes.setdefault(route.method, []).append(route)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            candidates = self.routes.get(scope["method"])
            if candidates:
                path: str = scope["path"]
                for route in candidates:
                    match = route.pattern.fullmatch(path)
                    if match is not None:
                        body = b""
                        if route.json_body:
                            if not _is_json(scope):
                                break
                            read = await _read_body(receive)
                            if read is None:
                                return  # the client has gone: nobody to answer
                            body = read
                            receive = replay(body, receive)
                        try:
                            answer = await self._answer(route, match, scope, body)
                        except _Unavailable:
                            response = error(
                                503,
                                ["database unavailable, try again later"],
                                {"Retry-After": str(RETRY_AFTER_SECONDS)},
                            )
                            await response(scope, receive, send)
                            return
                        if answer is not None:
                            status, data = answer
                            await send(
                                {
                                    "type": "http.response.start",
                                    "status": status,
                                    "headers": [
                                        *_JSON_HEADERS,
                                        (b"content-length", b"%d" % len(data)),
                                    ],
                                }
                            )
                            await send({"type": "http.response.body", "body": data})
                            self.answered += 1
                            return
                        self.passed += 1
                        break
        await self.app(scope, receive, send)

    async def _answer(
        self, route: HotRoute, match: re.Match[str], scope: Scope, body: bytes
    ) -> tuple[int, bytes] | None:
        token = login_token(scope, self.cookie_name)
        if token is None or len(token) > self.max_token_length:
            return None
        state = scope["app"].state
        cache: TokenCache = state.token_cache
        hit = cache.get(self.token_hash(token))
        if hit is None or hit.scope != "login":
            return None
        request = HotRequest(
            state.pool,
            hit.archer_id,
            match.groups(),
            scope["query_string"],
            body,
            scope["headers"],
            getattr(state, "settings", None),
        )
        try:
            data = await route.handler(request)
        except Exception as exc:
            if unavailable(exc):
                log.warning(
                    "%s %s: database unavailable (%s)",
                    scope["method"],
                    scope["path"],
                    type(exc).__name__,
                )
                raise _Unavailable from exc
            # FastAPI will run the same request and answer (and log) whatever this was.
            log.debug("hot path gave up on %s %s", scope["method"], scope["path"], exc_info=True)
            return None
        if data is None:
            return None
        answer = data if isinstance(data, HotAnswer) else HotAnswer(route.status, data)
        body = b'{"code":%d,"data":%s,"errors":[]%s}' % (answer.status, answer.data, answer.extra)
        return answer.status, body


def _is_json(scope: Scope) -> bool:
    for key, value in scope["headers"]:
        if key == b"content-type":
            media_type = value.split(b";", 1)[0].strip().lower()
            return bool(media_type == b"application/json")
    return False


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body; None when the client disconnects first. A body over the limit raises
    here as it would for FastAPI, and the middleware around answers 413."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def query_params(query_string: bytes, allowed: frozenset[str]) -> dict[str, str] | None:
    """The query as a dict, decoded as Starlette does; None (let FastAPI answer) when a key
    is repeated or not one of `allowed`."""
    if not query_string:
        return {}
    params: dict[str, str] = {}
    for key, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if key in params or key not in allowed:
            return None
        params[key] = value
    return params

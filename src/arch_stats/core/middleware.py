"""Pure ASGI middleware: request id, latency log, who may call (Host, origin), request bodies
(type, size, shape, deadline) and the concurrency limit.

A request takes one of the `max_concurrent` slots only once its body is complete: a client
that sends its body slowly (or not at all) holds a connection, never a slot, and is cut off at
its deadline (`body_timeout` + length / `body_min_rate`) with a 408. Bodies are read whole
before the app runs, except on paths whose `BodyRule` says `buffered=False` (large uploads):
their route reads the body as it arrives, under the same deadline, and the slot is taken when
its last byte does.

Each path takes what its route can use (`BodyRule`): a size, counted as the body arrives (413
beyond it, unread when its Content-Length says so), and for JSON a shape, checked once the
body is parsed and before any route validates it (422): lists no longer than the route's
longest, objects of at most `MAX_MEMBERS` members, `MAX_DEPTH` levels, and so many values in
all. Parsing and validating cost the event loop time in proportion to what they are given
(in a worker thread too: the parsers hold the GIL throughout, see bench/README.md), and a
refused list's validation errors number as many as its elements: these bounds are what keep
any one request to a few milliseconds of the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import time
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arch_stats.core.guards import UNSAFE_METHODS, AllowedHosts, OriginPolicy
from arch_stats.core.logging import request_id_var
from arch_stats.core.responses import error

log = logging.getLogger("arch_stats.access")

_MAX_REQUEST_ID = 128
# Request ids name a request in the logs and its answer; they guard nothing, so they come
# from a generator seeded once per process (`random.SystemRandom` or uuid4 would ask the
# kernel for 16 bytes on every request).
_ids = random.Random()
os.register_at_fork(after_in_child=_ids.seed)  # a forked process draws its own


def _new_request_id() -> str:
    """32 lowercase hex digits, as a uuid4's hex was."""
    return f"{_ids.getrandbits(128):032x}"


# Every answer is what its Content-Type says (JSON is never sniffed into HTML).
_NOSNIFF = (b"x-content-type-options", b"nosniff")
JSON = "application/json"


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body larger than {limit} bytes")


class BodyTimeout(Exception):
    """The request body did not arrive in time (not a TimeoutError: that means the database)."""

    def __init__(self) -> None:
        super().__init__("request body not received in time")


class _ClientGone(Exception):
    pass


# The shape of every JSON body, whatever its route (the API's bodies nest 4 levels at most,
# and its widest object has fewer than 20 members).
MAX_DEPTH = 8
MAX_MEMBERS = 64
# What one item of a route's longest list may take: bytes (a shot with every field given,
# pretty-printed, is under 500) and values (a shot has 11).
ITEM_BYTES = 1024
ITEM_VALUES = 32
# The longest list of a JSON body, unless its route says otherwise (a target's faces: 12).
MAX_ITEMS = 16
# A body refused for its size is still read, and dropped, up to this much (`_drop_body`).
DROP_BYTES = 4 * 1_048_576


@dataclass(frozen=True, slots=True)
class BodyRule:
    """How the body of one path is taken: its size limit, its media type (415 otherwise),
    whether it is read whole before the route runs (`buffered`, in memory) or handed to the
    route as it arrives (large uploads, which the route spools or parses as they come), and,
    for JSON, its longest list (`max_items`; with `ITEM_VALUES` values for each item, the
    values the whole body may hold)."""

    limit: int
    media_type: str = JSON
    buffered: bool = True
    max_items: int = MAX_ITEMS

    @classmethod
    def batch(cls, max_items: int) -> BodyRule:
        """A JSON list of up to `max_items` objects (or one of them), `ITEM_BYTES` each."""
        return cls(max_items * ITEM_BYTES, max_items=max_items)


class _Head:
    """What the middleware reads from a request's headers, once (the last of repeated ones;
    a request with more than one Host is refused, so that every reader of it agrees)."""

    __slots__ = ("chunked", "headers", "hosts", "length", "media_type", "request_id")

    def __init__(self, scope: Scope) -> None:
        listed = scope["headers"]
        self.headers: dict[bytes, bytes] = dict(listed)
        headers = self.headers
        if len(headers) == len(listed):  # no name repeated (the usual case): count nothing
            self.hosts = 1 if b"host" in headers else 0
        else:
            self.hosts = sum(1 for name, _ in listed if name == b"host")
        request_id = None
        candidate = headers.get(b"x-request-id")
        if candidate is not None:
            text = candidate.decode("latin-1")
            if 0 < len(text) <= _MAX_REQUEST_ID and text.isprintable():
                request_id = text
        self.request_id: str = request_id or _new_request_id()
        self.length: int | None = None
        raw_length = headers.get(b"content-length")
        if raw_length is not None:
            try:
                self.length = int(raw_length)
            except ValueError:
                self.length = None
        encoding = headers.get(b"transfer-encoding")
        self.chunked = encoding is not None and b"chunked" in encoding.lower()
        self.media_type: bytes | None = None
        if self.chunked or self.length:
            content_type = headers.get(b"content-type")
            if content_type is not None:
                self.media_type = content_type.split(b";", 1)[0].strip().lower()

    @property
    def has_body(self) -> bool:
        return self.chunked or bool(self.length)


class RequestContextMiddleware:
    """Gives every request an id (from `X-Request-ID` or new), echoes it, checks its Host and
    origin, limits bodies and concurrency, and logs one line per request with its latency."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_concurrent: int,
        access_log: bool,
        body_rules: dict[str, BodyRule] | None = None,
        body_timeout: float = 10.0,
        body_min_rate: int = 65_536,
        allowed_hosts: AllowedHosts | None = None,
        origin_policy: OriginPolicy | None = None,
        typed_prefix: str = "/api/",
    ) -> None:
        self.app = app
        self.default_rule = BodyRule(max_body_bytes)
        # Paths with a rule of their own (e.g. CSV imports).
        self.body_rules = body_rules or {}
        self.body_timeout = body_timeout
        self.body_min_rate = body_min_rate
        self.semaphore = asyncio.Semaphore(max_concurrent)
        self.access_log = access_log
        self.allowed_hosts = allowed_hosts or AllowedHosts(frozenset(), any_host=True)
        self._hosts_seen: set[bytes | None] = set()  # Host values already allowed
        self.origin_policy = origin_policy
        # Unsafe requests with a body under this prefix must declare their media type.
        self.typed_prefix = typed_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        head = _Head(scope)
        token = request_id_var.set(head.request_id)
        scope.setdefault("state", {})["request_id"] = head.request_id
        try:
            if scope["type"] == "websocket":
                await self._websocket(scope, receive, send, head)
            else:
                await self._http(scope, receive, send, head)
        finally:
            request_id_var.reset(token)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send, head: _Head) -> None:
        refusal = self._refusal(scope, head)
        if refusal is not None:
            # Closing before accepting refuses the handshake (HTTP 403).
            log.info("WebSocket %s refused: %s", scope["path"], refusal[1])
            await send({"type": "websocket.close", "code": 4403, "reason": "forbidden"})
            return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope, head: _Head) -> tuple[int, str] | None:
        if head.hosts > 1:  # RFC 9112 §3.2: a server MUST answer 400
            return 400, "more than one Host header"
        host = head.headers.get(b"host")
        if host not in self._hosts_seen:
            if not self.allowed_hosts.allows(host.decode("latin-1") if host is not None else None):
                return 400, "unknown Host: this server does not answer to that name (ALLOWED_HOSTS)"
            if len(self._hosts_seen) < 64:  # the few names it is called by, not every spelling
                self._hosts_seen.add(host)
        if self.origin_policy is not None and (
            scope["type"] == "websocket" or scope["method"] in UNSAFE_METHODS
        ):
            why = self.origin_policy.refusal(
                scope["type"],
                scope.get("method", "GET"),
                scope.get("scheme", "http"),
                head.headers,
                scope["path"],
            )
            if why is not None:
                return 403, why
        return None

    def _body_refusal(self, scope: Scope, head: _Head, rule: BodyRule) -> tuple[int, str] | None:
        if head.length is not None and head.length > rule.limit:
            return 413, f"request body larger than {rule.limit} bytes"
        if (
            head.has_body
            and scope["method"] in UNSAFE_METHODS
            and scope["path"].startswith(self.typed_prefix)
            and head.media_type != rule.media_type.encode()
        ):
            sent = head.media_type.decode("latin-1") if head.media_type else "none"
            return 415, f"Content-Type must be {rule.media_type} (got {sent})"
        return None

    def _deadline(self, head: _Head, rule: BodyRule) -> float:
        expected = head.length if head.length is not None else rule.limit
        allowance = self.body_timeout + expected / self.body_min_rate
        return asyncio.get_running_loop().time() + allowance

    async def _http(self, scope: Scope, receive: Receive, send: Send, head: _Head) -> None:
        start = time.perf_counter()
        status = [500]
        rid_header = (b"x-request-id", head.request_id.encode("latin-1"))

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = [*message.get("headers", []), rid_header]
                if _NOSNIFF not in headers:  # as Starlette writes it: lower case
                    headers.append(_NOSNIFF)
                message["headers"] = headers
            await send(message)

        try:
            await self._handle(scope, receive, send_wrapper, head)
        except _ClientGone:
            status[0] = 499  # nginx's word for it: the client closed the connection first
        finally:
            if self.access_log or status[0] >= 500:
                latency = round((time.perf_counter() - start) * 1000, 2)
                level = logging.WARNING if status[0] >= 500 else logging.INFO
                log.log(
                    level,
                    "%s %s %d",
                    scope["method"],
                    scope["path"],
                    status[0],
                    extra={
                        "request_id": head.request_id,
                        "latency_ms": latency,
                        "status": status[0],
                    },
                )

    async def _handle(self, scope: Scope, receive: Receive, send: Send, head: _Head) -> None:
        refusal = self._refusal(scope, head)
        rule = self.body_rules.get(scope["path"], self.default_rule)
        if refusal is None:
            refusal = self._body_refusal(scope, head, rule)
        if refusal is not None:
            if refusal[0] == 413 and head.length is not None and head.length <= DROP_BYTES:
                await _drop_body(receive, self._deadline(head, rule))
            await _answer(send, *refusal)
            return
        if not head.has_body:
            async with self.semaphore:
                await self.app(scope, receive, send)
            return
        deadline = self._deadline(head, rule)
        if not rule.buffered:
            await self._streamed(scope, receive, send, rule, deadline)
            return
        try:
            body = await _read_body(receive, rule.limit, deadline)
        except BodyTooLarge as exc:
            await _drop_body(receive, deadline)
            await _answer(send, 413, str(exc), close=True)
            return
        except BodyTimeout as exc:
            await _answer(send, 408, str(exc), close=True)
            return
        if body and head.media_type == b"application/json":
            why = json_refusal(body, rule.max_items)
            if why is not None:
                await _answer(send, 422, why)
                return
        async with self.semaphore:
            try:
                await self.app(scope, replay(body, receive), send)
            except BodyTooLarge as exc:  # a route that read past the end of its replay
                await _answer(send, 413, str(exc), close=True)

    async def _streamed(
        self, scope: Scope, receive: Receive, send: Send, rule: BodyRule, deadline: float
    ) -> None:
        """The route reads the body as it arrives; the slot is taken with its last byte."""
        received = 0
        slot = False
        started = False

        async def receive_body() -> Message:
            nonlocal received, slot
            remaining = deadline - asyncio.get_running_loop().time()
            try:
                async with asyncio.timeout(max(remaining, 0)):
                    message = await receive()
            except TimeoutError:
                raise BodyTimeout from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > rule.limit:
                    raise BodyTooLarge(rule.limit)
                if not message.get("more_body", False) and not slot:
                    await self.semaphore.acquire()
                    slot = True
            return message

        async def send_started(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive_body, send_started)
        except (BodyTooLarge, BodyTimeout) as exc:
            if started:
                raise
            code = 413 if isinstance(exc, BodyTooLarge) else 408
            await _answer(send, code, str(exc), close=True)
        finally:
            if slot:
                self.semaphore.release()


async def _answer(send: Send, status: int, message: str, *, close: bool = False) -> None:
    # The rest of a body that was refused is not read: the connection cannot be reused.
    headers = {"Connection": "close"} if close or status in (408, 413) else None
    response = error(status, [message], headers)
    await response({"type": "http"}, _empty_receive, send)


async def _drop_body(receive: Receive, deadline: float) -> None:
    """Read the rest of a body refused for its size, and drop it: up to `DROP_BYTES`, by
    `deadline`. A client sends its whole body before it reads the answer, and a connection
    closed with data unread is reset, the answer on its way with it."""
    dropped = 0
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout_at(deadline):
            while dropped <= DROP_BYTES:
                message = await receive()
                dropped += len(message.get("body", b""))
                if message["type"] != "http.request" or not message.get("more_body", False):
                    return


async def _read_body(receive: Receive, limit: int, deadline: float) -> bytes:
    """The whole body, by `deadline` (event loop time); raises `_ClientGone` when the client
    leaves first, `BodyTooLarge` past `limit`, `BodyTimeout` at the deadline."""
    chunks: list[bytes] = []
    received = 0
    try:
        async with asyncio.timeout_at(deadline):
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    raise _ClientGone
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    raise BodyTooLarge(limit)
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return b"".join(chunks)
    except TimeoutError:
        raise BodyTimeout from None


def json_refusal(body: bytes, max_items: int) -> str | None:
    """Why `body` is not JSON of the shape a route with lists of `max_items` can take, or
    None. Walked a level at a time, and given up as soon as it is known to be too big."""
    try:
        level: list[Any] = [orjson.loads(body)]
    except orjson.JSONDecodeError as exc:
        return f"body: malformed JSON ({str(exc).split(':', 1)[0]})"
    budget = max_items * ITEM_VALUES
    values = depth = 0
    while level:
        depth += 1
        if depth > MAX_DEPTH:
            return f"body: nested more than {MAX_DEPTH} levels deep"
        values += len(level)
        inner: list[Any] = []
        for value in level:
            if isinstance(value, list):
                if len(value) > max_items:
                    return f"body: a list of more than {max_items} items"
                inner.extend(value)
            elif isinstance(value, dict):
                if len(value) > MAX_MEMBERS:
                    return f"body: an object of more than {MAX_MEMBERS} members"
                inner.extend(value.values())
            if values + len(inner) > budget:
                return f"body: more than {budget} values in all"
        level = inner
    return None


def replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives `body` first, as one message, then whatever comes next."""
    pending = True

    async def replayed() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _empty_receive() -> Message:
    return {"type": "http.disconnect"}

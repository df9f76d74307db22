"""Pure ASGI middleware: request id, latency log, body size limit, concurrency limit."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arch_stats.core.logging import request_id_var
from arch_stats.core.responses import error

log = logging.getLogger("arch_stats.access")

_MAX_REQUEST_ID = 128


class BodyTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"request body larger than {limit} bytes")


class RequestContextMiddleware:
    """Gives every request an id (from `X-Request-ID` or new), echoes it, limits bodies
    and concurrency, and logs one line per request with its latency."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_concurrent: int,
        access_log: bool,
        body_limits: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_body = max_body_bytes
        # Paths allowed a different limit (e.g. CSV imports).
        self.body_limits = body_limits or {}
        self.semaphore = asyncio.Semaphore(max_concurrent)
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = None
        length: int | None = None
        for key, value in scope["headers"]:
            if key == b"x-request-id":
                candidate = value.decode("latin-1")
                if 0 < len(candidate) <= _MAX_REQUEST_ID and candidate.isprintable():
                    request_id = candidate
            elif key == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = None
        if request_id is None:
            request_id = uuid.uuid4().hex
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        if scope["type"] == "websocket":
            try:
                await self.app(scope, receive, send)
            finally:
                request_id_var.reset(token)
            return

        start = time.perf_counter()
        status_holder = [500]
        rid_header = (b"x-request-id", request_id.encode("latin-1"))
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                status_holder[0] = message["status"]
                message["headers"] = [*message.get("headers", []), rid_header]
            await send(message)

        received = 0
        limit = self.body_limits.get(scope["path"], self.max_body)

        async def receive_wrapper() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            if length is not None and length > limit:
                await self._too_large(send_wrapper, limit)
                return
            async with self.semaphore:
                try:
                    await self.app(scope, receive_wrapper, send_wrapper)
                except BodyTooLarge:
                    if not started:
                        await self._too_large(send_wrapper, limit)
        finally:
            request_id_var.reset(token)
            if self.access_log or status_holder[0] >= 500:
                latency = round((time.perf_counter() - start) * 1000, 2)
                level = logging.WARNING if status_holder[0] >= 500 else logging.INFO
                log.log(
                    level,
                    "%s %s %d",
                    scope["method"],
                    scope["path"],
                    status_holder[0],
                    extra={
                        "request_id": request_id,
                        "latency_ms": latency,
                        "status": status_holder[0],
                    },
                )

    async def _too_large(self, send: Send, limit: int) -> None:
        response = error(413, [f"request body larger than {limit} bytes"])
        await response({"type": "http"}, _empty_receive, send)


async def _empty_receive() -> Message:
    return {"type": "http.disconnect"}

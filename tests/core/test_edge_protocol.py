"""The edge protocol's per-request work, in process: what it writes to the transport and what
it asks of the event loop (a real loop, uvicorn's real parser; only the socket is a stand-in
that records what is written). Its behaviour on real sockets: tests/core/test_connections.py."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState

from arch_stats.core.serving import UVICORN, EdgeHttpProtocol, EdgeLimits

GET = b"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: test\r\nAccept: */*\r\n\r\n"
HEAD = GET.replace(b"GET", b"HEAD", 1)
BODY = b'{"code":200,"data":1,"errors":[]}'

App = Callable[[Any, Any, Any], Any]


class Socket(asyncio.Transport):
    """A transport that keeps every write (one write: one `send()` on a real socket)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(
            name, default
        )

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        pass


def connect(app: App, limits: EdgeLimits | None = None) -> tuple[EdgeHttpProtocol, Socket]:
    config = Config(app, **{**UVICORN, "loop": "none"})
    config.load()
    loop = asyncio.get_running_loop()
    protocol = EdgeHttpProtocol(config, ServerState(), {"edge": limits or EdgeLimits()}, loop)
    socket = Socket()
    protocol.connection_made(socket)
    return protocol, socket


async def answered(protocol: EdgeHttpProtocol) -> None:
    """Until the request in flight has been answered."""
    for _ in range(1000):
        await asyncio.sleep(0)
        if protocol.cycle is not None and protocol.cycle.response_complete:
            return
    raise AssertionError("no answer")


def json_app(status: int = 200) -> App:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(BODY))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": BODY})

    return app


async def test_a_response_of_known_length_is_one_write() -> None:
    protocol, socket = connect(json_app())
    for _ in range(3):  # keep-alive: each response its own single write
        socket.writes.clear()
        protocol.data_received(GET)
        await answered(protocol)
        assert len(socket.writes) == 1
        head, body = socket.writes[0].split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n") and body == BODY


async def test_a_streamed_answer_s_head_goes_out_before_its_body() -> None:
    go_on = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})  # chunked
        await go_on.wait()
        await send({"type": "http.response.body", "body": b"part", "more_body": False})

    protocol, socket = connect(app)
    protocol.data_received(GET)
    for _ in range(20):
        await asyncio.sleep(0)
    assert len(socket.writes) == 1 and socket.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"transfer-encoding: chunked" in socket.writes[0]
    go_on.set()
    await answered(protocol)
    assert b"".join(socket.writes[1:]) == b"4\r\npart\r\n0\r\n\r\n"


async def test_a_head_request_s_answer_is_written_when_complete() -> None:
    protocol, socket = connect(json_app())
    protocol.data_received(HEAD)
    await answered(protocol)
    assert len(socket.writes) == 1
    assert socket.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert socket.writes[0].endswith(b"\r\n\r\n")  # the head alone


async def test_100_continue_is_written_at_once_and_the_answer_after() -> None:
    got = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        assert message["body"] == b"{}"
        got.set()
        await json_app(201)(scope, receive, send)

    protocol, socket = connect(app)
    protocol.data_received(
        b"POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2\r\nExpect: 100-continue\r\n\r\n"
    )
    for _ in range(20):
        await asyncio.sleep(0)
    assert socket.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]  # before the body is sent
    protocol.data_received(b"{}")
    await answered(protocol)
    assert got.is_set() and len(socket.writes) == 2
    assert socket.writes[1].startswith(b"HTTP/1.1 201 Created\r\n")


async def test_an_answer_held_is_written_before_the_connection_closes() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"9")]}
        )
        raise RuntimeError("the app fails after its head")

    protocol, socket = connect(app)
    protocol.data_received(GET)
    for _ in range(50):
        await asyncio.sleep(0)
        if socket.closed:
            break
    assert socket.closed
    assert len(socket.writes) == 1 and socket.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")


async def test_requests_ask_the_loop_for_no_timer_of_their_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Header deadlines are swept once per `SWEEP_SECONDS` per server: a request arms (and
    cancels) no timer; what remains is uvicorn's own keep-alive timer, one per response."""
    protocol, socket = connect(json_app())
    loop = asyncio.get_running_loop()
    armed: list[Any] = []
    call_later, call_at = loop.call_later, loop.call_at

    def later(delay: float, callback: Any, *args: Any, **kwargs: Any) -> Any:
        armed.append(callback)
        with monkeypatch.context() as inner:  # (asyncio's call_later calls call_at)
            inner.setattr(loop, "call_at", call_at)
            return call_later(delay, callback, *args, **kwargs)

    def at(when: float, callback: Any, *args: Any, **kwargs: Any) -> Any:
        armed.append(callback)
        return call_at(when, callback, *args, **kwargs)

    monkeypatch.setattr(loop, "call_later", later)
    monkeypatch.setattr(loop, "call_at", at)
    requests = 20
    for _ in range(requests):
        protocol.data_received(GET)
        await answered(protocol)
    assert len(socket.writes) == requests
    assert armed == [protocol.timeout_keep_alive_handler] * requests


async def test_headers_over_the_bound_in_one_read_431() -> None:
    protocol, socket = connect(json_app(), EdgeLimits(max_header_bytes=1024))
    protocol.data_received(GET.replace(b"Accept: */*", b"X-Big: " + b"a" * 2000))
    for _ in range(20):
        await asyncio.sleep(0)
    assert len(socket.writes) == 1
    assert socket.writes[0].startswith(b"HTTP/1.1 431 ")


async def test_pipelined_requests_over_the_bound_in_one_read_are_each_answered() -> None:
    """Many small requests in one read: that read is over the bound, each one's headers not."""
    protocol, socket = connect(json_app(), EdgeLimits(max_header_bytes=1024))
    protocol.data_received(GET * 40)  # ≈ 2.7 KB
    for _ in range(2000):
        await asyncio.sleep(0)
        if b"".join(socket.writes).count(BODY) == 40:
            break
    written = b"".join(socket.writes)
    assert written.count(b"HTTP/1.1 200 OK\r\n") == 40 and written.count(BODY) == 40
    assert b" 431 " not in written

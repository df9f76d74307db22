"""How `arch-stats serve` runs uvicorn: one set of options, shared by benchmarks and tests.

uvicorn bounds an idle keep-alive connection (`timeout_keep_alive`) but not a connection that
never finishes its headers, nor a fresh one that sends nothing, nor how many are open. Its
httptools protocol is extended here (`EdgeHttpProtocol`, named in `UVICORN["http"]`) with:

- a headers deadline (`HEADERS_TIMEOUT_SECONDS`, from the connection's first byte or its
  opening): a silent connection is closed, one part-way through its headers gets a 408;
- a bound on the size of a request's headers (431 beyond `MAX_HEADER_BYTES`);
- a cap on open connections per process (`MAX_CONNECTIONS`, by default what the open-file limit
  leaves after the database pool and files): at the cap, the connection idle the longest (no
  request in flight) is closed to make room, and when none is idle the newcomer is answered
  503 with Retry-After and closed, before the process could run out of file descriptors;
- the same per client address, below it (`MAX_CONNECTIONS_PER_ADDRESS`, by default a quarter
  of the cap), so that one address cannot take every slot: a newcomer from an address at its
  cap makes room among that address's own idle connections, else gets the 503.

The address is the connection's peer (an IPv4 address, or an IPv6 /64: `core.addresses`),
WebSockets included (`core.ws_protocol` counts them under the same address), and that is all
uvicorn knows at this layer: `--proxy-headers` applies `X-Forwarded-For` later, per request,
in the ASGI app, and a proxy's keep-alive connections carry many clients' requests in turn.
So a connection from a trusted proxy (`--proxy-headers` and `--forwarded-allow-ips`) is
counted only against `MAX_CONNECTIONS`; the proxy bounds its clients' connections per
address itself (nginx: `limit_conn`, docs/reverse-proxy.md).

Body deadlines and the concurrency slot are in `core.middleware` (they need the path).
The limits come from the app: its lifespan state carries `EdgeLimits` under `"edge"`.
"""

from __future__ import annotations

import asyncio
import resource
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import orjson
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from arch_stats.core.addresses import address_key

if TYPE_CHECKING:
    from arch_stats.core.settings import Settings

# Largest WebSocket message a client may send (the app reads none but small control ones).
WS_MAX_MESSAGE_BYTES: Final = 4096
# Keyword arguments of `uvicorn.run` / `uvicorn.Config`.
UVICORN: Final[dict[str, Any]] = {
    "loop": "uvloop",
    # httptools, with the deadlines and the connection cap described above.
    "http": "arch_stats.core.serving:EdgeHttpProtocol",
    # websockets' sans-I/O protocol: a frame is encoded and written in one call, with no
    # per-send lock and drain as in the legacy one: 20 % less server CPU per shot in the live
    # fan-out to 100 clients, p99 9.4–9.8 ms instead of 11.3–12.3 (bench/live).
    # Extended (core.ws_protocol): bounded messages, frames encoded once for many sockets,
    # counted per address, 1001 (going away) when the server stops.
    "ws": "arch_stats.core.ws_protocol:EdgeWebSocketProtocol",
    # Clients send nothing but small control messages: a frame announcing more is refused by
    # its header (close 1009), before any of it is read or buffered (uvicorn's default: 16 MiB).
    "ws_max_size": WS_MAX_MESSAGE_BYTES,
    # Frames are small JSON sent to many clients: compressing each copy separately cost more
    # CPU than everything else in the fan-out (bench/live).
    "ws_per_message_deflate": False,
    # Forwarded headers are trusted only when `serve --proxy-headers` says so (uvicorn's
    # default trusts them from 127.0.0.1).
    "proxy_headers": False,
    "access_log": False,
    "server_header": False,
}

MAX_HEADER_BYTES: Final = 64 * 1024
# File descriptors kept for everything but client connections: the pool is added to these
# (the LISTEN and assembler connections, the listening socket, static files, logs, spools).
RESERVED_FDS: Final = 64
REFUSE_RETRY_AFTER: Final = 2
# How long a connection answered and being closed (refused, headers too large) may go on
# sending before it is closed anyway (what it sends is dropped).
LINGER_SECONDS: Final = 1.0


def uvicorn_flags() -> list[str]:
    """`UVICORN` as flags of the `uvicorn` command (for servers run as processes)."""
    flags = []
    for key, value in UVICORN.items():
        name = key.replace("_", "-")
        if key == "ws_per_message_deflate":  # a flag that takes a value
            flags.append(f"--{name}={str(value).lower()}")
        elif isinstance(value, bool):
            flags.append(f"--{name}" if value else f"--no-{name}")
        else:
            flags.append(f"--{name}={value}")
    return flags


def connection_cap(configured: int, pool_max: int) -> int:
    """`configured`, or what the open-file limit leaves for client connections."""
    if configured > 0:
        return configured
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        soft = 1 << 20
    return max(16, soft - pool_max - RESERVED_FDS)


def per_address_cap(configured: int, cap: int) -> int:
    """`configured`, or a quarter of the connection cap (never above it)."""
    return min(configured, cap) if configured > 0 else max(1, cap // 4)


@dataclass(frozen=True, slots=True)
class EdgeLimits:
    headers_timeout: float = 10.0
    keep_alive_timeout: float = 5.0
    max_connections: int = 1000
    max_per_address: int = 250
    max_header_bytes: int = MAX_HEADER_BYTES

    @classmethod
    def from_settings(cls, settings: Settings) -> EdgeLimits:
        cap = connection_cap(settings.max_connections, settings.pg_pool_max)
        return cls(
            headers_timeout=settings.headers_timeout_seconds,
            keep_alive_timeout=settings.keep_alive_timeout_seconds,
            max_connections=cap,
            max_per_address=per_address_cap(settings.max_connections_per_address, cap),
        )


class AddressBook:
    """The open connections of one server by client address (in its lifespan state, which
    every connection's protocol shares: `address_book`)."""

    __slots__ = ("by_address",)

    def __init__(self) -> None:
        self.by_address: dict[str, set[asyncio.Protocol]] = {}

    def add(self, address: str | None, conn: asyncio.Protocol) -> None:
        if address is not None:
            self.by_address.setdefault(address, set()).add(conn)

    def discard(self, address: str | None, conn: asyncio.Protocol) -> None:
        conns = self.by_address.get(address) if address is not None else None
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del self.by_address[address]  # type: ignore[arg-type]

    def of(self, address: str | None) -> set[asyncio.Protocol]:
        return self.by_address.get(address, set()) if address is not None else set()


def address_book(app_state: dict[str, Any]) -> AddressBook:
    book = app_state.get("edge_addresses")
    if not isinstance(book, AddressBook):
        book = app_state["edge_addresses"] = AddressBook()
    return book


def peer_address(transport: asyncio.BaseTransport, app: object) -> str | None:
    """The address a connection counts under: its peer's, or None for a proxy trusted with
    forwarded headers (see the module's text) and for a peer without an IP address."""
    peer = transport.get_extra_info("peername")
    host = peer[0] if isinstance(peer, tuple) and peer else None
    if not isinstance(host, str):
        return None
    # uvicorn puts its proxy middleware around the app when `proxy_headers` is on.
    if isinstance(app, ProxyHeadersMiddleware) and host in app.trusted_hosts:
        return None
    return address_key(host)


def _canned(status: bytes, message: str, *extra: bytes) -> bytes:
    body = orjson.dumps({"code": int(status[:3]), "data": None, "errors": [message]})
    return b"".join(
        [
            b"HTTP/1.1 %s\r\n" % status,
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            *extra,
            b"connection: close\r\n\r\n",
            body,
        ]
    )


_REFUSED = _canned(
    b"503 Service Unavailable",
    "too many open connections, try again later",
    b"retry-after: %d\r\n" % REFUSE_RETRY_AFTER,
)
_REFUSED_ADDRESS = _canned(
    b"503 Service Unavailable",
    "too many open connections from your address, try again later",
    b"retry-after: %d\r\n" % REFUSE_RETRY_AFTER,
)
_HEADERS_TIMEOUT = _canned(b"408 Request Timeout", "request headers not received in time")
_HEADERS_TOO_LARGE = _canned(b"431 Request Header Fields Too Large", "request headers too large")


class EdgeHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a headers deadline, a header size bound and a cap on
    open connections (see the module's text)."""

    _fallback: EdgeLimits | None = None

    def _limits(self) -> EdgeLimits:
        limits = self.app_state.get("edge")
        if isinstance(limits, EdgeLimits):
            return limits
        if EdgeHttpProtocol._fallback is None:
            from arch_stats.core.settings import get_settings

            EdgeHttpProtocol._fallback = EdgeLimits.from_settings(get_settings())
        return EdgeHttpProtocol._fallback

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.edge = self._limits()
        self.timeout_keep_alive = self.edge.keep_alive_timeout  # type: ignore[assignment]
        self.idle_since = time.monotonic()
        self.in_headers = False
        self.header_bytes = 0
        self.lingering = False
        self.headers_timer: asyncio.TimerHandle | None = None
        self.book = address_book(self.app_state)
        self.address = peer_address(transport, self.app)
        if len(self.connections) > self.edge.max_connections and not self._evict_idle(
            self.connections
        ):
            self._refuse(_REFUSED, f"{len(self.connections)} open (MAX_CONNECTIONS)")
            return
        same = self.book.of(self.address)
        if len(same) >= self.edge.max_per_address and not self._evict_idle(same):
            self._refuse(
                _REFUSED_ADDRESS,
                f"{len(same)} open from {self.address} (MAX_CONNECTIONS_PER_ADDRESS)",
            )
            return
        self.book.add(self.address, self)
        self._arm_headers_timer()

    # The caps.

    def busy(self) -> bool:
        """A request is in flight (or queued) on this connection."""
        return bool(self.pipeline) or (self.cycle is not None and not self.cycle.response_complete)

    def _evict_idle(self, among: Iterable[asyncio.Protocol]) -> bool:
        """Close the connection of `among` idle the longest (WebSockets never are)."""
        oldest: EdgeHttpProtocol | None = None
        for conn in among:
            if conn is self or not isinstance(conn, EdgeHttpProtocol) or conn.busy():
                continue
            if oldest is None or conn.idle_since < oldest.idle_since:
                oldest = conn
        if oldest is None:
            return False
        self.connections.discard(oldest)
        self.book.discard(oldest.address, oldest)
        oldest.transport.close()
        return True

    def _refuse(self, answer: bytes, why: str) -> None:
        self.connections.discard(self)
        self.logger.warning("connection refused: %s", why)
        self._answer_and_close(answer)

    def _answer_and_close(self, answer: bytes) -> None:
        """Send `answer`, stop sending, and close once the client stops sending too, or after
        `LINGER_SECONDS`; what it still sends meanwhile is read and dropped.

        Closing at once, while the client's request is still arriving, would leave unread
        data in the socket: the kernel then resets the connection, and a client can lose the
        answer on its way (nginx's `lingering_close`, for the same reason)."""
        self.lingering = True
        self.transport.write(answer)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.headers_timer = self.loop.call_later(LINGER_SECONDS, self.transport.close)

    # The headers deadline and size.

    def _arm_headers_timer(self) -> None:
        if self.headers_timer is None:
            self.headers_timer = self.loop.call_later(
                self.edge.headers_timeout, self._headers_timeout
            )

    def _cancel_headers_timer(self) -> None:
        if self.headers_timer is not None:
            self.headers_timer.cancel()
            self.headers_timer = None

    def _headers_timeout(self) -> None:
        self.headers_timer = None
        if self.transport.is_closing():
            return
        if self.in_headers:  # part of a request came: say why it is closed
            self.transport.write(_HEADERS_TIMEOUT)
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self.lingering:
            return
        super().data_received(data)
        if self.in_headers and not self.transport.is_closing():
            self.header_bytes += len(data)
            if self.header_bytes > self.edge.max_header_bytes:
                self._cancel_headers_timer()
                self._answer_and_close(_HEADERS_TOO_LARGE)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.in_headers = True
        self.header_bytes = 0
        self._arm_headers_timer()

    def on_headers_complete(self) -> None:
        self.in_headers = False
        self._cancel_headers_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        self.idle_since = time.monotonic()
        super().on_response_complete()

    def handle_websocket_upgrade(self) -> None:
        # The WebSocket protocol takes the connection over, and its place in the book.
        self.book.discard(self.address, self)
        super().handle_websocket_upgrade()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_headers_timer()
        self.book.discard(self.address, self)
        super().connection_lost(exc)

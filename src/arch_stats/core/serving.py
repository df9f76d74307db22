"""How `arch-stats serve` runs uvicorn: one set of options, shared by benchmarks and tests.

uvicorn bounds an idle keep-alive connection (`timeout_keep_alive`) but not a connection that
never finishes its headers, nor a fresh one that sends nothing, nor how many are open. Its
httptools protocol is extended here (`EdgeHttpProtocol`, named in `UVICORN["http"]`) with:

- a headers deadline (`HEADERS_TIMEOUT_SECONDS`, from the connection's first byte or its
  opening): a silent connection is closed, one part-way through its headers gets a 408.
  A request only notes its deadline; one sweep per server (`DeadlineSweep`, every
  `SWEEP_SECONDS` while connections are open) ends the connections past theirs, so a
  deadline is enforced up to `SWEEP_SECONDS` late, never early, and a request costs no timer;
- a bound on the size of a request's headers (431 beyond `MAX_HEADER_BYTES`), counted for
  each request as the parser reads it (the bodies of requests pipelined before it are not
  its headers); the requests before it on the connection are answered first;
- a cap on open connections per process (`MAX_CONNECTIONS`, by default what the open-file limit
  leaves after the database pool and files): at the cap, the connection idle the longest (no
  request in flight) is closed to make room, and when none is idle the newcomer is answered
  503 with Retry-After and closed, before the process could run out of file descriptors;
- the same per client address, below it (`MAX_CONNECTIONS_PER_ADDRESS`, by default a quarter
  of the cap), so that one address cannot take every slot: a newcomer from an address at its
  cap makes room among that address's own idle connections, else gets the 503;
- one write per response of a known length: its head is held until its body's first bytes
  and leaves with them (`OneWrite`), one `send()` instead of two (on loopback and through a
  proxy, the cost of a small response is mostly its system calls);
- a warning, once per process, at the first request whose forwarded headers (`X-Forwarded-For`,
  `Forwarded`) are ignored: from a peer not trusted as a proxy (`serve --proxy-headers`,
  `--forwarded-allow-ips`), or a trusted proxy's `Forwarded` alone (uvicorn reads only
  `X-Forwarded-For`). Behind such a proxy every client has the proxy's address, and the limits
  per address (registration, login) count them all as one.

The per-address cap counts a connection under its peer's address (an IPv4 address, or an IPv6
/64: `core.addresses`), WebSockets included (`core.ws_protocol` counts them the same way), for
that is all uvicorn knows at this layer: `--proxy-headers` applies `X-Forwarded-For` later,
per request, in the ASGI app, and a proxy's keep-alive connections carry many clients'
requests in turn. So a connection from a trusted proxy (`--proxy-headers` and
`--forwarded-allow-ips`) is counted only against `MAX_CONNECTIONS`; the proxy bounds its
clients' connections per address itself (nginx: `limit_conn`, docs/reverse-proxy.md).

Body deadlines and the concurrency slot are in `core.middleware` (they need the path).
The limits come from the app: its lifespan state carries `EdgeLimits` under `"edge"`.
"""

from __future__ import annotations

import asyncio
import logging
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
# How often the connections' header deadlines are checked (`DeadlineSweep`).
SWEEP_SECONDS: Final = 0.5


def uvicorn_flags(options: dict[str, Any] = UVICORN) -> list[str]:
    """`options` (`UVICORN`'s keys) as flags of the `uvicorn` command (for servers run as
    processes)."""
    flags = []
    for key, value in options.items():
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


class DeadlineSweep:
    """The header deadlines of one server's connections, checked by one callback every
    `SWEEP_SECONDS` while any connection is open (in its lifespan state, which every
    connection's protocol shares: `deadline_sweep`): a connection past its deadline is told
    (`EdgeHttpProtocol.headers_deadline_passed`). A timer per request (armed as its first
    byte arrives, cancelled with its last header) cost more than the rest of the edge."""

    __slots__ = ("connections", "handle", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop, connections: set[Any]) -> None:
        self.loop = loop
        self.connections = connections  # the server's (uvicorn's `ServerState.connections`)
        self.handle: asyncio.TimerHandle | None = None

    def start(self) -> None:
        if self.handle is None:
            self.handle = self.loop.call_later(SWEEP_SECONDS, self._sweep)

    def _sweep(self) -> None:
        self.handle = None
        now = self.loop.time()
        for conn in [c for c in self.connections if isinstance(c, EdgeHttpProtocol)]:
            deadline = conn.headers_deadline
            if deadline is not None and deadline <= now:
                conn.headers_deadline_passed()
        if self.connections:
            self.start()


def deadline_sweep(app_state: dict[str, Any], protocol: EdgeHttpProtocol) -> DeadlineSweep:
    sweep = app_state.get("edge_sweep")
    if not isinstance(sweep, DeadlineSweep) or sweep.connections is not protocol.connections:
        sweep = app_state["edge_sweep"] = DeadlineSweep(protocol.loop, protocol.connections)
    return sweep


def address_book(app_state: dict[str, Any]) -> AddressBook:
    book = app_state.get("edge_addresses")
    if not isinstance(book, AddressBook):
        book = app_state["edge_addresses"] = AddressBook()
    return book


def counted_address(app: object, client: tuple[str, int] | None) -> str | None:
    """The address a connection counts under: its peer's (`client`), or None for a proxy
    trusted with forwarded headers (see the module's text) and for a peer without one."""
    if client is None or _Forwarding.trusted(app, client):
        return None
    return address_key(client[0])


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

log = logging.getLogger("arch_stats.serving")
_FORWARDING: Final = frozenset((b"x-forwarded-for", b"forwarded"))


class _Forwarding:
    """Forwarded headers this process ignores, said once (see the module's text)."""

    warned = False

    @staticmethod
    def trusted(app: object, client: tuple[str, int] | None) -> bool:
        """Whether uvicorn reads X-Forwarded-For from this peer (its proxy middleware, put
        around the app by `proxy_headers`, trusts it)."""
        return (
            isinstance(app, ProxyHeadersMiddleware)
            and client is not None
            and client[0] in app.trusted_hosts
        )

    @classmethod
    def note(cls, headers: list[tuple[bytes, bytes]], peer: str, trusted: bool) -> None:
        sent = [name for name, _ in headers if name in _FORWARDING]
        if not sent or (trusted and b"x-forwarded-for" in sent):
            return
        cls.warned = True
        if trusted:
            log.warning(
                "the proxy %s sent Forwarded without X-Forwarded-For: only X-Forwarded-For "
                "is read, so every client behind it has its address (%s) and the limits per "
                "address (registration, login) count them as one. Configure the proxy to "
                "send X-Forwarded-For. (Said once.)",
                peer,
                peer,
            )
            return
        log.warning(
            "a request from %s came with %s, which this server ignores: %s is not trusted as "
            "a proxy. If it is your reverse proxy, every client behind it has its address "
            "and the limits per address (registration, login) count them as one: run "
            "`arch-stats serve --proxy-headers --forwarded-allow-ips %s`. If it is not, a "
            "client sent the header and ignoring it is right. (Said once.)",
            peer,
            " and ".join(sorted({n.decode("latin-1").title() for n in sent})),
            peer,
            peer,
        )


class OneWrite:
    """A connection's transport as its responses write to it (`RequestResponseCycle.transport`):
    the head of a response that has a Content-Length is held, and written with the next bytes
    (its body's first, usually all of it) in one call; a head without (a chunked, streamed
    answer) and the interim `100 Continue` go out at once. A held head is also written before
    the connection is closed (`close`) and when its response is complete (`flush`: a HEAD
    request's, a 204's)."""

    __slots__ = ("held", "transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.held: bytes | None = None

    def write(self, data: bytes) -> None:
        held = self.held
        if held is not None:
            self.held = None
            self.transport.write(held + data)
        elif data.startswith(_HEAD) and _KNOWN_LENGTH in data and not data.startswith(_INTERIM):
            self.held = data
        else:
            self.transport.write(data)

    def flush(self) -> None:
        if self.held is not None:
            held, self.held = self.held, None
            self.transport.write(held)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def is_closing(self) -> bool:
        return self.transport.is_closing()


_HEAD: Final = b"HTTP/1.1 "
_INTERIM: Final = b"HTTP/1.1 1"  # 1xx: 100 Continue, written while the request is read
_KNOWN_LENGTH: Final = b"\r\ncontent-length: "  # uvicorn writes header names in lower case


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
        # The current request's header bytes when they span reads: its target and header
        # lines as the parser reported them by the end of the last read, and the reads since
        # its last report (a line longer than a read).
        self.header_bytes = 0
        self.unreported = 0
        self.reported = False  # the parser reported part of the headers during this read
        self.read_size = 0  # the bytes of the read being parsed
        self.lingering = False
        # An answer kept for when the requests before it on this connection are answered.
        self.refusal: bytes | None = None
        # When the headers being read must have arrived (event loop time), or None.
        self.headers_deadline: float | None = None
        self.linger_timer: asyncio.TimerHandle | None = None
        self.sweep = deadline_sweep(self.app_state, self)
        self.writer = OneWrite(transport)
        self.forwarding_trusted = _Forwarding.trusted(self.config.loaded_app, self.client)
        self.book = address_book(self.app_state)
        self.address = counted_address(self.config.loaded_app, self.client)
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
        self.headers_deadline = self.loop.time() + self.edge.headers_timeout
        self.sweep.start()

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
        self.headers_deadline = None
        self.linger_timer = self.loop.call_later(LINGER_SECONDS, self.transport.close)

    # The headers deadline and size.

    def headers_deadline_passed(self) -> None:
        """Called by the sweep once `headers_deadline` has passed."""
        self.headers_deadline = None
        if self.transport.is_closing():
            return
        if self.in_headers:  # part of a request came: say why it is closed
            self._refuse_request(_HEADERS_TIMEOUT)
        else:
            self.transport.close()

    def _refuse_request(self, answer: bytes) -> None:
        """Answer the request being read with `answer` and close; the client's requests
        before it on this connection (pipelined) are answered first, in order."""
        self.headers_deadline = None
        self.lingering = True
        if self.busy():
            self.refusal = answer
        else:
            self._answer_and_close(answer)

    def data_received(self, data: bytes) -> None:
        if self.lingering:
            return
        self.reported = False
        self.read_size = len(data)
        super().data_received(data)
        if self.in_headers and not self.lingering and not self.transport.is_closing():
            # Headers longer than a read (seldom): what the parser has reported of them so
            # far is counted. A read in which it reported nothing is all inside one header
            # line; in one that it did, what follows its last report is counted with the next.
            reported = self._reported_bytes()
            if self.reported or reported != self.header_bytes:
                self.header_bytes, self.unreported = reported, 0
            else:
                self.unreported += len(data)
            if self.header_bytes + self.unreported > self.edge.max_header_bytes:
                self._refuse_request(_HEADERS_TOO_LARGE)

    def _reported_bytes(self) -> int:
        """The current request's target and header lines as the parser reported them (as
        uvicorn keeps them: `url`, `headers`)."""
        lines = sum(len(name) + len(value) for name, value in self.headers)
        return len(self.url) + lines + 4 * len(self.headers)  # ": " and CRLF each

    # The parser's callbacks (during `data_received`): nothing more is taken in once the
    # connection is being closed.

    def on_message_begin(self) -> None:
        if self.lingering:
            return
        super().on_message_begin()
        self.in_headers = True
        self.header_bytes = self.unreported = 0
        self.reported = True
        if self.headers_deadline is None:  # (a new connection's runs from its opening)
            self.headers_deadline = self.loop.time() + self.edge.headers_timeout

    def on_headers_complete(self) -> None:
        if self.lingering:
            return
        self.in_headers = False
        self.headers_deadline = None
        # At most what came before this read and this read: counted only when that is over
        # the bound (the headers' callbacks are not intercepted, one call per header line).
        most = self.header_bytes + self.unreported + self.read_size
        if (
            most > self.edge.max_header_bytes
            and self._reported_bytes() > self.edge.max_header_bytes
        ):
            self._refuse_request(_HEADERS_TOO_LARGE)
            return
        if not _Forwarding.warned and not _FORWARDING.isdisjoint(dict(self.headers)):
            peer = self.client[0] if self.client else "unknown"
            _Forwarding.note(self.headers, peer, self.forwarding_trusted)
        super().on_headers_complete()
        if self.cycle is not None:  # (None: upgraded to a WebSocket)
            self.cycle.transport = self.writer  # type: ignore[assignment]

    def on_body(self, body: bytes) -> None:
        if not self.lingering:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self.lingering:
            super().on_message_complete()

    def on_response_complete(self) -> None:
        self.writer.flush()
        self.idle_since = time.monotonic()
        super().on_response_complete()
        if self.refusal is not None and not self.busy():
            self._answer_and_close(self.refusal)

    def handle_websocket_upgrade(self) -> None:
        # The WebSocket protocol takes the connection over, and its place in the book.
        self.book.discard(self.address, self)
        super().handle_websocket_upgrade()

    def connection_lost(self, exc: Exception | None) -> None:
        self.headers_deadline = None
        if self.linger_timer is not None:
            self.linger_timer.cancel()
        self.book.discard(self.address, self)
        super().connection_lost(exc)

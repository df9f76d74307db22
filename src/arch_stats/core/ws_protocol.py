"""uvicorn's WebSocket protocol (sans-I/O), as `serve` runs it (`serving.UVICORN["ws"]`, an
import string, so that worker processes load it too):

- incoming messages are bounded by uvicorn's `ws_max_size` (`serving.UVICORN`): a frame that
  announces more is refused by its header, before its payload is read, with 1009 (message
  too big);
- frames meant for many sockets are encoded once (`encode_text`) and written by
  `send_prepared`, straight to the transport: no task, ASGI message or encoding per socket.
  A socket whose unsent bytes grow `SLOW_BYTES` beyond the least it has had since its first
  such frame (a large snapshot sent before may still be on its way to a slow phone) is
  dropped at once: a close frame, 4408, then the connection is cut (waiting for a peer that
  reads nothing to drain would hold its buffer for ever). The app finds it in the
  connection's scope: `prepared_sender(scope)`;
- the connection stays counted under its client address for the per-address cap
  (`serving.AddressBook`);
- when the server stops, open sockets are told 1001 (going away): uvicorn says "1012 service
  restart", and `serve` is going away (SIGINT, SIGTERM); clients that know the codes
  reconnect either way.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping
from typing import Any, Final

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State

from arch_stats.core.serving import address_book, counted_address

GOING_AWAY = 1001
# Scope extension: `{"send": send_prepared}` of the connection.
PREPARED: Final = "arch_stats.send_prepared"
# Unsent bytes a peer may fall behind by (beyond what the kernel holds) before it is dropped.
SLOW_BYTES: Final = 256 * 1024
TOO_SLOW: Final = (4408, "too slow: frames were not read")

SendPrepared = Callable[[bytes], bool]


@functools.lru_cache(maxsize=8)
def encode_text(text: str) -> bytes:
    """`text` as one unmasked WebSocket text frame (what a server sends), for `send_prepared`.

    The same `str` is encoded once for every socket it is written to (a frame shared by many
    clients is one object: its hash is computed once, then cached with it)."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


def prepared_sender(scope: Mapping[str, Any]) -> SendPrepared | None:
    """The connection's `send_prepared`; None when the server runs another protocol."""
    extension = scope.get("extensions", {}).get(PREPARED)
    return extension.get("send") if isinstance(extension, dict) else None


class EdgeWebSocketProtocol(WebSocketsSansIOProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.least_unsent = 1 << 62  # bytes not yet sent, the least seen by `send_prepared`
        self.book = address_book(self.app_state)
        self.address = counted_address(self.app, self.client)
        self.book.add(self.address, self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.book.discard(self.address, self)
        super().connection_lost(exc)

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # none when the handshake was refused
        if scope is not None:
            scope["extensions"][PREPARED] = {"send": self.send_prepared}

    def send_prepared(self, data: bytes) -> bool:
        """Write `data` (frames made by `encode_text`) now; False when the socket is not open
        (any more), or its peer is too slow: then it is dropped (see the module's text)."""
        if not self.handshake_complete or self.close_sent or self.conn.state is not State.OPEN:
            return False
        if self.transport.is_closing():
            return False
        unsent = self.transport.get_write_buffer_size()
        self.least_unsent = min(self.least_unsent, unsent)
        if unsent > self.least_unsent + SLOW_BYTES:
            self.logger.info("WebSocket dropped: %d bytes not read (too slow)", unsent)
            self.conn.send_close(*TOO_SLOW)
            self.transport.write(b"".join(self.conn.data_to_send()))
            self.close_sent = True
            self.transport.abort()
            return False
        self.transport.write(data)
        return True

    def shutdown(self) -> None:
        if self.close_sent or not self.handshake_complete:
            super().shutdown()
            return
        self.stop_keepalive()
        self.queue.put_nowait({"type": "websocket.disconnect", "code": GOING_AWAY})
        self.conn.send_close(GOING_AWAY, "server going away")
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.transport.close()

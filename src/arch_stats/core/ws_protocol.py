"""uvicorn's WebSocket protocol (sans-I/O), closing with 1001 when the server stops.

uvicorn tells open WebSockets "1012 service restart" when it shuts down; `serve` is going
away (SIGINT, SIGTERM), which is 1001, and clients that know the codes reconnect either way.
`serve` names this class as uvicorn's `ws` protocol (an import string, so that worker
processes load it too).
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

GOING_AWAY = 1001


class GoingAwayWebSocketProtocol(WebSocketsSansIOProtocol):
    def shutdown(self) -> None:
        if self.close_sent or not self.handshake_complete:
            super().shutdown()
            return
        self.stop_keepalive()
        self.queue.put_nowait({"type": "websocket.disconnect", "code": GOING_AWAY})
        self.conn.send_close(GOING_AWAY, "server going away")
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.transport.close()

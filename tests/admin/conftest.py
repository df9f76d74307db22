"""The live tests' real HTTP/WebSocket server, for the WebSocket cases here."""

from tests.live.conftest import server_url

__all__ = ["server_url"]

"""The live tests' real server (tests/live/conftest.py) for the clubs tests too."""

from tests.live.conftest import server_url

__all__ = ["server_url"]

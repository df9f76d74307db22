from tests.live.conftest import server_url

__all__ = ["server_url"]

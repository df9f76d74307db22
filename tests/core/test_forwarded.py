"""`serve` says once when it ignores forwarded headers: behind a reverse proxy it does not
trust, every client would count as the proxy's address in the limits per address."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from tests.serve_process import Served, serve

WARNING = "which this server ignores"


def warnings(served: Served) -> list[str]:
    return [line for line in served.log_text().splitlines() if WARNING in line]


async def get(served: Served, headers: dict[str, str], *, source: str = "127.0.0.1") -> None:
    transport = httpx.AsyncHTTPTransport(local_address=source)
    async with httpx.AsyncClient(base_url=served.url, transport=transport) as http:
        assert (await http.get("/api/health", headers=headers)).status_code == 200


async def settle() -> None:
    await asyncio.sleep(0.3)  # the log line is written by the server process


async def test_forwarded_headers_without_proxy_headers_are_warned_about_once(
    migrated: str, tmp_path: Path
) -> None:
    async with serve(migrated, tmp_path / "serve.log") as served:
        await get(served, {})
        await settle()
        assert warnings(served) == []
        await get(served, {"X-Forwarded-For": "198.51.100.7"})
        await get(served, {"Forwarded": "for=198.51.100.8"})
        await get(served, {"X-Forwarded-For": "198.51.100.9"})
        await settle()
        lines = warnings(served)
    assert len(lines) == 1, lines
    assert '"level":"WARNING"' in lines[0]
    assert "X-Forwarded-For" in lines[0]
    assert "--proxy-headers --forwarded-allow-ips 127.0.0.1" in lines[0]


async def test_a_trusted_proxy_is_not_warned_about_and_an_untrusted_one_is(
    migrated: str, tmp_path: Path
) -> None:
    args = ("--proxy-headers", "--forwarded-allow-ips", "127.0.0.2")
    async with serve(migrated, tmp_path / "serve.log", args=args) as served:
        for _ in range(2):
            await get(served, {"X-Forwarded-For": "198.51.100.7"}, source="127.0.0.2")
        await settle()
        assert warnings(served) == []
        await get(served, {"X-Forwarded-For": "198.51.100.7"}, source="127.0.0.1")
        await settle()
        lines = warnings(served)
    assert len(lines) == 1, lines
    assert "a request from 127.0.0.1 came with X-Forwarded-For" in lines[0]


async def test_a_trusted_proxy_sending_only_forwarded_is_warned_about(
    migrated: str, tmp_path: Path
) -> None:
    """uvicorn reads X-Forwarded-For only: RFC 7239's Forwarded alone leaves every client
    with the proxy's address."""
    async with serve(migrated, tmp_path / "serve.log", args=("--proxy-headers",)) as served:
        await get(served, {"X-Forwarded-For": "198.51.100.7"})
        await get(served, {"Forwarded": "for=198.51.100.7"})
        await get(served, {"Forwarded": "for=198.51.100.8"})
        await settle()
        lines = [line for line in served.log_text().splitlines() if "Forwarded without" in line]
    assert len(lines) == 1, lines
    assert "the proxy 127.0.0.1 sent Forwarded without X-Forwarded-For" in lines[0]

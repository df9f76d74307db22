"""Several server processes share one PostgreSQL: every process hears every change."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from arch_stats.core.database import Connection
from tests.conftest import ArcherCtx
from tests.live.conftest import frames_until, ws_connect
from tests.shots.test_shots import C, make_range, shot

READY_TIMEOUT_S = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def start_server(dsn: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": dsn, "ASSEMBLER_ENABLED": "false", "LOG_LEVEL": "WARNING"}
    # stderr goes to the test output: a failing test shows the server log
    proc = subprocess.Popen(
        [sys.executable, "-m", "arch_stats", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    url = f"127.0.0.1:{port}"
    # Polled until a deadline, not a number of times: beside other test runs, a start (and
    # each poll) has taken longer than 300 polls of 0.05 s.
    deadline = time.monotonic() + READY_TIMEOUT_S
    async with httpx.AsyncClient() as c:
        while time.monotonic() < deadline:
            try:
                if (await c.get(f"http://{url}/api/ready")).status_code == 200:
                    return proc, url
            except httpx.TransportError:
                pass
            if proc.poll() is not None:
                break
            await asyncio.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not become ready")


@pytest.fixture
async def two_servers(migrated: str) -> AsyncIterator[list[str]]:
    procs: list[subprocess.Popen[bytes]] = []
    urls = []
    try:
        for _ in range(2):
            proc, url = await start_server(migrated)
            procs.append(proc)
            urls.append(url)
        yield urls
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


async def test_client_on_one_process_receives_shots_posted_to_another(
    two_servers: list[str], archer: ArcherCtx, db: Connection
) -> None:
    a, b = two_servers
    r = await make_range(db, archer)
    async with await ws_connect(a, f"/api/v0/ws?session_id={r.session_id}", archer.token) as ws:
        await asyncio.sleep(0.1)
        async with httpx.AsyncClient(base_url=f"http://{b}") as http:
            resp = await http.post(
                "/api/v0/shot", json=[shot(r, C, C), shot(r, C + 100, C)], headers=archer.headers
            )
            assert resp.status_code == 201
        got = await frames_until(ws, 2)
        assert [f["data"]["seq"] for f in got] == [1, 2]
        assert got[0]["data"]["score"] == 10

"""Revocations and limits across two real server processes sharing one PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator

import httpx
import pytest

from arch_stats.core.database import Connection
from tests.auth.test_tokens import PHONE
from tests.conftest import PASSWORD, ArcherCtx
from tests.live.conftest import frames_until, ws_connect
from tests.live.test_multiprocess import free_port
from tests.live.test_revocation import closed_with
from tests.shots.test_shots import C, make_range, shot

LIMIT = 10


async def start_server(dsn: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "ASSEMBLER_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
        "LOGIN_MAX_ATTEMPTS": str(LIMIT),
        "LOGIN_ADDRESS_MAX_ATTEMPTS": "1000",
        "LOGIN_WINDOW_SECONDS": "3600",  # nothing given back during the test, however slow
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "arch_stats", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    url = f"127.0.0.1:{port}"
    async with httpx.AsyncClient() as c:
        for _ in range(600):
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


@pytest.fixture(scope="module")
async def servers(migrated: str) -> AsyncIterator[list[str]]:
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
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


async def login_at(url: str, who: ArcherCtx, password: str = PASSWORD) -> str:
    async with httpx.AsyncClient(base_url=f"http://{url}", timeout=60) as http:
        r = await http.post(
            "/api/v0/auth/login",
            json={"email": who.email, "password": password},
            headers={"User-Agent": PHONE},
        )
        assert r.status_code == 200, r.text
        token: str = r.json()["data"]["token"]
        return token


async def me_status(url: str, token: str) -> int:
    async with httpx.AsyncClient(base_url=f"http://{url}") as http:
        r = await http.get("/api/v0/auth/me", headers={"Authorization": f"Bearer {token}"})
        return r.status_code


@pytest.mark.parametrize("how", ["logout", "password"])
async def test_revoked_on_one_process_closes_sockets_and_refuses_requests_on_the_other(
    servers: list[str], archer: ArcherCtx, db: Connection, how: str
) -> None:
    a, b = servers
    r = await make_range(db, archer)
    phone = await login_at(a, archer)
    assert await me_status(a, phone) == 200  # in process A's token cache
    async with await ws_connect(a, f"/api/v0/ws?session_id={r.session_id}", phone) as ws:
        async with httpx.AsyncClient(base_url=f"http://{b}", timeout=60) as http:
            resp = await http.post("/api/v0/shot", json=shot(r, C, C), headers=archer.headers)
            assert resp.status_code == 201
            await frames_until(ws, 1)
            if how == "logout":
                resp = await http.post(
                    "/api/v0/auth/logout", headers={"Authorization": f"Bearer {phone}"}
                )
            else:
                resp = await http.patch(
                    "/api/v0/auth/me",
                    headers=archer.headers,
                    json={"current_password": PASSWORD, "new_password": "a-brand-new-one"},
                )
            assert resp.status_code == 200, resp.text
        assert await closed_with(ws) == (4401, "token revoked")
    assert await me_status(a, phone) == 401
    assert await me_status(a, archer.token) == 200


async def test_parallel_wrong_passwords_across_processes_never_overshoot(
    servers: list[str], archer: ArcherCtx
) -> None:
    async def guess(url: str) -> int:
        async with httpx.AsyncClient(base_url=f"http://{url}", timeout=120) as http:
            r = await http.post(
                "/api/v0/auth/login", json={"email": archer.email, "password": "wrong-guess"}
            )
            return r.status_code

    codes = await asyncio.gather(*(guess(servers[i % 2]) for i in range(100)))
    assert codes.count(401) <= LIMIT
    assert codes.count(401) + codes.count(429) == 100

"""A disabled account is refused at once by two real server processes: REST 401 and every
WebSocket closed 4401, whichever process the administrator used."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import AsyncIterator

import httpx
import pytest

from arch_stats.core.database import Connection
from tests.admin.helpers import make_admin
from tests.auth.test_multiprocess import login_at, me_status, start_server
from tests.conftest import ArcherCtx, MakeArcher
from tests.live.conftest import frames_until, ws_connect
from tests.live.test_revocation import closed_with
from tests.shots.test_shots import C, make_range, shot


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


async def test_disabled_on_one_process_closes_every_socket_and_refuses_on_both(
    servers: list[str], make_archer: MakeArcher, db: Connection
) -> None:
    a, b = servers
    admin = await make_admin(db, await make_archer("Admin"))
    archer: ArcherCtx = await make_archer("Alice")
    r = await make_range(db, archer)
    phone = await login_at(a, archer)
    path = f"/api/v0/ws?session_id={r.session_id}"
    for url in servers:  # both processes have both tokens cached
        assert await me_status(url, phone) == 200
        assert await me_status(url, archer.token) == 200
    async with (
        await ws_connect(a, path, phone) as ws_a,
        await ws_connect(b, path, archer.token) as ws_b,
        await ws_connect(a, path, archer.token) as ws_a2,
    ):
        async with httpx.AsyncClient(base_url=f"http://{b}", timeout=60) as http:
            resp = await http.post("/api/v0/shot", json=shot(r, C, C), headers=archer.headers)
            assert resp.status_code == 201
            for ws in (ws_a, ws_b, ws_a2):
                await frames_until(ws, 1)
            resp = await http.post(
                f"/api/v0/admin/archer/{archer.id}/disable", headers=admin.headers
            )
            assert resp.status_code == 200, resp.text
            assert resp.json()["data"]["revoked_tokens"] == 2
        for ws in (ws_a, ws_b, ws_a2):
            assert await closed_with(ws) == (4401, "token revoked")
    for url in servers:
        assert await me_status(url, phone) == 401
        assert await me_status(url, archer.token) == 401
        assert await me_status(url, admin.token) == 200
        async with httpx.AsyncClient(base_url=f"http://{url}", timeout=60) as http:
            resp = await http.post("/api/v0/shot", json=shot(r, C, C), headers=archer.headers)
            assert resp.status_code == 401
    # A new WebSocket is refused too.
    async with await ws_connect(a, path, phone) as ws:
        assert (await closed_with(ws))[0] == 4401

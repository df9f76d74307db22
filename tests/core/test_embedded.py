"""`serve` looks after its embedded PostgreSQL: real processes, real signals, real sockets."""

from __future__ import annotations

import asyncio
import os
import pwd
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from arch_stats.core.embedded import ensure_system_user
from tests.core.processes import (
    Serve,
    handles,
    postmaster_pid,
    run_cli,
    running,
    stop_leftovers,
    wait_for,
)

STOPPING = "stopping the embedded PostgreSQL"


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "var"
    yield path
    stop_leftovers(path)


async def _login(base: str) -> str:
    async with httpx.AsyncClient(base_url=base) as http:
        r = await http.post(
            "/api/v0/auth/login", json={"email": "demo@example.com", "password": "demo-archer"}
        )
        assert r.status_code == 200, r.text
        token: str = r.json()["data"]["token"]
        return token


async def _read_until_closed(ws: ClientConnection) -> None:
    while True:  # heartbeats, maybe, then the close frame
        await asyncio.wait_for(ws.recv(), timeout=60)


async def test_sigterm_stops_serve_like_ctrl_c_ws_told_1001_postgres_stopped(
    data_dir: Path, tmp_path: Path
) -> None:
    serve = Serve(data_dir, tmp_path, ("--demo",)).start()
    try:
        await serve.wait_ready()
        pg = postmaster_pid(data_dir)
        assert running(pg)
        token = await _login(serve.base)
        async with httpx.AsyncClient(base_url=serve.base) as http:
            r = await http.get("/api/v0/session", headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200, r.text
            session_id = r.json()["data"][0]["id"]
        ws = await connect(
            f"ws://127.0.0.1:{serve.port}/api/v0/ws?session_id={session_id}",
            additional_headers={"Authorization": f"Bearer {token}"},
        )
        assert serve.proc is not None
        serve.proc.send_signal(signal.SIGTERM)
        with pytest.raises(ConnectionClosed):
            await _read_until_closed(ws)
        assert ws.close_code == 1001
        code = serve.proc.wait(timeout=60)
    finally:
        serve.kill()
    out = serve.output
    assert code == 0, out
    assert STOPPING in out, out
    assert not running(pg)
    assert not (data_dir / "pgdata" / "postmaster.pid").exists()


async def test_after_kill_9_a_new_serve_adopts_postgres_and_its_ctrl_c_stops_it(
    data_dir: Path, tmp_path: Path
) -> None:
    first = Serve(data_dir, tmp_path).start()
    try:
        await first.wait_ready()
        assert first.proc is not None
        dead_pid = first.proc.pid
        first.proc.kill()  # SIGKILL: no clean-up at all
        first.proc.wait(timeout=30)
    finally:
        first.kill()
    pg = postmaster_pid(data_dir)
    assert running(pg), "PostgreSQL outlives a serve killed with SIGKILL"
    assert dead_pid in handles(data_dir)

    second = Serve(data_dir, tmp_path).start()
    try:
        await second.wait_ready()
        assert postmaster_pid(data_dir) == pg  # adopted, not started again
        assert dead_pid not in handles(data_dir)
        assert "using the embedded PostgreSQL" in second.output

        # A command run beside serve uses the same server and leaves it running, silently.
        status = run_cli("migrate", "status", data_dir=data_dir, cwd=tmp_path)
        assert status.returncode == 0, status.stderr
        assert "applied  202611270410__shot_insert_joint_counted.sql" in status.stdout
        assert "applied  definitions/shot_insert.sql" in status.stdout
        assert STOPPING not in status.stderr
        assert running(pg)
        async with httpx.AsyncClient(base_url=second.base) as http:
            assert (await http.get("/api/ready")).status_code == 200

        code = second.signal(signal.SIGINT)
    finally:
        second.kill()
    assert code == 0, second.output
    assert STOPPING in second.output
    assert not running(pg)
    assert handles(data_dir) == []


async def test_a_command_alone_starts_and_stops_postgres_and_says_so(
    data_dir: Path, tmp_path: Path
) -> None:
    status = run_cli("migrate", "status", data_dir=data_dir, cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert "starting the embedded PostgreSQL" in status.stderr
    assert STOPPING in status.stderr
    assert postmaster_pid(data_dir) is None or not running(postmaster_pid(data_dir))


async def test_postgres_killed_under_serve_is_started_again_and_the_api_recovers(
    data_dir: Path, tmp_path: Path
) -> None:
    serve = Serve(data_dir, tmp_path, ("--demo",)).start()
    try:
        await serve.wait_ready()
        token = await _login(serve.base)
        auth = {"Authorization": f"Bearer {token}"}
        pg = postmaster_pid(data_dir)
        assert pg is not None and running(pg)
        os.kill(pg, signal.SIGKILL)
        await wait_for(lambda: not running(pg), 30, "the postmaster died")

        def restarted() -> bool:
            new = postmaster_pid(data_dir)
            return new is not None and new != pg and running(new)

        await wait_for(restarted, 120, "serve started PostgreSQL again")
        async with httpx.AsyncClient(base_url=serve.base, timeout=10) as http:

            async def recovered() -> bool:
                try:
                    ready = await http.get("/api/ready")
                    sessions = await http.get("/api/v0/session", headers=auth)
                except httpx.TransportError:
                    return False
                return ready.status_code == 200 and sessions.status_code == 200

            for _ in range(300):  # the pool reconnects on its next use
                if await recovered():
                    break
                await asyncio.sleep(0.2)
            else:
                raise AssertionError(f"the API did not recover:\n{serve.output}")
            r = await http.get("/api/v0/session", headers=auth)
            assert len(r.json()["data"]) >= 5
        await wait_for(lambda: "running again" in serve.output, 60, "the restart logged")
        new_pg = postmaster_pid(data_dir)
        code = serve.signal(signal.SIGINT)
    finally:
        serve.kill()
    assert code == 0, serve.output
    assert not running(new_pg)


RACE = """
import os, sys
from arch_stats.core.embedded import _pgserver, ensure_system_user
_pgserver()  # imported: the processes then race from the same line
print("ready", flush=True)
while not os.path.exists(sys.argv[2]):
    pass
print(ensure_system_user(sys.argv[1]))
"""


def test_processes_starting_at_once_as_root_agree_on_the_postgres_users_uid(
    tmp_path: Path,
) -> None:
    """Six processes making the (missing) OS user at the same moment, as the suite's workers
    do on a fresh machine: each gets the uid the user ends up with."""
    name = f"as-race-{secrets.token_hex(3)}"
    if os.geteuid() != 0:  # not root: the wheel runs PostgreSQL as the caller, nobody is made
        assert ensure_system_user(name) is None
        return
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-W", "ignore", "-c", RACE, name, str(go)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        go.touch()
        uids = {proc.communicate(timeout=60)[0].strip() for proc in procs}
        assert uids == {str(pwd.getpwnam(name).pw_uid)}
    finally:
        for proc in procs:
            proc.kill()
        subprocess.run(["userdel", name], capture_output=True, check=False)

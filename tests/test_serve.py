"""README command one, end to end: `arch-stats serve --demo` on an embedded PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.live.test_multiprocess import free_port


async def test_serve_demo_embedded_ready_login_and_clean_stop(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update({"DATA_DIR": str(tmp_path / "var"), "ASSEMBLER_ENABLED": "false"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "arch_stats", "serve", "--demo", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as http:
            ready = None
            for _ in range(600):  # well within a minute
                try:
                    ready = await http.get("/api/ready")
                    if ready.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None, "serve exited early"
                await asyncio.sleep(0.1)
            assert ready is not None
            assert ready.status_code == 200
            login = await http.post(
                "/api/v0/auth/login",
                json={"email": "demo@example.com", "password": "demo-archer"},
            )
            assert login.status_code == 200
            token = login.json()["data"]["token"]
            sessions = await http.get(
                "/api/v0/session", headers={"Authorization": f"Bearer {token}"}
            )
            assert sessions.status_code == 200
            assert len(sessions.json()["data"]) >= 5
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out.decode()
    text = out.decode()
    assert "demo data added" in text
    assert "stopping the embedded PostgreSQL" in text
    assert (tmp_path / "var" / "pgdata" / "PG_VERSION").exists()  # kept across restarts
    assert not (tmp_path / "var" / "pgdata" / "postmaster.pid").exists()  # stopped cleanly

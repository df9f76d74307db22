"""Readers without a database: they post over HTTP with a device token, each on the plan's clock."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from arch_stats.assembler.service import Config, assemble_once
from arch_stats.core.database import Connection
from arch_stats.sensors.simulation import ArcherModel, arrow_index, plan
from tests.assembler.helpers import Range, make_range
from tests.conftest import ArcherCtx
from tests.sensors.test_events_api import device_token


@pytest.fixture
async def server(app: FastAPI) -> AsyncIterator[str]:
    """The test app served on a real port (its lifespan is the `app` fixture's)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="off", log_config=None, access_log=False
    )
    srv = uvicorn.Server(config)
    task = asyncio.create_task(srv.serve())
    while not srv.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        await task


@pytest.mark.parametrize("late", [(), ("bow",)], ids=["on-time", "bow-late"])
async def test_readers_posting_over_http_make_the_planned_shots(
    client: httpx.AsyncClient,
    db: Connection,
    archer: ArcherCtx,
    server: str,
    tmp_path: Path,
    late: tuple[str, ...],
) -> None:
    # Each reader follows the plan on its own clock. A loaded machine runs one late by a few
    # ms or more (here, with `late`, by the whole round: it starts when the others are done);
    # its events are posted late but stamped on the plan, so the shots are the same.
    n, seed, miss_rate = 5, 4, 0.3
    r: Range = await make_range(db, archer.id, window_ms=300, per_end=3)
    token = (await device_token(client, archer))["Authorization"].removeprefix("Bearer ")
    start = datetime.now(UTC) + timedelta(seconds=6)  # time enough for the three to start
    common = [
        "--session", str(r.session_id), "--api", server, "--start", start.isoformat(),
        "--shots", str(n), "--speed", "40", "--seed", str(seed), "--miss-rate", str(miss_rate),
        "--spread", "40", "--target", str(r.target_id), "--arrows-per-end", "3",
        *(a for arrow_id in r.arrows.values() for a in ("--arrow", str(arrow_id))),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["ARCH_STATS_DEVICE_TOKEN"] = token
    procs: dict[str, subprocess.Popen[bytes]] = {}

    def start_reader(role: str) -> None:
        with open(tmp_path / f"{role}.err", "wb") as err:
            procs[role] = subprocess.Popen(
                [sys.executable, "-m", "arch_stats.sensors", role, *common],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )

    async def wait_done() -> None:
        deadline = time.monotonic() + 180  # generous: a loaded machine starts Python slowly
        while any(p.poll() is None for p in procs.values()):
            assert time.monotonic() < deadline, "readers still running"
            await asyncio.sleep(0.05)  # the server runs in this loop: never block it
        for role, p in procs.items():
            assert p.returncode == 0, (tmp_path / f"{role}.err").read_text()

    try:
        for role in ("arrow", "bow", "target"):
            if role not in late:
                start_reader(role)
        await wait_done()
        for role in late:
            start_reader(role)
        await wait_done()
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
    for role in late:
        assert "started after --start" in (tmp_path / f"{role}.err").read_text()

    await asyncio.sleep(0.6)  # the last landing window closes
    while (await assemble_once(db, Config())).events:
        pass
    shots = await db.fetch(
        "SELECT arrow_id, x_mm FROM shot WHERE session_id = $1 ORDER BY seq", r.session_id
    )
    model = ArcherModel(seed=seed, miss_rate=miss_rate)
    arrows = list(r.arrows.values())
    assert [s["x_mm"] is None for s in shots] == [plan(model, k).missed for k in range(n)]
    assert [s["arrow_id"] for s in shots] == [
        arrows[arrow_index(model, k, 3, len(arrows))] for k in range(n)
    ]
    strays = await db.fetchval("SELECT count(*) FROM sensor_event WHERE outcome LIKE 'stray%'")
    assert strays == 0


async def test_http_reader_with_bad_token_exits_2(
    server: str, tmp_path: Path, archer: ArcherCtx
) -> None:
    args = [
        sys.executable, "-m", "arch_stats.sensors", "bow", "--session", str(archer.id),
        "--api", server, "--token", "ass_not-a-token", "--shots", "1", "--speed", "1000",
    ]  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    try:
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    assert proc.returncode == 2
    assert b"refused the event (401)" in err

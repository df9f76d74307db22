"""`stats.updated` after a burst of shots: one computation of a session at a time, one more
after it for whatever came meanwhile (the latest change wins), and the last frame is the
session's statistics as `GET /session/{id}/stats` gives them."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from fastapi import FastAPI

from arch_stats.core.database import Connection
from arch_stats.live import stats_push
from arch_stats.live.hub import LiveHub
from arch_stats.stats.service import stats_json
from tests.conftest import ArcherCtx
from tests.live.conftest import frames_until, next_frame, ws_connect
from tests.shots.test_shots import C, Range, make_range, shot

BURST = 10


@pytest.fixture
async def rng(db: Connection, archer: ArcherCtx) -> Range:
    return await make_range(db, archer)


async def test_a_burst_is_computed_once_in_flight_and_once_after_and_ends_current(
    client: httpx.AsyncClient,
    rng: Range,
    server_url: str,
    app: FastAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hub: LiveHub = app.state.hub
    computed: list[int] = []  # the shots each computation counted
    first_done = asyncio.Event()

    async def held_first(row: asyncpg.Record, **kw: Any) -> bytes:
        computed.append(row["n"])
        if len(computed) == 1:
            await first_done.wait()
        return await stats_json(row, **kw)

    monkeypatch.setattr(stats_push, "stats_json", held_first)
    path = f"/api/v0/ws?session_id={rng.session_id}"
    async with await ws_connect(server_url, path, rng.archer.token) as ws:
        async with asyncio.timeout(60):
            while not hub.subscribers.get(rng.session_id):
                await asyncio.sleep(0.01)
        request_ids = []
        for i in range(BURST):
            r = await client.post(
                "/api/v0/shot", json=shot(rng, C + i, C), headers=rng.archer.headers
            )
            assert r.status_code == 201, r.text
            request_ids.append(r.headers["x-request-id"])
        # Every shot heard here (frames in order), while the first computation is under way.
        assert [f["data"]["seq"] for f in await frames_until(ws, BURST)] == list(
            range(1, BURST + 1)
        )
        assert len(computed) == 1  # the first change's (its snapshot may hold a few more)
        first_done.set()
        frames: list[dict[str, Any]] = []
        while not frames or frames[-1]["data"]["arrows"] < BURST:
            frames.append(await next_frame(ws, skip=("heartbeat",)))
            assert frames[-1]["type"] == "stats.updated"
        # The shots heard meanwhile: one more computation, of them all.
        assert computed == [computed[0], BURST]
        assert [f["data"]["arrows"] for f in frames] == computed
        assert frames[-1]["request_id"] == request_ids[-1]  # the latest change's
        r = await client.get(f"/api/v0/session/{rng.session_id}/stats", headers=rng.archer.headers)
        assert r.status_code == 200
        assert frames[-1]["data"] == orjson.loads(r.content)["data"]

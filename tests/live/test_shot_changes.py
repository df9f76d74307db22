"""Corrections reach WebSocket subscribers: a move, a miss, another arrow, a delete (issue 10)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from arch_stats.core.database import Connection
from tests.conftest import ArcherCtx
from tests.live.conftest import frames_until, ws_connect
from tests.shots.test_same_spot import EIGHT, NINE, hit, triple_range
from tests.shots.test_shots import C, Range, make_range, shot

API = "/api/v0"
CHANGES = ("shot.created", "shot.updated", "shot.deleted")


@pytest.fixture
async def rng(db: Connection, archer: ArcherCtx) -> Range:
    return await make_range(db, archer)


def path(r: Range) -> str:
    return f"{API}/ws?session_id={r.session_id}"


async def call(
    client: httpx.AsyncClient, archer: ArcherCtx, method: str, url: str, body: Any = None
) -> Any:
    resp = await client.request(method, f"{API}{url}", json=body, headers=archer.headers)
    assert resp.status_code in (200, 201), resp.text
    return resp.json()["data"]


async def test_every_correction_of_any_end_is_pushed_as_the_api_answers_it(
    client: httpx.AsyncClient, rng: Range, server_url: str
) -> None:
    end1 = await call(client, rng.archer, "POST", "/shot", [shot(rng, C + i, C) for i in range(6)])
    end2 = await call(client, rng.archer, "POST", "/shot", [shot(rng), shot(rng)])
    async with await ws_connect(server_url, path(rng), rng.archer.token) as ws:
        await asyncio.sleep(0.05)
        third = f"/shot/{end1[2]['id']}"  # arrow 3 of end 1, after end 2 has begun
        answers = [
            await call(client, rng.archer, "PATCH", third, {"end_no": 2}),
            await call(client, rng.archer, "PATCH", third, {"x_mm": None, "y_mm": None}),
            await call(client, rng.archer, "PATCH", third, {"arrow_id": str(rng.arrow_id)}),
            await call(client, rng.archer, "PATCH", third, {"arrow_id": None, "end_no": 1}),
            await call(client, rng.archer, "DELETE", f"/shot/{end2[1]['id']}"),
            await call(client, rng.archer, "POST", "/shot", shot(rng)),
        ]
        frames = await frames_until(ws, len(answers), kinds=CHANGES)
    kinds = [f["type"] for f in frames]
    assert kinds == ["shot.updated"] * 4 + ["shot.deleted", "shot.created"]
    assert [f["data"] for f in frames] == answers
    moved, miss, given, back, gone, refill = answers
    assert (moved["end_no"], moved["end_place"]) == (2, 3)
    assert (miss["is_miss"], miss["label"], miss["end_no"]) == (True, "M", 2)
    assert given["arrow_id"] == str(rng.arrow_id)
    assert (back["end_no"], back["end_place"], back["arrow_id"]) == (1, 3, None)
    assert (gone["end_no"], gone["end_place"]) == (2, 2)
    assert (refill["end_no"], refill["end_place"]) == (2, 2)  # the freed place, refilled


async def test_an_arrow_rescored_by_a_neighbour_is_pushed_as_shot_updated(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx, server_url: str
) -> None:
    t = await triple_range(db, archer)
    nine = await call(client, archer, "POST", "/shot", hit(t, NINE))
    watch = f"{API}/ws?session_id={t['session_id']}"
    async with await ws_connect(server_url, watch, archer.token) as ws:
        await asyncio.sleep(0.05)
        eight = await call(client, archer, "POST", "/shot", hit(t, EIGHT))
        frames = await frames_until(ws, 2, kinds=CHANGES)
        assert [(f["type"], f["data"]["id"]) for f in frames] == [
            ("shot.created", eight["id"]),
            ("shot.updated", nine["id"]),
        ]
        assert (frames[1]["data"]["label"], frames[1]["data"]["hit_label"]) == ("M", "9")
        await call(client, archer, "DELETE", f"/shot/{eight['id']}")
        frames = await frames_until(ws, 2, kinds=CHANGES)
        assert [(f["type"], f["data"]["id"]) for f in frames] == [
            ("shot.deleted", eight["id"]),
            ("shot.updated", nine["id"]),
        ]
        assert frames[1]["data"]["label"] == "9"

"""Posts score against cached target data, never against a target that has changed."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import httpx

from arch_stats.core.database import Connection
from arch_stats.faces.scoring import PlacedFace
from arch_stats.shots.repository import TargetInfo
from arch_stats.shots.service import TARGETS
from arch_stats.shots.target_cache import TargetCache
from tests.conftest import ArcherCtx
from tests.shots.test_shots import C, Range, make_range

API = "/api/v0"


def shot(r: Range, x: float, y: float = C) -> dict[str, Any]:
    return {"session_id": str(r.session_id), "target_id": str(r.target_id), "x_mm": x, "y_mm": y}


async def post(client: httpx.AsyncClient, r: Range, x: float, y: float = C) -> httpx.Response:
    return await client.post(f"{API}/shot", json=shot(r, x, y), headers=r.archer.headers)


async def test_a_moved_face_is_scored_where_it_is_now(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    r = await make_range(db, archer)
    # Outside the view: refused, but the target has been read (and cached) on the way.
    assert (await post(client, r, 5000)).status_code == 422
    assert TARGETS.get_all([r.target_id], archer.id) is not None
    # The face moves 300 mm to the right (allowed: the target has no shots yet).
    patch = {"faces": [{"face_type": "wa_122", "center_x_mm": C + 300, "center_y_mm": C}]}
    resp = await client.patch(f"{API}/target/{r.target_id}", json=patch, headers=archer.headers)
    assert resp.status_code == 200, resp.text
    # Shot at the old centre: 300 mm off the new one → a 6 on a 122 cm face (ring 6 ends at
    # 305 mm), not the 10 the stale face would give.
    resp = await post(client, r, C)
    assert resp.status_code == 201, resp.text
    data = resp.json()["data"]
    assert (data["dx_mm"], data["score"]) == (-300, 6)


async def test_a_face_written_straight_into_the_database_is_seen(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    r = await make_range(db, archer)
    assert (await post(client, r, 5000)).status_code == 422  # cached
    await db.execute(
        "UPDATE target_face SET center_y_mm = $2 WHERE target_id = $1", r.target_id, C - 100
    )
    resp = await post(client, r, C)
    assert resp.status_code == 201, resp.text
    assert resp.json()["data"]["dy_mm"] == 100
    # And the view narrowed by hand: a shot beyond its new width is refused.
    await db.execute("UPDATE target SET view_width_mm = 600 WHERE id = $1", r.target_id)
    resp = await post(client, r, C)
    assert resp.status_code == 422
    assert "outside the target view" in resp.json()["errors"][0]


async def test_a_closed_session_is_refused_with_the_precise_message(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    r = await make_range(db, archer)
    assert (await post(client, r, C)).status_code == 201  # cached, session open
    resp = await client.post(f"{API}/session/{r.session_id}/close", headers=archer.headers)
    assert resp.status_code == 200, resp.text
    resp = await post(client, r, C)
    assert resp.status_code == 400
    assert resp.json()["errors"] == [f"shot: session {r.session_id} is closed"]
    resp = await client.post(f"{API}/session/{r.session_id}/reopen", headers=archer.headers)
    assert resp.status_code == 200, resp.text
    assert (await post(client, r, C)).status_code == 201
    count = await db.fetchval("SELECT count(*) FROM shot WHERE session_id = $1", r.session_id)
    assert count == 2


async def test_a_deleted_target_is_404(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    r = await make_range(db, archer)
    assert (await post(client, r, 5000)).status_code == 422  # cached
    resp = await client.delete(f"{API}/target/{r.target_id}", headers=archer.headers)
    assert resp.status_code == 200, resp.text
    resp = await post(client, r, C)
    assert resp.status_code == 404
    assert TARGETS.get_all([r.target_id], archer.id) is None


def info(session_open: bool = True) -> TargetInfo:
    return TargetInfo(
        uuid4(), uuid4(), session_open, 100, 100, False, (PlacedFace("wa_80", 50, 50),), "7"
    )


def test_cache_keeps_open_targets_per_archer_and_stays_bounded() -> None:
    cache = TargetCache(max_entries=3)
    me, them = uuid4(), uuid4()
    a, b, closed = info(), info(), info(session_open=False)
    cache.put_all([a, b, closed], me)
    assert cache.get_all([a.id, b.id], me) == {a.id: a, b.id: b}
    assert cache.get_all([a.id], them) is None  # another archer's: not from the cache
    assert cache.get_all([closed.id], me) is None  # closed sessions take no shots
    assert cache.get_all([a.id, UUID(int=1)], me) is None
    cache.forget([a.id])
    assert cache.get_all([a.id], me) is None and len(cache) == 1
    cache.put_all([info(), info(), info()], me)
    assert len(cache) <= 3

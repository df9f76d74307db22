"""A shot's end and place are fixed when it is recorded (issue 10): deletes free places, the
next shot fills the first free place of the current end, no shot ever changes end because
another was deleted, and concurrent writers stay exact."""

from __future__ import annotations

import asyncio
import random
from typing import Any
from uuid import UUID

import httpx
from fastapi import FastAPI

from arch_stats.core.database import Connection
from arch_stats.shots import repository as repo
from arch_stats.shots import service
from arch_stats.shots.repository import ShotRow
from tests.conftest import ArcherCtx
from tests.shots.test_shots import C, Range, make_range, post, shot

API = "/api/v0"


def place(s: dict[str, Any]) -> tuple[int, int]:
    return s["end_no"], s["end_place"]


async def stored(db: Connection, r: Range) -> dict[str, tuple[int, int]]:
    rows = await db.fetch(
        "SELECT id, end_no, end_place FROM shot WHERE session_id = $1", r.session_id
    )
    return {str(row["id"]): (row["end_no"], row["end_place"]) for row in rows}


async def delete(client: httpx.AsyncClient, r: Range, shot_id: str) -> dict[str, Any]:
    resp = await client.delete(f"{API}/shot/{shot_id}", headers=r.archer.headers)
    assert resp.status_code == 200, resp.text
    data: dict[str, Any] = resp.json()["data"]
    return data


async def test_correcting_the_fourth_arrow_keeps_the_end_of_six(
    client: httpx.AsyncClient, rng: Range, db: Connection
) -> None:
    """The issue's case: 3 arrows, a wrong 4th undone, then 8, 7, 6: one end of 6."""
    first = (await post(client, rng, [shot(rng, C + i, C) for i in range(3)])).json()["data"]
    wrong = (await post(client, rng, shot(rng, C + 500, C))).json()["data"]
    assert place(wrong) == (1, 4)
    await delete(client, rng, wrong["id"])
    rest = [(await post(client, rng, shot(rng, C + 100 + i, C))).json()["data"] for i in range(3)]
    assert [place(s) for s in first + rest] == [(1, p) for p in range(1, 7)]
    assert [s["seq"] for s in rest] == [5, 6, 7]  # seq is never reused
    nxt = (await post(client, rng, shot(rng))).json()["data"]
    assert place(nxt) == (2, 1)
    ends = await db.fetch(
        "SELECT end_no, count(*) AS n FROM shot WHERE session_id = $1 GROUP BY 1 ORDER BY 1",
        rng.session_id,
    )
    assert [(e["end_no"], e["n"]) for e in ends] == [(1, 6), (2, 1)]


async def test_a_delete_frees_its_place_in_the_current_end_and_moves_nobody(
    client: httpx.AsyncClient, rng: Range, db: Connection
) -> None:
    end1 = (await post(client, rng, [shot(rng, C + i, C) for i in range(6)])).json()["data"]
    end2 = (await post(client, rng, [shot(rng), shot(rng)])).json()["data"]
    assert [place(s) for s in end2] == [(2, 1), (2, 2)]
    before = await stored(db, rng)
    # A place of an earlier end stays free: the next shot goes to the current end (2).
    await delete(client, rng, end1[2]["id"])
    after = await stored(db, rng)
    assert after == {k: v for k, v in before.items() if k != end1[2]["id"]}
    assert place((await post(client, rng, shot(rng))).json()["data"]) == (2, 3)
    # A place of the current end is filled first.
    await delete(client, rng, end2[0]["id"])
    assert place((await post(client, rng, shot(rng))).json()["data"]) == (2, 1)
    assert place((await post(client, rng, shot(rng))).json()["data"]) == (2, 4)
    # The earlier end is filled again only when named.
    named = (await post(client, rng, shot(rng, end_no=1))).json()["data"]
    assert place(named) == (1, 3)
    final = await stored(db, rng)
    for shot_id, where in before.items():
        if shot_id not in (end1[2]["id"], end2[0]["id"]):
            assert final[shot_id] == where, "a shot changed its end or place"


async def test_a_shot_may_name_its_end(client: httpx.AsyncClient, rng: Range) -> None:
    r = await post(client, rng, [shot(rng, end_no=3), shot(rng, end_no=3), shot(rng)])
    assert r.status_code == 201, r.text
    # The named end is now the highest: the shot without an end joins it.
    assert [place(s) for s in r.json()["data"]] == [(3, 1), (3, 2), (3, 3)]
    r = await post(client, rng, shot(rng, end_no=1))
    assert place(r.json()["data"]) == (1, 1)
    assert place((await post(client, rng, shot(rng))).json()["data"]) == (3, 4)


async def test_a_post_spanning_ends_fills_the_current_end_then_the_next(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    r = await make_range(db, archer, per_end=3)
    data = (await post(client, r, [shot(r, C + i, C) for i in range(7)])).json()["data"]
    assert [place(s) for s in data] == [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3), (3, 1)]


async def test_a_full_end_named_is_refused_and_nothing_is_written(
    client: httpx.AsyncClient, rng: Range, db: Connection
) -> None:
    await post(client, rng, [shot(rng, C + i, C) for i in range(6)])
    r = await post(client, rng, [shot(rng), shot(rng, end_no=1)])
    assert r.status_code == 400
    assert r.json()["errors"] == ["end 1 already has 6 of 6 arrows"]
    assert await db.fetchval("SELECT count(*) FROM shot") == 6
    assert await db.fetchval("SELECT last_seq FROM session") == 6
    for bad in (0, "2", 2.5, True):  # numbers are JSON whole numbers, from 1
        r = await post(client, rng, shot(rng, end_no=bad))
        assert r.status_code == 422, bad


async def test_patch_moves_a_shot_to_the_first_free_place_of_another_end(
    client: httpx.AsyncClient, rng: Range, db: Connection
) -> None:
    end1 = (await post(client, rng, [shot(rng, C + i, C) for i in range(6)])).json()["data"]
    end2 = (await post(client, rng, [shot(rng), shot(rng)])).json()["data"]
    before = await stored(db, rng)
    url = f"{API}/shot/{end1[2]['id']}"  # arrow 3 of end 1, after end 2 has begun
    r = await client.patch(url, json={"end_no": 2}, headers=rng.archer.headers)
    assert r.status_code == 200, r.text
    assert place(r.json()["data"]) == (2, 3)
    after = await stored(db, rng)
    assert {k: v for k, v in after.items() if k != end1[2]["id"]} == {
        k: v for k, v in before.items() if k != end1[2]["id"]
    }
    # Back to end 1: its place 3 is free again. The same end: nothing moves.
    r = await client.patch(url, json={"end_no": 1}, headers=rng.archer.headers)
    assert place(r.json()["data"]) == (1, 3)
    r = await client.patch(
        url, json={"end_no": 1, "x_mm": C, "y_mm": C}, headers=rng.archer.headers
    )
    assert place(r.json()["data"]) == (1, 3)
    # A full end refuses.
    r = await client.patch(
        f"{API}/shot/{end2[0]['id']}", json={"end_no": 1}, headers=rng.archer.headers
    )
    assert r.status_code == 400
    assert r.json()["errors"] == ["end 1 already has 6 of 6 arrows"]
    assert await stored(db, rng) == before


async def test_lowering_arrows_per_end_below_a_place_in_use_400(
    client: httpx.AsyncClient, rng: Range
) -> None:
    await post(client, rng, [shot(rng, C + i, C) for i in range(4)])
    url = f"{API}/session/{rng.session_id}"
    r = await client.patch(url, json={"arrows_per_end": 3}, headers=rng.archer.headers)
    assert r.status_code == 400
    assert "place 4" in r.json()["errors"][0]
    r = await client.patch(url, json={"arrows_per_end": 4}, headers=rng.archer.headers)
    assert r.status_code == 200, r.text


def _row(r: Range, x: float) -> ShotRow:
    return ShotRow(r.target_id, None, x, C, 0, 0, x - C, 0.0, 9, False, None, None, None)


async def test_concurrent_writers_with_deletes_in_between_stay_exact(
    app: FastAPI, client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    """Writers on their own connections (as several processes would be: no joint writer)
    wait for the session's lock; each then sees what the one before it wrote, and deletes
    (which take the same lock) are seen by the writes after them."""
    r = await make_range(db, archer, per_end=3)
    pool = app.state.pool
    rand = random.Random(7)

    async def write(n: int) -> list[dict[str, Any]]:
        import orjson

        json = await repo.insert_shots(
            pool,
            session_id=r.session_id,
            archer_id=archer.id,
            shots=[_row(r, C + rand.random()) for _ in range(n)],
        )
        assert json is not None
        result: list[dict[str, Any]] = orjson.loads(json)
        return result

    # Without deletes: ends filled densely, in seq order.
    written = await asyncio.gather(*(write(1 + k % 3) for k in range(30)))
    rows = await db.fetch(
        "SELECT seq, end_no, end_place FROM shot WHERE session_id = $1 ORDER BY seq",
        r.session_id,
    )
    assert [(x["end_no"], x["end_place"]) for x in rows] == [
        (i // 3 + 1, i % 3 + 1) for i in range(len(rows))
    ]
    returned = {s["seq"]: place(s) for part in written for s in part}
    assert returned == {x["seq"]: (x["end_no"], x["end_place"]) for x in rows}

    # With deletes in between (each in a transaction of its own, as the API does them).
    ids = [UUID(s["id"]) for part in written for s in part]
    rand.shuffle(ids)

    async def remove(shot_id: UUID) -> None:
        async with pool.acquire() as conn, conn.transaction():
            await service.delete(conn, archer.id, shot_id)

    jobs: list[Any] = []
    for k in range(40):
        jobs.append(write(1 + k % 2))
        if k % 3 == 0:
            jobs.append(remove(ids.pop()))
    await asyncio.gather(*jobs)
    rows = await db.fetch(
        "SELECT seq, end_no, end_place FROM shot WHERE session_id = $1 ORDER BY seq",
        r.session_id,
    )
    per_end: dict[int, list[int]] = {}
    for x in rows:
        per_end.setdefault(x["end_no"], []).append(x["end_place"])
    assert all(len(p) == len(set(p)) and set(p) <= {1, 2, 3} for p in per_end.values())
    total = await db.fetchval("SELECT shot_count FROM session WHERE id = $1", r.session_id)
    assert total == len(rows)
    # Once the writers are done, the next shot takes the first free place of the last end.
    last = max(per_end)
    free = [p for p in (1, 2, 3) if p not in per_end[last]]
    nxt = (await write(1))[0]
    assert place(nxt) == ((last, free[0]) if free else (last + 1, 1))

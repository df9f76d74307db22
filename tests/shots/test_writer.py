"""Concurrent posts to one session are written jointly (shots/writer.py), each kept apart."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import Any
from uuid import UUID

import asyncpg
import httpx
from fastapi import FastAPI

from arch_stats.core.database import Connection
from arch_stats.core.logging import request_id_var
from arch_stats.shots import repository as repo
from arch_stats.shots.repository import ShotRow
from arch_stats.shots.service import WRITER
from arch_stats.shots.writer import SessionWriter
from tests.conftest import ArcherCtx, MakeArcher
from tests.shots.test_shots import C, Range, make_range

API = "/api/v0"


def end(r: Range, k: int, n: int = 3) -> list[dict[str, Any]]:
    """Post k's end: n arrows whose x position encodes k and the arrow's place."""
    return [
        {
            "session_id": str(r.session_id),
            "target_id": str(r.target_id),
            "x_mm": C + k * 3 + i * 0.25,
            "y_mm": C,
        }
        for i in range(n)
    ]


async def test_concurrent_posts_each_get_their_shots_numbered_in_order(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    r = await make_range(db, archer)
    notes: list[dict[str, Any]] = []
    listener = db

    def on_note(*args: Any) -> None:
        notes.extend(json.loads(args[3]))

    await listener.add_listener("arch_stats_live", on_note)
    joint_before = WRITER.joint_writes
    posts = 24
    await client.get(f"{API}/session", headers=archer.headers)  # token cached
    responses = await asyncio.gather(
        *(
            client.post(
                f"{API}/shot",
                json=end(r, k),
                headers={**archer.headers, "X-Request-ID": f"post-{k}"},
            )
            for k in range(posts)
        )
    )
    for k, response in enumerate(responses):
        assert response.status_code == 201, response.text
        shots = response.json()["data"]
        # A post's own shots, in its order, with consecutive numbers.
        assert [s["x_mm"] for s in shots] == [x["x_mm"] for x in end(r, k)]
        seqs = [s["seq"] for s in shots]
        assert seqs == list(range(seqs[0], seqs[0] + 3))
    all_seqs = sorted(s["seq"] for resp in responses for s in resp.json()["data"])
    assert all_seqs == list(range(1, 3 * posts + 1))
    assert WRITER.joint_writes > joint_before, "no two posts were ever written together"
    stored = await db.fetch(
        "SELECT seq, end_no, x_mm FROM shot WHERE session_id = $1 ORDER BY seq", r.session_id
    )
    assert [row["seq"] for row in stored] == all_seqs
    assert [row["end_no"] for row in stored] == [(s - 1) // 6 + 1 for s in all_seqs]
    total = await db.fetchval("SELECT shot_count FROM session WHERE id = $1", r.session_id)
    assert total == 3 * posts
    # Every live note names the request that posted its shot.
    for _ in range(100):
        if len(notes) >= 3 * posts:
            break
        await asyncio.sleep(0.02)
    await listener.remove_listener("arch_stats_live", on_note)
    by_seq = {n["seq"]: n["request_id"] for n in notes}
    for k, response in enumerate(responses):
        for s in response.json()["data"]:
            assert by_seq[s["seq"]] == f"post-{k}"


def row(r: Range, x: float, score: int) -> ShotRow:
    return ShotRow(r.target_id, None, x, C, 0, 0, x - C, 0.0, score, False, None, None, None, None)


def one_shot_poster(
    writer: SessionWriter, app: FastAPI, r: Range, archer: ArcherCtx
) -> Callable[[float], Coroutine[None, None, str | None]]:
    """Post one shot at x (scored 9) to the range's session through `writer`."""

    async def insert(x: float) -> str | None:
        return await writer.insert(
            app.state.pool, session_id=r.session_id, archer_id=archer.id, shots=[row(r, x, 9)]
        )

    return insert


async def test_a_failing_post_in_a_joint_write_fails_alone(
    app: FastAPI, db: Connection, archer: ArcherCtx, client: httpx.AsyncClient
) -> None:
    r = await make_range(db, archer)
    writer = SessionWriter()
    pool = app.state.pool
    # A row the database refuses (score 12 breaks a CHECK): scoring never makes one, but a
    # joint statement that fails must not take the other posts down with it.
    posts = [[row(r, C + 1, 10)], [row(r, C + 2, 12)], [row(r, C + 3, 9), row(r, C + 4, 9)]]

    async def insert(i: int, shots: list[ShotRow]) -> str | None:
        request_id_var.set(f"writer-{i}")
        return await writer.insert(pool, session_id=r.session_id, archer_id=archer.id, shots=shots)

    # The first post holds the session's lock while the other three queue behind it.
    async with db.transaction():
        await db.execute("SELECT 1 FROM session WHERE id = $1 FOR UPDATE", r.session_id)
        first = asyncio.create_task(insert(0, [row(r, C, 10)]))
        await asyncio.sleep(0.1)
        rest = [asyncio.create_task(insert(i + 1, p)) for i, p in enumerate(posts)]
        await asyncio.sleep(0.1)
    results = await asyncio.gather(first, *rest, return_exceptions=True)
    assert isinstance(results[2], asyncpg.CheckViolationError)
    ok = [json.loads(x) for x in results if isinstance(x, str)]
    assert [[s["x_mm"] for s in part] for part in ok] == [[C], [C + 1], [C + 3, C + 4]]
    assert [s["seq"] for part in ok for s in part] == [1, 2, 3, 4]
    count = await db.fetchval("SELECT count(*) FROM shot WHERE session_id = $1", r.session_id)
    assert count == 4


async def test_a_closed_session_refuses_every_waiting_post(
    app: FastAPI, db: Connection, archer: ArcherCtx, client: httpx.AsyncClient
) -> None:
    r = await make_range(db, archer)
    writer = SessionWriter()
    insert = one_shot_poster(writer, app, r, archer)

    async with db.transaction():
        await db.execute("SELECT 1 FROM session WHERE id = $1 FOR UPDATE", r.session_id)
        first = asyncio.create_task(insert(C))
        await asyncio.sleep(0.1)
        rest = [asyncio.create_task(insert(C + i)) for i in range(1, 4)]
        await asyncio.sleep(0.1)
        await db.execute(
            "UPDATE session SET is_open = false, end_time = now() WHERE id = $1", r.session_id
        )
    results = await asyncio.gather(first, *rest)
    assert results == [None, None, None, None]
    assert writer.joint_writes == 1
    assert not writer._waiting  # nothing left behind


async def test_a_post_cancelled_while_waiting_is_not_written(
    app: FastAPI, db: Connection, archer: ArcherCtx, client: httpx.AsyncClient
) -> None:
    cancel_index = 1
    r = await make_range(db, archer)
    writer = SessionWriter()
    insert = one_shot_poster(writer, app, r, archer)

    async with db.transaction():
        await db.execute("SELECT 1 FROM session WHERE id = $1 FOR UPDATE", r.session_id)
        tasks = [asyncio.create_task(insert(C))]
        await asyncio.sleep(0.1)
        tasks += [asyncio.create_task(insert(C + i)) for i in range(1, 4)]
        await asyncio.sleep(0.05)
        tasks[cancel_index].cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(results[cancel_index], asyncio.CancelledError)
    xs = await db.fetch("SELECT x_mm FROM shot WHERE session_id = $1 ORDER BY seq", r.session_id)
    assert [x["x_mm"] for x in xs] == [C, C + 2, C + 3]
    assert UUID(json.loads(results[2])[0]["session_id"]) == r.session_id  # type: ignore[arg-type]


async def test_posts_of_different_archers_are_written_together_each_with_its_answer(
    app: FastAPI, db: Connection, make_archer: MakeArcher, client: httpx.AsyncClient
) -> None:
    archers = [await make_archer() for _ in range(3)]
    a, b, c = [await make_range(db, x) for x in archers]
    writer = SessionWriter(max_in_flight=1)
    pool = app.state.pool

    async def insert(r: Range, x: float, rid: str) -> str | None:
        request_id_var.set(rid)
        return await writer.insert(
            pool, session_id=r.session_id, archer_id=r.archer.id, shots=[row(r, x, 9)]
        )

    # The one slot is taken by a's first post (its session locked here); the other posts wait.
    async with db.transaction():
        await db.execute("SELECT 1 FROM session WHERE id = $1 FOR UPDATE", a.session_id)
        first = asyncio.create_task(insert(a, C, "a-1"))
        await asyncio.sleep(0.1)
        rest = [
            asyncio.create_task(insert(b, C + 1, "b-1")),
            asyncio.create_task(insert(c, C + 2, "c-1")),
            asyncio.create_task(insert(a, C + 3, "a-2")),
            asyncio.create_task(insert(b, C + 4, "b-2")),
        ]
        await asyncio.sleep(0.1)
        # c's session closes before the joint write: only c's post is refused.
        await db.execute(
            "UPDATE session SET is_open = false, end_time = now() WHERE id = $1", c.session_id
        )
    results = await asyncio.gather(first, *rest)
    assert writer.joint_writes == 1  # b-1, c-1, a-2 and b-2: one statement
    assert results[2] is None
    got = {
        rid: json.loads(part)[0]
        for rid, part in zip(["a-1", "b-1", "c-1", "a-2", "b-2"], results, strict=True)
        if part is not None
    }
    assert {k: (v["x_mm"], v["seq"]) for k, v in got.items()} == {
        "a-1": (C, 1),
        "b-1": (C + 1, 1),
        "a-2": (C + 3, 2),
        "b-2": (C + 4, 2),
    }
    assert UUID(got["b-2"]["session_id"]) == b.session_id
    for r, count in ((a, 2), (b, 2), (c, 0)):
        stored = await db.fetchrow(
            "SELECT s.shot_count, s.total_score, m.shots FROM session s "
            "LEFT JOIN session_summary m ON m.session_id = s.id WHERE s.id = $1",
            r.session_id,
        )
        assert stored is not None
        assert (stored["shot_count"], stored["total_score"]) == (count, 9 * count)
        assert (stored["shots"] or 0) == count
    assert not writer._waiting


async def test_a_target_changed_since_scoring_refuses_only_its_own_session_in_a_joint_write(
    app: FastAPI, db: Connection, make_archer: MakeArcher, client: httpx.AsyncClient
) -> None:
    a, b = [await make_range(db, await make_archer()) for _ in range(2)]
    versions = {
        r.target_id: await db.fetchval("SELECT xmin::text FROM target WHERE id = $1", r.target_id)
        for r in (a, b)
    }
    writer = SessionWriter(max_in_flight=1)
    pool = app.state.pool

    async def insert(r: Range, x: float) -> str | None:
        return await writer.insert(
            pool,
            session_id=r.session_id,
            archer_id=r.archer.id,
            shots=[row(r, x, 9)],
            targets=[(r.target_id, versions[r.target_id])],
        )

    async with db.transaction():
        await db.execute("SELECT 1 FROM session WHERE id = $1 FOR UPDATE", a.session_id)
        first = asyncio.create_task(insert(a, C))
        await asyncio.sleep(0.1)
        rest = [asyncio.create_task(insert(a, C + 1)), asyncio.create_task(insert(b, C + 2))]
        await asyncio.sleep(0.1)
        await db.execute("UPDATE target SET lane = 7 WHERE id = $1", a.target_id)  # a new version
    results = await asyncio.gather(first, *rest)
    assert writer.joint_writes == 1
    assert results[0] is not None  # scored before: its statement waited for the lock
    assert results[1] is None  # a's target changed: a's post refused (read again by the caller)
    assert results[2] is not None and json.loads(results[2])[0]["x_mm"] == C + 2


async def test_a_joint_write_updates_each_session_row_once_and_keeps_its_totals(
    db: Connection, make_archer: MakeArcher
) -> None:
    """Several archers' posts in one statement (as the writer joins them): each session's
    row gets one new version, its totals counted by the lock (202611270410), not a second
    by the totals trigger; totals and summaries match the shots written."""
    ranges = [await make_range(db, await make_archer()) for _ in range(3)]
    await repo.insert_posts(db, [repo.Post(ranges[0].session_id, ranges[0].archer.id,
                                           [row(ranges[0], C, 10)], None)])  # fmt: skip
    posts = [
        repo.Post(
            r.session_id, r.archer.id, [row(r, C + k + i, 10 - i) for i in range(k + 1)], None
        )
        for k, r in enumerate(ranges)
    ]
    posts.append(repo.Post(ranges[1].session_id, ranges[1].archer.id, [row(ranges[1], C, 5)], None))
    updated = "SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'session'"
    async with db.transaction():
        before = await db.fetchval(updated)
        parts = await repo.insert_posts(db, posts)
        updates = await db.fetchval(updated) - before
    assert all(part is not None for part in parts)
    assert updates == len(ranges)  # one per session, whatever its posts
    for r in ranges:
        stored = await db.fetchrow(
            """SELECT s.shot_count, s.total_score, m.shots, m.hits, m.total, m.x_count,
                      m.ten_count, m.impacts, m.sum_dx, m.sum_dx2,
                      (SELECT count(*) FROM shot h WHERE h.session_id = s.id) AS n,
                      (SELECT sum(h.score) FROM shot h WHERE h.session_id = s.id) AS sum,
                      (SELECT count(*) FILTER (WHERE h.score >= 10) FROM shot h
                       WHERE h.session_id = s.id) AS tens,
                      (SELECT sum(h.dx_mm::numeric) FROM shot h WHERE h.session_id = s.id) AS dx,
                      (SELECT sum(h.dx_mm::numeric ^ 2) FROM shot h WHERE h.session_id = s.id)
                          AS dx2
               FROM session s JOIN session_summary m ON m.session_id = s.id WHERE s.id = $1""",
            r.session_id,
        )
        assert stored is not None
        assert stored["n"] > 0
        assert stored["shot_count"] == stored["shots"] == stored["hits"] == stored["n"]
        assert stored["impacts"] == stored["n"]
        assert stored["total_score"] == stored["total"] == stored["sum"]
        assert stored["ten_count"] == stored["tens"]
        assert stored["sum_dx"] == stored["dx"] and stored["sum_dx2"] == stored["dx2"]

"""Shots posted through the API are announced by their writer after the commit, not by a
NOTIFY inside the write's transaction (migration 202611270300, `LiveHub.announce`). What that
must keep: every subscriber gets every shot once, in order, even when an announcement is
lost (a writer that dies between its commit and its NOTIFY) or arrives out of order."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import httpx
import orjson
import pytest
from fastapi import FastAPI

from arch_stats.core.database import Connection
from arch_stats.live.hub import CHANNEL, LiveHub, Subscriber
from arch_stats.shots import repository as repo
from arch_stats.shots.repository import INSERT_FUNCTION, ShotRow, insert_args
from tests.conftest import ArcherCtx
from tests.live.conftest import frames_until, next_frame, ws_connect
from tests.shots.test_shots import C, Range, make_range, shot


@pytest.fixture
async def rng(db: Connection, archer: ArcherCtx) -> Range:
    return await make_range(db, archer)


def path(r: Range, after: int | None = None) -> str:
    p = f"/api/v0/ws?session_id={r.session_id}"
    return p if after is None else f"{p}&after={after}"


async def post_one(client: httpx.AsyncClient, r: Range) -> dict[str, Any]:
    resp = await client.post("/api/v0/shot", json=shot(r, C, C), headers=r.archer.headers)
    assert resp.status_code == 201, resp.text
    data: dict[str, Any] = resp.json()["data"]
    return data


async def write_unannounced(db: Connection, r: Range) -> int:
    """A shot committed as a post's writer commits it, whose announcement never comes (as if
    its process died right after the commit): no NOTIFY, no `announce`. Returns its seq."""
    row = ShotRow(
        target_id=r.target_id,
        arrow_id=None,
        x_mm=C,
        y_mm=C,
        face_index=0,
        spot_index=0,
        dx_mm=0.0,
        dy_mm=0.0,
        score=10,
        is_x=True,
        engaged_at=None,
        released_at=None,
        landed_at=None,
    )
    args = insert_args([(r.session_id, r.archer.id)], [row], live_after=True)
    doc = await db.fetchval(f"SELECT w.doc::text FROM {INSERT_FUNCTION} AS w", *args)
    seq: int = orjson.loads(doc)["seq"]
    return seq


async def test_posted_shots_reach_a_subscriber_once_each_in_order(
    client: httpx.AsyncClient, rng: Range, server_url: str, app: FastAPI
) -> None:
    # The writer's process hears its own NOTIFY too: it must not deliver the shot twice.
    async with await ws_connect(server_url, path(rng), rng.archer.token) as ws:
        await asyncio.sleep(0.05)
        posted = [await post_one(client, rng) for _ in range(5)]
        got = await frames_until(ws, 5)
        assert [f["data"]["id"] for f in got] == [p["id"] for p in posted]
        assert [f["data"]["seq"] for f in got] == [1, 2, 3, 4, 5]
        assert all(f["request_id"] for f in got)
        with pytest.raises(TimeoutError):
            await next_frame(ws, timeout=0.5)


async def test_a_shot_whose_announcement_was_lost_still_reaches_subscribers(
    client: httpx.AsyncClient, db: Connection, rng: Range, server_url: str
) -> None:
    async with await ws_connect(server_url, path(rng), rng.archer.token) as ws:
        await asyncio.sleep(0.05)
        await post_one(client, rng)
        assert [f["data"]["seq"] for f in await frames_until(ws, 1)] == [1]
        lost = await write_unannounced(db, rng)
        # Nothing else is posted: the hub's periodic check finds the session ahead of its
        # subscriber and replays the shot from the database.
        found = await frames_until(ws, 1)
        assert [f["data"]["seq"] for f in found] == [lost] == [2]
        await post_one(client, rng)
        assert [f["data"]["seq"] for f in await frames_until(ws, 1)] == [3]
        with pytest.raises(TimeoutError):
            await next_frame(ws, timeout=0.5)


async def test_a_shot_announced_after_a_lost_one_brings_the_lost_one_first(
    client: httpx.AsyncClient, db: Connection, rng: Range, server_url: str
) -> None:
    async with await ws_connect(server_url, path(rng, after=0), rng.archer.token) as ws:
        await asyncio.sleep(0.05)
        await write_unannounced(db, rng)
        await post_one(client, rng)  # announced as seq 2 while the client has none: a gap
        got = await frames_until(ws, 2)
        assert [f["data"]["seq"] for f in got] == [1, 2]
        await post_one(client, rng)
        assert [f["data"]["seq"] for f in await frames_until(ws, 1)] == [3]
        with pytest.raises(TimeoutError):
            await next_frame(ws, timeout=0.5)


async def test_the_writer_announces_only_when_the_post_is_its_own_transaction(
    db: Connection, rng: Range, app: FastAPI
) -> None:
    # Inside a caller's transaction the commit is not the statement's: the trigger notifies.
    heard: list[Any] = []
    listener = await app.state.hub._connect()  # a second listener of the channel
    await listener.add_listener(CHANNEL, lambda *a: heard.append(a[3]))
    announced: list[Any] = []
    try:
        row = ShotRow(rng.target_id, None, C, C, 0, 0, 0.0, 0.0, 10, True, None, None, None)
        async with db.transaction():
            await repo.insert_shots(
                db,
                session_id=rng.session_id,
                archer_id=rng.archer.id,
                shots=[row],
                announce=lambda *a: announced.append(a),
            )
        for _ in range(200):
            if heard:
                break
            await asyncio.sleep(0.05)
        assert announced == []
        assert [n["seq"] for n in orjson.loads(heard[0])] == [1]
    finally:
        await listener.close()


def test_a_shot_beyond_the_next_one_makes_the_subscriber_catch_up() -> None:
    sub = Subscriber(UUID(int=1), UUID(int=2), last_seq=0)
    sub.live()
    sub.offer("shot.created", 1, "one")
    sub.offer("shot.created", 3, "three")  # 2 not announced (yet)
    assert sub.catching_up and sub.replaying
    sub.offer("shot.updated", 1, "update-1")  # held until the replay is done
    sub.offer("shot.created", 2, "two-late")  # the replay reads it from the database
    assert list(sub.queue) == ["one"]
    assert not sub.replayed(2)
    assert sub.replayed(3)
    sub.live()
    assert not sub.catching_up
    sub.offer("shot.created", 3, "three-again")
    sub.offer("shot.created", 4, "four")
    assert list(sub.queue) == ["one", "update-1", "four"]


async def test_next_frames_returns_when_a_catch_up_is_due() -> None:
    sub = Subscriber(UUID(int=1), UUID(int=2), last_seq=5)
    sub.live()
    waiting = asyncio.create_task(sub.next_frames())
    await asyncio.sleep(0)
    sub.offer("shot.created", 7, "seven")
    assert await asyncio.wait_for(waiting, timeout=10) == []
    assert sub.catching_up


async def test_announced_shots_reach_subscribers_only_as_their_note_is_heard() -> None:
    """The writer's own process hears its announcement as every other does: in commit order
    with the notes of access changes and revocations (`access.live`)."""
    hub = LiveHub("postgresql://unused", None)  # type: ignore[arg-type]  # never connects
    session, archer = UUID(int=1), UUID(int=2)
    seen: list[tuple[str, int]] = []
    hub.on_event(lambda kind, _s, note: seen.append((kind, note["seq"])))
    sub = Subscriber(session, archer, last_seq=0)
    sub.live()
    hub.add(sub)
    doc = orjson.dumps({"id": str(UUID(int=9)), "seq": 1, "score": 10}).decode()
    hub.announce(session, archer, [(doc, "req-1")])
    assert (list(sub.queue), seen) == ([], [])
    sent = "[" + ",".join(hub._outbox) + "]"  # what the NOTIFY carries
    hub._on_notify(None, 0, CHANNEL, sent)
    assert [orjson.loads(f)["data"]["seq"] for f in sub.queue] == [1]
    assert seen == [("shot.created", 1)]
    frame = orjson.loads(sub.queue[0])
    assert (frame["type"], frame["request_id"]) == ("shot.created", "req-1")
    await asyncio.sleep(0.05)  # the NOTIFY fails here (no pool): logged
    assert hub._sender is not None and hub._sender.done()


async def test_a_suspended_subscriber_sends_nothing_until_resumed_and_ending_drops_its_frames() -> (
    None
):
    sub = Subscriber(UUID(int=1), UUID(int=2), last_seq=0)
    sub.live()
    sub.offer("shot.created", 1, "one")
    sub.suspend()
    sub.suspend()
    waiting = asyncio.create_task(sub.next_frames())
    sub.offer("shot.created", 2, "two")
    sub.resume()
    await asyncio.sleep(0.01)
    assert not waiting.done()
    sub.resume()
    assert await asyncio.wait_for(waiting, 10) == ["one", "two"]
    sub.suspend()
    sub.offer("shot.created", 3, "three")
    waiting = asyncio.create_task(sub.next_frames())
    await asyncio.sleep(0.01)
    sub.end(4403, "access withdrawn")
    assert await asyncio.wait_for(waiting, 10) == []
    assert (list(sub.queue), sub.close_code) == ([], 4403)


async def test_announcements_reach_subscribers_while_every_pooled_connection_is_busy(
    app: FastAPI,
) -> None:
    """The batch goes out on the listener's own connection: a pool held by writes (a club
    night's posts) does not hold back the frames of the shots already committed."""
    hub: LiveHub = app.state.hub
    pool = app.state.pool
    session, archer = UUID(int=11), UUID(int=12)
    sub = Subscriber(session, archer, last_seq=0)
    sub.live()
    hub.add(sub)
    held = [await pool.acquire() for _ in range(pool.get_max_size())]
    try:
        doc = orjson.dumps({"id": str(UUID(int=13)), "seq": 1, "score": 10}).decode()
        hub.announce(session, archer, [(doc, "req-1")])
        for _ in range(100):
            if sub.queue:
                break
            await asyncio.sleep(0.05)
        assert [orjson.loads(f)["data"]["seq"] for f in sub.queue] == [1]
    finally:
        for conn in held:
            await pool.release(conn)
        hub.remove(sub)

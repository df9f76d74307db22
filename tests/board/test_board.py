"""The club board: `/api/v0/ws?club_id=…` and `?board=TOKEN`, its REST snapshot and links.

Real WebSocket clients against a real server and a real PostgreSQL; shots posted through the
REST API (the sensor path reaches the hub the same way: a committed shot's NOTIFY)."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI
from websockets.exceptions import ConnectionClosed

from arch_stats.board.fanout import BoardViewer
from arch_stats.core.database import Connection
from arch_stats.live.hub import QUEUE_LIMIT, LiveHub
from tests.board.helpers import make_club
from tests.conftest import MakeArcher
from tests.live.conftest import next_frame, ws_connect
from tests.shots.test_shots import C, Range, make_range, shot

SKIP = ("heartbeat",)


def board_path(club_id: UUID) -> str:
    return f"/api/v0/ws?club_id={club_id}"


async def post_shot(client: httpx.AsyncClient, r: Range, dx: float = 0.0) -> dict[str, Any]:
    resp = await client.post("/api/v0/shot", json=shot(r, C + dx, C), headers=r.archer.headers)
    assert resp.status_code == 201, resp.text
    data: dict[str, Any] = resp.json()["data"]
    return data


async def frame_of(ws: Any, kind: str, timeout: float = 30) -> dict[str, Any]:
    """The next frame of `kind` (others skipped)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        f = await next_frame(ws, skip=SKIP, timeout=max(0.01, deadline - loop.time()))
        if f["type"] == kind:
            return f


async def closed_with(ws: Any, timeout: float = 30) -> tuple[int | None, str | None]:
    try:
        async with asyncio.timeout(timeout):
            while True:
                await ws.recv()
    except ConnectionClosed as exc:
        return (exc.rcvd.code, exc.rcvd.reason) if exc.rcvd else (None, None)
    raise AssertionError("not closed")


@pytest.fixture
async def club(
    db: Connection, make_archer: MakeArcher, client: httpx.AsyncClient
) -> dict[str, Any]:
    owner = await make_archer("Olive Owner")
    coach = await make_archer("Cora Coach")
    ann = await make_archer("Ann Member")
    ben = await make_archer("Ben Member")
    outsider = await make_archer("Otto Outsider")
    club_id = await make_club(db, owner, (coach, "coach"), (ann, "member"), (ben, "member"))
    return {
        "id": club_id,
        "owner": owner,
        "coach": coach,
        "ann": ann,
        "ben": ben,
        "outsider": outsider,
    }


async def test_snapshot_lists_members_shooting_now_with_their_shots(
    client: httpx.AsyncClient, db: Connection, club: dict[str, Any], server_url: str
) -> None:
    ann_range = await make_range(db, club["ann"])
    await post_shot(client, ann_range)  # an X
    outsider_range = await make_range(db, club["outsider"])
    await post_shot(client, outsider_range)
    async with await ws_connect(server_url, board_path(club["id"]), club["ben"].token) as ws:
        f = await next_frame(ws, skip=SKIP)
    assert f["type"] == "board.snapshot"
    board = f["data"]
    assert board["club"] == {"id": str(club["id"]), "name": "Riverside Archers"}
    assert (board["read_only"], board["role"]) == (False, "member")
    # Only members, and only those with an open session: the outsider is not shown.
    assert [a["name"] for a in board["archers"]] == ["Ann Member"]
    entry = board["archers"][0]
    assert entry["session_id"] == str(ann_range.session_id)
    assert entry["faces"] == [
        {"target_id": str(ann_range.target_id), "face_index": 0, "face_type": "wa_122"}
    ]
    assert [(s["seq"], s["score"], s["label"]) for s in entry["shots"]] == [(1, 10, "X")]
    assert set(entry) >= {"name", "round_code", "distance_m", "arrows_per_end", "shots"}
    assert "email" not in entry  # members see each other's name and live scores only


async def test_shots_of_members_reach_the_board_and_others_do_not(
    client: httpx.AsyncClient, db: Connection, club: dict[str, Any], server_url: str
) -> None:
    ann_range = await make_range(db, club["ann"])
    outsider_range = await make_range(db, club["outsider"])
    async with await ws_connect(server_url, board_path(club["id"]), club["owner"].token) as ws:
        assert (await next_frame(ws, skip=SKIP))["type"] == "board.snapshot"
        await post_shot(client, outsider_range)
        await post_shot(client, ann_range, dx=100)  # a 9 on the 122 cm face
        first = await next_frame(ws, skip=SKIP)
        # Ann's session was in the snapshot, but this process first looks her clubs up: her
        # whole entry comes, then the shot (applied idempotently by clients).
        if first["type"] == "board.session":
            assert first["data"]["archer_id"] == str(club["ann"].id)
            first = await next_frame(ws, skip=SKIP)
        assert first["type"] == "board.shot.created"
        assert first["data"]["session_id"] == str(ann_range.session_id)
        assert first["data"]["archer_id"] == str(club["ann"].id)
        assert (first["data"]["shot"]["seq"], first["data"]["shot"]["score"]) == (1, 9)
        await post_shot(client, ann_range)
        second = await next_frame(ws, skip=SKIP)
        assert (second["type"], second["data"]["shot"]["seq"]) == ("board.shot.created", 2)
        # Nothing of the outsider, ever.
        with pytest.raises(TimeoutError):
            await next_frame(ws, skip=SKIP, timeout=0.5)


async def test_session_opened_while_watching_appears_then_closes(
    client: httpx.AsyncClient, db: Connection, club: dict[str, Any], server_url: str
) -> None:
    async with await ws_connect(server_url, board_path(club["id"]), club["coach"].token) as ws:
        snap = await next_frame(ws, skip=SKIP)
        assert snap["data"]["archers"] == []
        resp = await client.post(
            "/api/v0/session",
            json={"distance_m": 18, "round_code": "wa18"},
            headers=club["ben"].headers,
        )
        assert resp.status_code == 201, resp.text
        session_id = resp.json()["data"]["id"]
        opened = await frame_of(ws, "board.session")
        assert opened["data"]["session_id"] == session_id
        assert opened["data"]["name"] == "Ben Member"
        assert opened["data"]["shots"] == []
        resp = await client.post(f"/api/v0/session/{session_id}/close", headers=club["ben"].headers)
        assert resp.status_code == 200, resp.text
        closed = await frame_of(ws, "board.session.closed")
        assert closed["data"] == {
            "key": session_id,
            "session_id": session_id,
            "archer_id": str(club["ben"].id),
        }


async def test_closing_a_session_from_the_snapshot_reaches_the_board(
    client: httpx.AsyncClient, db: Connection, club: dict[str, Any], server_url: str
) -> None:
    ann_range = await make_range(db, club["ann"])
    await db.execute("UPDATE session SET start_time = now() - interval '1 hour'")
    async with await ws_connect(server_url, board_path(club["id"]), club["ben"].token) as ws:
        snap = await next_frame(ws, skip=SKIP)
        assert [a["session_id"] for a in snap["data"]["archers"]] == [str(ann_range.session_id)]
        resp = await client.post(
            f"/api/v0/session/{ann_range.session_id}/close", headers=club["ann"].headers
        )
        assert resp.status_code == 200, resp.text
        closed = await frame_of(ws, "board.session.closed")
        assert closed["data"]["session_id"] == str(ann_range.session_id)


@pytest.mark.parametrize(
    ("who", "query", "code"),
    [
        ("outsider", "club_id={club}", 4404),
        ("ann", "club_id=0b5e8ad0-0000-4000-8000-000000000000", 4404),  # no such club
        ("ann", "club_id=not-a-uuid", 4422),
        (None, "club_id={club}", 4401),
        (None, "board=asb_nope", 4404),
        (None, "board=whatever", 4404),
    ],
)
async def test_board_refused(
    club: dict[str, Any], server_url: str, who: str | None, query: str, code: int
) -> None:
    token = club[who].token if who else None
    path = "/api/v0/ws?" + query.format(club=club["id"])
    async with await ws_connect(server_url, path, token) as ws:
        assert (await closed_with(ws))[0] == code


async def test_member_removed_while_watching_is_closed_4403(
    client: httpx.AsyncClient, db: Connection, club: dict[str, Any], server_url: str
) -> None:
    ann_range = await make_range(db, club["ann"])
    async with (
        await ws_connect(server_url, board_path(club["id"]), club["ben"].token) as ben_ws,
        await ws_connect(server_url, board_path(club["id"]), club["ann"].token) as ann_ws,
    ):
        await next_frame(ben_ws, skip=SKIP)
        await next_frame(ann_ws, skip=SKIP)
        await db.execute(
            "DELETE FROM club_member WHERE club_id = $1 AND archer_id = $2",
            club["id"],
            club["ann"].id,
        )
        assert await closed_with(ann_ws) == (4403, "access withdrawn")
        # Ben's board drops her, and her shots no longer reach it.
        removed = await frame_of(ben_ws, "board.archer.removed")
        assert removed["data"] == {"archer_id": str(club["ann"].id)}
        await post_shot(client, ann_range)
        with pytest.raises(TimeoutError):
            await next_frame(ben_ws, skip=SKIP, timeout=0.5)


async def test_rest_snapshot_for_members_404_for_others(
    client: httpx.AsyncClient, club: dict[str, Any]
) -> None:
    url = f"/api/v0/club/{club['id']}/board"
    resp = await client.get(url, headers=club["coach"].headers)
    assert resp.status_code == 200
    assert resp.json()["data"]["role"] == "coach"
    resp = await client.get(url, headers=club["outsider"].headers)
    assert resp.status_code == 404
    assert resp.json() == {"code": 404, "data": None, "errors": ["club not found"]}
    assert (await client.get(url)).status_code == 401


async def test_public_link_read_only_then_revoked(
    client: httpx.AsyncClient, db: Connection, club: dict[str, Any], server_url: str
) -> None:
    link_url = f"/api/v0/club/{club['id']}/board/link"
    # Only owners manage the link; to anyone else the club does not exist.
    for who in ("coach", "ann", "outsider"):
        resp = await client.post(link_url, headers=club[who].headers)
        assert resp.status_code == 404, who
    state = await client.get(link_url, headers=club["owner"].headers)
    assert state.status_code == 404  # no link yet
    resp = await client.post(link_url, headers=club["owner"].headers)
    assert resp.status_code == 201, resp.text
    created = resp.json()["data"]
    token = created["token"]
    assert created["path"] == f"/app/board/{token}"
    state = await client.get(link_url, headers=club["owner"].headers)
    assert state.status_code == 200
    assert set(state.json()["data"]) == {"created_at"}  # the token is never shown again

    resp = await client.put(
        f"/api/v0/club/{club['id']}/consent",
        json={"share_with_coaches": True, "show_on_public_board": True},
        headers=club["ann"].headers,
    )
    assert resp.status_code == 200, resp.text
    ann_range = await make_range(db, club["ann"])
    # Without an account: the REST snapshot and the socket, read-only.
    resp = await client.get(f"/api/v0/board/{token}")
    assert resp.status_code == 200
    board = resp.json()["data"]
    assert (board["read_only"], board["role"]) == (True, None)
    assert [a["name"] for a in board["archers"]] == ["Ann Member"]
    async with await ws_connect(server_url, f"/api/v0/ws?board={token}") as ws:
        snap = await next_frame(ws, skip=SKIP)
        assert snap["data"]["read_only"] is True
        await post_shot(client, ann_range)
        f = await next_frame(ws, skip=SKIP)
        if f["type"] == "board.session":
            f = await next_frame(ws, skip=SKIP)
        assert f["type"] == "board.shot.created"
        # Revoked: the open socket closes, the link answers 404 from now on.
        resp = await client.delete(link_url, headers=club["owner"].headers)
        assert resp.status_code == 200
        assert resp.json()["data"] == {"revoked": True}
        assert await closed_with(ws) == (4403, "board link revoked")
    assert (await client.get(f"/api/v0/board/{token}")).status_code == 404
    assert (await client.get(link_url, headers=club["owner"].headers)).status_code == 404
    assert (await client.delete(link_url, headers=club["owner"].headers)).status_code == 404
    async with await ws_connect(server_url, f"/api/v0/ws?board={token}") as ws:
        assert (await closed_with(ws))[0] == 4404


async def test_new_link_replaces_the_old(client: httpx.AsyncClient, club: dict[str, Any]) -> None:
    link_url = f"/api/v0/club/{club['id']}/board/link"
    first = (await client.post(link_url, headers=club["owner"].headers)).json()["data"]["token"]
    second = (await client.post(link_url, headers=club["owner"].headers)).json()["data"]["token"]
    assert (await client.get(f"/api/v0/board/{first}")).status_code == 404
    assert (await client.get(f"/api/v0/board/{second}")).status_code == 200


async def test_links_made_at_once_leave_one_working(
    client: httpx.AsyncClient, db: Connection, club: dict[str, Any]
) -> None:
    link_url = f"/api/v0/club/{club['id']}/board/link"
    answers = await asyncio.gather(
        *(client.post(link_url, headers=club["owner"].headers) for _ in range(4))
    )
    assert [a.status_code for a in answers] == [201] * 4, [a.text for a in answers]
    working = [
        a.json()["data"]["token"]
        for a in answers
        if (await client.get(f"/api/v0/board/{a.json()['data']['token']}")).status_code == 200
    ]
    assert len(working) == 1
    assert await db.fetchval("SELECT count(*) FROM club_board_link WHERE revoked_at IS NULL") == 1


async def test_deleted_open_session_leaves_the_board(
    client: httpx.AsyncClient, db: Connection, club: dict[str, Any], server_url: str
) -> None:
    ann_range = await make_range(db, club["ann"])
    async with await ws_connect(server_url, board_path(club["id"]), club["ben"].token) as ws:
        assert len((await next_frame(ws, skip=SKIP))["data"]["archers"]) == 1
        resp = await client.delete(
            f"/api/v0/session/{ann_range.session_id}", headers=club["ann"].headers
        )
        assert resp.status_code in (200, 204), resp.text
        closed = await frame_of(ws, "board.session.closed")
        assert closed["data"]["session_id"] == str(ann_range.session_id)


async def test_a_stalled_viewer_only_loses_its_own_oldest_frames() -> None:
    viewer = BoardViewer(uuid4(), uuid4())
    for n in range(QUEUE_LIMIT + 5):
        viewer.push(f"frame {n}")
    assert len(viewer.queue) == QUEUE_LIMIT
    assert viewer.dropped == 5
    assert viewer.queue[0] == "frame 5"
    viewer.lead("snapshot")  # a new snapshot goes first, whatever is queued
    assert viewer.queue[0] == "snapshot"


async def test_listener_reconnect_sends_a_fresh_snapshot(
    app: FastAPI, client: httpx.AsyncClient, db: Connection, club: dict[str, Any], server_url: str
) -> None:
    hub: LiveHub = app.state.hub
    ann_range = await make_range(db, club["ann"])
    async with await ws_connect(server_url, board_path(club["id"]), club["ben"].token) as ws:
        first = await next_frame(ws, skip=SKIP)
        assert first["data"]["archers"][0]["shots"] == []
        before = hub.reconnects
        assert await db.fetchval("SELECT pg_terminate_backend($1)", hub.listener_pid)
        await post_shot(client, ann_range)  # its notification may be lost
        for _ in range(200):
            if hub.reconnects > before and hub.connected.is_set():
                break
            await asyncio.sleep(0.05)
        assert hub.reconnects == before + 1
        snap = await frame_of(ws, "board.snapshot")
        assert [s["seq"] for s in snap["data"]["archers"][0]["shots"]] == [1]

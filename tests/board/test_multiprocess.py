"""The board across two server processes: shots, a removal and a revoked link made through one
process reach (and close) boards open on the other."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from arch_stats.core.database import Connection
from tests.board.helpers import make_club
from tests.board.test_board import closed_with, frame_of
from tests.conftest import MakeArcher
from tests.live.conftest import next_frame, ws_connect
from tests.live.test_multiprocess import two_servers
from tests.shots.test_shots import C, make_range, shot

__all__ = ["two_servers"]

# The counts of a session after its first arrow, an X (frames carry them for the ranking).
X_TALLY = {"arrows": 1, "total": 10, "hits": 1, "ten_x": 1, "x": 1, "golds": 0}
SKIP = ("heartbeat",)


async def test_board_on_one_process_follows_another(
    two_servers: list[str], db: Connection, make_archer: MakeArcher, client: Any
) -> None:
    a, b = two_servers
    owner = await make_archer("Olive Owner")
    ann = await make_archer("Ann Member")
    ben = await make_archer("Ben Member")
    club_id = await make_club(db, owner, (ann, "member"), (ben, "member"))
    await db.execute(
        "UPDATE club_member SET show_on_public_board = true WHERE archer_id = $1", ann.id
    )
    ann_range = await make_range(db, ann)
    async with httpx.AsyncClient(base_url=f"http://{b}") as http:
        resp = await http.post(f"/api/v0/club/{club_id}/board/link", headers=owner.headers)
        assert resp.status_code == 201, resp.text
        token = resp.json()["data"]["token"]
        async with (
            await ws_connect(a, f"/api/v0/ws?club_id={club_id}", ben.token) as ben_ws,
            await ws_connect(a, f"/api/v0/ws?board={token}") as public_ws,
        ):
            for ws in (ben_ws, public_ws):
                assert (await next_frame(ws, skip=SKIP))["type"] == "board.snapshot"
            await asyncio.sleep(0.1)
            resp = await http.post("/api/v0/shot", json=shot(ann_range, C, C), headers=ann.headers)
            assert resp.status_code == 201, resp.text
            f = await frame_of(ben_ws, "board.shot.created")
            assert (f["data"]["key"], f["data"]["shot"]["label"], f["data"]["tally"]) == (
                str(ann_range.session_id),
                "X",
                X_TALLY,
            )
            f = await frame_of(public_ws, "board.shot.created")  # an opaque key there
            assert set(f["data"]) == {"key", "shot", "tally"} and f["data"]["shot"]["label"] == "X"
            assert f["data"]["tally"] == X_TALLY
            # Ben removed from the club (by neither process): his board closes, 4403.
            await db.execute(
                "DELETE FROM club_member WHERE club_id = $1 AND archer_id = $2", club_id, ben.id
            )
            assert await closed_with(ben_ws) == (4403, "access withdrawn")
            resp = await http.delete(f"/api/v0/club/{club_id}/board/link", headers=owner.headers)
            assert resp.status_code == 200, resp.text
            assert await closed_with(public_ws) == (4403, "board link revoked")

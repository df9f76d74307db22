"""The board's viewers on a shared server (a real `serve` process and PostgreSQL, real
WebSocket clients from several loopback addresses): a public link takes a bounded number of
viewers, in all and per address (4429); a viewer that reads nothing is dropped, not buffered
for; every other viewer gets every frame."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection

from arch_stats.core.database import Connection
from tests.board.helpers import make_club
from tests.board.test_board import closed_with
from tests.conftest import ArcherCtx, MakeArcher
from tests.live.conftest import next_frame, ws_connect
from tests.serve_process import open_ws_raw, serve, ws_frames_until_closed
from tests.shots.test_shots import C, make_range, shot

SKIP = ("heartbeat",)


async def shown_club(db: Connection, make_archer: MakeArcher, url: str) -> tuple[ArcherCtx, str]:
    """An owner shown on the club's public board, and the link's token."""
    owner = await make_archer("Olive Owner")
    club_id = await make_club(db, owner)
    await db.execute("UPDATE club_member SET show_on_public_board = true")
    async with httpx.AsyncClient(base_url=url) as http:
        resp = await http.post(f"/api/v0/club/{club_id}/board/link", headers=owner.headers)
    assert resp.status_code == 201, resp.text
    return owner, resp.json()["data"]["token"]


async def viewer(port: int, token: str, address: str) -> ClientConnection:
    return await ws_connect(
        f"127.0.0.1:{port}", f"/api/v0/ws?board={token}", local_addr=(address, 0)
    )


async def test_public_viewers_are_bounded_per_link_and_per_address(
    migrated: str, tmp_path: Path, db: Connection, make_archer: MakeArcher
) -> None:
    env = {"BOARD_VIEWERS_PER_LINK": "3", "BOARD_VIEWERS_PER_ADDRESS": "2"}
    async with serve(migrated, tmp_path / "serve.log", env=env) as served:
        owner, token = await shown_club(db, make_archer, served.url)
        port = served.port
        first = [await viewer(port, token, "127.0.0.2") for _ in range(2)]
        for ws in first:
            assert (await next_frame(ws, skip=SKIP))["type"] == "board.snapshot"
        async with await viewer(port, token, "127.0.0.2") as third:
            assert await closed_with(third) == (4429, "too many board viewers from this address")
        other = await viewer(port, token, "127.0.0.3")
        assert (await next_frame(other, skip=SKIP))["type"] == "board.snapshot"
        async with await viewer(port, token, "127.0.0.4") as fourth:
            assert await closed_with(fourth) == (4429, "too many viewers of this board link")
        # Members are not counted: the owner's board opens from the same address.
        async with await ws_connect(
            f"127.0.0.1:{port}",
            f"/api/v0/ws?club_id={(await db.fetchval('SELECT id FROM club'))}",
            owner.token,
            local_addr=("127.0.0.2", 0),
        ) as member:
            assert (await next_frame(member, skip=SKIP))["type"] == "board.snapshot"
        # A viewer that leaves gives its place back.
        await first.pop().close()
        await asyncio.sleep(0.3)
        async with await viewer(port, token, "127.0.0.4") as later:
            assert (await next_frame(later, skip=SKIP))["type"] == "board.snapshot"
        for ws in (*first, other):
            await ws.close()


async def test_a_viewer_that_reads_nothing_is_dropped_and_the_others_get_every_frame(
    migrated: str, tmp_path: Path, db: Connection, make_archer: MakeArcher
) -> None:
    """10,000 arrows on a board (≈ 5 MB of members' frames, more than the kernel holds for
    a socket here): a member's board that never reads (a small receive buffer) is cut once
    it is far behind (it used to be kept, its oldest frames dropped); public and members'
    boards that read get every arrow, in order."""
    shots = 10_000
    async with serve(migrated, tmp_path / "serve.log") as served:
        owner, token = await shown_club(db, make_archer, served.url)
        club_id = await db.fetchval("SELECT id FROM club")
        r = await make_range(db, owner)
        members = f"/api/v0/ws?club_id={club_id}"
        auth = f"Authorization: Bearer {owner.token}\r\n"
        silent = await open_ws_raw(served.port, members, headers=auth, rcvbuf=4096)
        url = f"127.0.0.1:{served.port}"
        readers = [await viewer(served.port, token, f"127.0.0.{2 + n}") for n in range(3)]
        readers.append(await ws_connect(url, members, owner.token))
        for ws in readers:
            assert (await next_frame(ws, skip=SKIP))["type"] == "board.snapshot"

        async def seqs(ws: ClientConnection) -> list[int]:
            got: list[int] = []
            while len(got) < shots:
                f = await next_frame(ws, skip=SKIP)
                if f["type"] == "board.shot.created":
                    got.append(f["data"]["shot"]["seq"])
            return got

        receiving = [asyncio.create_task(seqs(ws)) for ws in readers]
        async with httpx.AsyncClient(base_url=served.url, timeout=60) as http:
            for _ in range(shots // 500):
                body = [shot(r, C + n % 300, C) for n in range(500)]
                resp = await http.post("/api/v0/shot", json=body, headers=owner.headers)
                assert resp.status_code == 201, resp.text[:200]
        got = await asyncio.wait_for(asyncio.gather(*receiving), 300)
        frames, ended = await ws_frames_until_closed(silent[0], timeout=10)
        silent[1].close()
        for ws in readers:
            await ws.close()
    assert all(g == list(range(1, shots + 1)) for g in got)
    assert ended
    texts = [f for op, f in frames if op == 0x1 and b'"board.shot.created"' in f[:40]]
    assert len(texts) < shots
    closes = [f for op, f in frames if op == 0x8]
    if closes:  # the close frame may be lost with the connection: it was not reading
        assert int.from_bytes(closes[0][:2], "big") == 4408

"""WebSocket messages from clients are bounded at the protocol (a real `serve` process and
PostgreSQL): a frame announcing more than 4 KiB is refused by its header, with 1009, before
its payload is read — on a session's channel and on a public board alike; small messages are
read and ignored."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from arch_stats.core.database import Connection
from arch_stats.core.serving import WS_MAX_MESSAGE_BYTES
from tests.board.helpers import make_club
from tests.conftest import ArcherCtx, MakeArcher
from tests.live.conftest import next_frame, ws_connect
from tests.serve_process import Served, open_ws_raw, serve, ws_frames_until_closed
from tests.shots.test_shots import C, Range, make_range, shot


@pytest.fixture(scope="module")
async def served(migrated: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    async with serve(migrated, tmp_path_factory.mktemp("ws") / "serve.log") as s:
        yield s


@pytest.fixture
async def watched(
    served: Served, db: Connection, make_archer: MakeArcher
) -> tuple[ArcherCtx, Range, dict[str, str]]:
    """An archer shooting, on a club board with a public link: the paths of both channels."""
    archer = await make_archer("Ann")
    r = await make_range(db, archer)
    club_id = await make_club(db, archer)
    await db.execute("UPDATE club_member SET show_on_public_board = true")
    async with httpx.AsyncClient(base_url=served.url) as http:
        resp = await http.post(f"/api/v0/club/{club_id}/board/link", headers=archer.headers)
    assert resp.status_code == 201, resp.text
    paths = {
        "session": f"/api/v0/ws?session_id={r.session_id}",
        "public board": f"/api/v0/ws?board={resp.json()['data']['token']}",
    }
    return archer, r, paths


async def closed_code(ws: object, timeout: float = 15) -> int | None:
    try:
        async with asyncio.timeout(timeout):
            while True:
                await ws.recv()  # type: ignore[attr-defined]
    except ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else None


@pytest.mark.parametrize("channel", ["session", "public board"])
async def test_a_message_over_4_kib_is_closed_1009_and_small_ones_are_ignored(
    served: Served, watched: tuple[ArcherCtx, Range, dict[str, str]], channel: str
) -> None:
    archer, r, paths = watched
    url = f"127.0.0.1:{served.port}"
    async with await ws_connect(url, paths[channel], archer.token) as ws:
        if channel == "public board":
            assert (await next_frame(ws))["type"] == "board.snapshot"
        await ws.send("x" * 100)  # read and ignored: the socket goes on
        async with httpx.AsyncClient(base_url=served.url) as http:
            resp = await http.post("/api/v0/shot", json=shot(r, C, C), headers=archer.headers)
        assert resp.status_code == 201, resp.text
        kinds = ("shot.created", "board.session", "board.shot.created")
        assert (await next_frame(ws, skip=("heartbeat", "stats.updated")))["type"] in kinds
        await ws.send(b"x" * (WS_MAX_MESSAGE_BYTES + 1))
        assert await closed_code(ws) == 1009


async def test_a_frame_announcing_16_mib_is_refused_by_its_header(
    served: Served, watched: tuple[ArcherCtx, Range, dict[str, str]]
) -> None:
    """Only the frame's header is sent: the server closes at once, reading none of it (it
    used to wait for the 16 MiB, then buffer them)."""
    _archer, _r, paths = watched
    reader, writer = await open_ws_raw(served.port, paths["public board"])
    try:
        # FIN + binary, masked, a 64-bit length of 16 MiB, a zero mask key; no payload.
        writer.write(bytes([0x82, 0x80 | 127]) + (16 * 2**20).to_bytes(8, "big") + bytes(4))
        await writer.drain()
        frames, ended = await ws_frames_until_closed(reader, timeout=15)
    finally:
        writer.close()
    assert ended
    close = [payload for opcode, payload in frames if opcode == 0x8]
    assert close and int.from_bytes(close[0][:2], "big") == 1009

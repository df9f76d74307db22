"""The live WebSocket with the login cookie only from the app's own origin (a real server and
WebSocket client): a page of another origin must not read the archer's frames."""

from __future__ import annotations

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from arch_stats.auth.tokens import COOKIE_NAME
from arch_stats.core.database import Connection
from tests.conftest import ArcherCtx
from tests.live.conftest import next_frame
from tests.shots.test_shots import C, make_range


async def _insert_shot(db: Connection, archer: ArcherCtx) -> str:
    rng = await make_range(db, archer)
    await db.execute(
        "INSERT INTO shot (session_id, archer_id, target_id, seq, end_no, x_mm, y_mm, "
        "face_index, spot_index, dx_mm, dy_mm, score, is_x) "
        "VALUES ($1, $2, $3, 1, 1, $4, $4, 0, 0, 0, 0, 10, true)",
        rng.session_id,
        archer.id,
        rng.target_id,
        C,
    )
    await db.execute("UPDATE session SET last_seq = 1 WHERE id = $1", rng.session_id)
    return str(rng.session_id)


async def test_cookie_handshake_from_another_origin_refused(
    server_url: str, archer: ArcherCtx, db: Connection
) -> None:
    session_id = await _insert_shot(db, archer)
    url = f"ws://{server_url}/api/v0/ws?session_id={session_id}&after=0"
    cookie = {"Cookie": f"{COOKIE_NAME}={archer.token}"}
    with pytest.raises(InvalidStatus) as refused:
        await connect(url, origin="http://evil.example", additional_headers=cookie)  # type: ignore[arg-type]
    assert refused.value.response.status_code == 403
    port = server_url.rsplit(":", 1)[1]
    with pytest.raises(InvalidStatus):
        await connect(url, origin=f"http://127.0.0.1:{int(port) + 1}", additional_headers=cookie)  # type: ignore[arg-type]


async def test_cookie_handshake_from_own_origin_and_bearer_from_anywhere_get_frames(
    server_url: str, archer: ArcherCtx, db: Connection
) -> None:
    session_id = await _insert_shot(db, archer)
    url = f"ws://{server_url}/api/v0/ws?session_id={session_id}&after=0"
    own = f"http://{server_url}"
    cookie = {"Cookie": f"{COOKIE_NAME}={archer.token}"}
    async with connect(url, origin=own, additional_headers=cookie) as ws:  # type: ignore[arg-type]
        assert (await next_frame(ws))["data"]["seq"] == 1
    bearer = {"Authorization": f"Bearer {archer.token}"}
    async with connect(url, origin="http://evil.example", additional_headers=bearer) as ws:  # type: ignore[arg-type]
        assert (await next_frame(ws))["data"]["seq"] == 1

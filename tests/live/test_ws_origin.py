"""The live WebSocket with the login cookie only from the app's own origin (a real server and
WebSocket client): a page of another origin must not read the archer's frames, whatever
credential it names beside the cookie."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from arch_stats.auth.tokens import COOKIE_NAME
from arch_stats.core.database import Connection
from tests.conftest import ArcherCtx, MakeArcher
from tests.live.conftest import next_frame
from tests.live.test_revocation import closed_with
from tests.serve_process import Served, serve
from tests.shots.test_shots import C, make_range


async def session_with_a_shot(db: Connection, archer: ArcherCtx) -> str:
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
    session_id = await session_with_a_shot(db, archer)
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
    session_id = await session_with_a_shot(db, archer)
    url = f"ws://{server_url}/api/v0/ws?session_id={session_id}&after=0"
    own = f"http://{server_url}"
    cookie = {"Cookie": f"{COOKIE_NAME}={archer.token}"}
    async with connect(url, origin=own, additional_headers=cookie) as ws:  # type: ignore[arg-type]
        assert (await next_frame(ws))["data"]["seq"] == 1
    bearer = {"Authorization": f"Bearer {archer.token}"}
    async with connect(url, origin="http://evil.example", additional_headers=bearer) as ws:  # type: ignore[arg-type]
        assert (await next_frame(ws))["data"]["seq"] == 1


# -- a real `arch-stats serve` process: every credential path under the same rule ----------

TOKEN_PARAMS = ("token=", "token=%20", "token=a&token=b")


@pytest.fixture
async def served(migrated: str, tmp_path: Path) -> AsyncIterator[Served]:
    async with serve(migrated, tmp_path / "serve.log") as process:
        yield process


@pytest.mark.parametrize("token", TOKEN_PARAMS)
@pytest.mark.parametrize("what", ["session", "board"])
async def test_cookie_and_a_token_parameter_from_another_origin_refused(
    served: Served, make_archer: MakeArcher, db: Connection, token: str, what: str
) -> None:
    """The hole of issue 18: `token=` skipped the origin check, then the cookie was used."""
    victim = await make_archer("Victim")
    session_id = await session_with_a_shot(db, victim)
    club_id = await db.fetchval(
        "WITH c AS (INSERT INTO club (name) VALUES ('Riverside') RETURNING id) "
        "INSERT INTO club_member (club_id, archer_id, role) SELECT id, $1, 'owner' FROM c "
        "RETURNING club_id",
        victim.id,
    )
    query = f"session_id={session_id}&after=0" if what == "session" else f"club_id={club_id}"
    url = f"ws://127.0.0.1:{served.port}/api/v0/ws?{query}&{token}"
    cookie = {"Cookie": f"{COOKIE_NAME}={victim.token}"}
    for origin in (f"http://127.0.0.1:{served.port + 1}", "http://evil.example"):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, origin=origin, additional_headers=cookie) as ws:  # type: ignore[arg-type]
                pytest.fail(f"accepted, first frame: {await ws.recv()!r}")
        assert refused.value.response.status_code == 403
    # From the app's own origin, or with no cookie at all, the bad parameter is still no
    # credential: closed 4401 before any frame, never the cookie instead.
    own = f"http://127.0.0.1:{served.port}"
    for headers in (cookie, {}):
        async with connect(url, origin=own, additional_headers=headers) as ws:  # type: ignore[arg-type]
            assert (await closed_with(ws))[0] == 4401


async def test_token_parameter_alone_is_a_credential_and_a_bad_header_no_fallback(
    served: Served, make_archer: MakeArcher, db: Connection
) -> None:
    archer = await make_archer("Alice")
    session_id = await session_with_a_shot(db, archer)
    base = f"ws://127.0.0.1:{served.port}/api/v0/ws?session_id={session_id}&after=0"
    async with connect(f"{base}&token={archer.token}", origin="http://elsewhere.example") as ws:  # type: ignore[arg-type]
        assert (await next_frame(ws))["data"]["seq"] == 1
    own = f"http://127.0.0.1:{served.port}"
    cookie = f"{COOKIE_NAME}={archer.token}"
    for header in ("Basic abc", "Bearer ", "Bearer"):
        headers = {"Cookie": cookie, "Authorization": header}
        async with connect(base, origin=own, additional_headers=headers) as ws:  # type: ignore[arg-type]
            assert (await closed_with(ws))[0] == 4401

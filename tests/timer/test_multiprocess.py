"""The timer across two server processes: commands given through one reach screens open on
the other, and both processes send the clock's own change (the walk-up turning into shooting
time) by themselves, with the same times."""

from __future__ import annotations

from typing import Any

import httpx

from arch_stats.core.database import Connection
from tests.board.helpers import make_club
from tests.board.test_board import closed_with
from tests.conftest import MakeArcher
from tests.live.conftest import next_frame, ws_connect
from tests.live.test_multiprocess import two_servers

__all__ = ["two_servers"]
SKIP = ("heartbeat",)


async def state(ws: Any) -> dict[str, Any]:
    f = await next_frame(ws, skip=SKIP)
    assert f["type"] == "timer.state", f
    data: dict[str, Any] = f["data"]["state"]
    return data


async def test_screens_on_two_processes_agree(
    two_servers: list[str], db: Connection, make_archer: MakeArcher, client: Any
) -> None:
    a, b = two_servers
    owner = await make_archer("Olive Owner")
    club_id = await make_club(db, owner)
    async with httpx.AsyncClient(base_url=f"http://{b}") as http:
        r = await http.post(
            f"/api/v0/club/{club_id}/timer",
            json={"name": "Two processes", "walkup_seconds": 1},
            headers=owner.headers,
        )
        timer_id = r.json()["data"]["id"]
        r = await http.post(f"/api/v0/timer/{timer_id}/link", headers=owner.headers)
        token = r.json()["data"]["token"]
        async with (
            await ws_connect(a, f"/api/v0/ws?timer={token}") as on_a,
            await ws_connect(b, f"/api/v0/ws?timer={timer_id}", owner.token) as on_b,
        ):
            for ws in (on_a, on_b):
                assert (await state(ws))["phase"] == "ready"
            r = await http.post(
                f"/api/v0/timer/{timer_id}/command", json={"action": "start"}, headers=owner.headers
            )
            assert r.status_code == 200, r.text
            walkups = [await state(ws) for ws in (on_a, on_b)]
            shoots = [await state(ws) for ws in (on_a, on_b)]
            assert [w["phase"] for w in walkups] == ["walkup", "walkup"]
            assert walkups[0]["ends_at"] == walkups[1]["ends_at"]
            assert [s["phase"] for s in shoots] == ["shoot", "shoot"]
            assert shoots[0]["ends_at"] == shoots[1]["ends_at"] == walkups[0]["ends_at"] + 120_000
            r = await http.delete(f"/api/v0/timer/{timer_id}/link", headers=owner.headers)
            assert await closed_with(on_a) == (4403, "timer link revoked")

"""The range timer's screens (the suite's app behind a real server, real WebSocket clients):
every screen gets the state at once and each change — an organiser's command, or the clock's
own (the walk-up turning into shooting time, with nothing written) — answers clock pings with
the server's time, and closes when it may no longer show the timer."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from arch_stats.core.database import Connection
from tests.board.test_board import closed_with
from tests.live.conftest import next_frame, ws_connect
from tests.timer.conftest import Club
from tests.timer.test_api import API, command, new_timer

SKIP = ("heartbeat",)


async def link_of(client: httpx.AsyncClient, club: Club, timer_id: str) -> str:
    r = await client.post(f"{API}/timer/{timer_id}/link", headers=club.owner.headers)
    assert r.status_code == 201
    token: str = r.json()["data"]["token"]
    return token


async def state_of(ws: Any) -> dict[str, Any]:
    f = await next_frame(ws, skip=SKIP)
    assert f["type"] == "timer.state", f
    data: dict[str, Any] = f["data"]
    return data


async def test_every_screen_follows_commands_and_the_clock(
    server_url: str, client: httpx.AsyncClient, club: Club
) -> None:
    t = await new_timer(client, club, walkup_seconds=1)
    token = await link_of(client, club, t["id"])
    async with (
        await ws_connect(server_url, f"/api/v0/ws?timer={t['id']}", club.member.token) as mine,
        await ws_connect(server_url, f"/api/v0/ws?timer={token}") as public,
    ):
        for ws in (mine, public):
            first = await state_of(ws)
            assert first["state"]["phase"] == "ready" and first["name"] == "Indoor club night"
            assert "id" not in first and t["id"] not in orjson.dumps(first).decode()
        r = await command(client, t["id"], club.owner, action="start")
        started = r.json()["data"]["state"]
        for ws in (mine, public):
            walkup = (await state_of(ws))["state"]
            assert walkup["phase"] == "walkup" and walkup["signal"] == 2
            assert walkup["ends_at"] == started["ends_at"]
            # one second later, by the clock alone: shooting time, one signal
            shoot = (await state_of(ws))["state"]
            assert (shoot["phase"], shoot["signal"], shoot["detail"]) == ("shoot", 1, "AB")
            assert shoot["started_at"] == started["ends_at"]
            assert shoot["ends_at"] == started["ends_at"] + 120_000
        await command(client, t["id"], club.coach, action="pause")
        for ws in (mine, public):
            assert (await state_of(ws))["state"]["paused_remaining_ms"] is not None


async def test_pings_get_the_servers_time(
    server_url: str, client: httpx.AsyncClient, club: Club
) -> None:
    t = await new_timer(client, club)
    async with await ws_connect(server_url, f"/api/v0/ws?timer={t['id']}", club.owner.token) as ws:
        await state_of(ws)
        await ws.send("not json")
        await ws.send(orjson.dumps({"type": "ping", "t": True}).decode())  # not a number
        await ws.send(orjson.dumps({"type": "ping", "t": 1234.5}).decode())
        pong = await next_frame(ws, skip=SKIP)
        assert pong["type"] == "pong" and pong["data"]["t"] == 1234.5
        assert isinstance(pong["data"]["server"], int) and pong["data"]["server"] > 1.7e12


async def test_screens_close_when_they_may_no_longer_show_it(
    server_url: str, client: httpx.AsyncClient, club: Club, db: Connection
) -> None:
    t = await new_timer(client, club)
    other = await new_timer(client, club, name="Other")
    token = await link_of(client, club, t["id"])
    path = f"/api/v0/ws?timer={t['id']}"
    async with await ws_connect(server_url, path, club.outsider.token) as ws:
        assert await closed_with(ws) == (4404, "timer not found")
    async with await ws_connect(server_url, "/api/v0/ws?timer=nonsense") as ws:
        assert (await closed_with(ws))[0] == 4422
    async with await ws_connect(server_url, "/api/v0/ws?timer=ast_unknown") as ws:
        assert await closed_with(ws) == (4404, "timer not found")
    async with await ws_connect(server_url, path) as ws:
        assert (await closed_with(ws))[0] == 4401

    async with (
        await ws_connect(server_url, f"/api/v0/ws?timer={token}") as public,
        await ws_connect(server_url, path, club.member.token) as member,
        await ws_connect(server_url, f"/api/v0/ws?timer={other['id']}", club.coach.token) as coach,
    ):
        for ws in (public, member, coach):
            await state_of(ws)
        await client.delete(f"{API}/timer/{t['id']}/link", headers=club.owner.headers)
        assert await closed_with(public) == (4403, "timer link revoked")
        await db.execute(
            "DELETE FROM club_member WHERE club_id = $1 AND archer_id = $2",
            club.id,
            club.member.id,
        )
        assert await closed_with(member) == (4403, "access withdrawn")
        await client.delete(f"{API}/timer/{other['id']}", headers=club.owner.headers)
        assert await closed_with(coach) == (4404, "timer deleted")

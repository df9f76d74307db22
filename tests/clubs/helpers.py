"""Helpers of the clubs tests: a club with an owner, a coach and members, by the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.conftest import ArcherCtx, MakeArcher


@dataclass(frozen=True)
class Club:
    id: str
    owner: ArcherCtx
    coach: ArcherCtx
    sharing: ArcherCtx  # a member who shares with the coaches
    private: ArcherCtx  # a member who does not


async def invite(client: httpx.AsyncClient, club_id: str, owner: ArcherCtx, role: str) -> str:
    r = await client.post(
        f"/api/v0/club/{club_id}/invite", json={"role": role}, headers=owner.headers
    )
    assert r.status_code == 201, r.text
    code: str = r.json()["data"]["code"]
    return code


async def join(client: httpx.AsyncClient, who: ArcherCtx, code: str) -> dict[str, Any]:
    r = await client.post("/api/v0/club/join", json={"code": code}, headers=who.headers)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def make_club(client: httpx.AsyncClient, make_archer: MakeArcher) -> Club:
    owner = await make_archer("Olive Owner")
    coach = await make_archer("Carl Coach")
    sharing = await make_archer("Sam Sharing")
    private = await make_archer("Pat Private")
    r = await client.post("/api/v0/club", json={"name": "Riverside Bowmen"}, headers=owner.headers)
    assert r.status_code == 201, r.text
    club_id = r.json()["data"]["id"]
    await join(client, coach, await invite(client, club_id, owner, "coach"))
    code = await invite(client, club_id, owner, "member")
    await join(client, sharing, code)
    await join(client, private, code)
    r = await client.put(
        f"/api/v0/club/{club_id}/consent",
        json={"share_with_coaches": False},
        headers=private.headers,
    )
    assert r.status_code == 200, r.text
    return Club(club_id, owner, coach, sharing, private)


async def session_with_shots(client: httpx.AsyncClient, who: ArcherCtx, n: int = 3) -> str:
    r = await client.post(
        "/api/v0/session", json={"distance_m": 18, "is_indoor": True}, headers=who.headers
    )
    assert r.status_code == 201, r.text
    session_id: str = r.json()["data"]["id"]
    r = await client.post(
        f"/api/v0/session/{session_id}/target",
        json={"faces": [{"face_type": "wa_40"}]},
        headers=who.headers,
    )
    assert r.status_code == 201, r.text
    target = r.json()["data"]
    cx, cy = target["faces"][0]["center_x_mm"], target["faces"][0]["center_y_mm"]
    shots = [
        {"session_id": session_id, "target_id": target["id"], "x_mm": cx + 10.0 * i, "y_mm": cy}
        for i in range(n)
    ]
    r = await client.post("/api/v0/shot", json=shots, headers=who.headers)
    assert r.status_code == 201, r.text
    return session_id

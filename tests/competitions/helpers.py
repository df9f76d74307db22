"""A club night by the API: a club, its archers, a competition of 12 in 3 categories."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from arch_stats.core.database import Connection
from tests.conftest import ArcherCtx, MakeArcher

API = "/api/v0"
CATEGORIES = [
    {"bowstyle": "recurve", "gender": "male"},
    {"bowstyle": "recurve", "gender": "female"},
    {"bowstyle": "barebow"},
]
# name, bowstyle, gender; the last two of each category are guests (no account).
ARCHERS = [
    ("Adam", "recurve", "male"),
    ("Ben", "recurve", "male"),
    ("Carl", "recurve", "male"),
    ("Dan", "recurve", "male"),
    ("Eve", "recurve", "female"),
    ("Fay", "recurve", "female"),
    ("Gia", "recurve", "female"),
    ("Hana", "recurve", "female"),
    ("Ivo", "barebow", "male"),
    ("Jo", "barebow", "female"),
    ("Kim", "barebow", "female"),
    ("Lou", "barebow", "male"),
]
GUESTS = {"Dan", "Hana", "Lou"}


@dataclass
class Night:
    club_id: str
    owner: ArcherCtx
    outsider: ArcherCtx
    competition: dict[str, Any]
    members: dict[str, ArcherCtx] = field(default_factory=dict)
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)  # by name

    @property
    def id(self) -> str:
        return str(self.competition["id"])


async def club_night(
    client: httpx.AsyncClient,
    make_archer: MakeArcher,
    db: Connection,
    *,
    round_code: str = "bray_i",
    start: bool = True,
) -> Night:
    owner = await make_archer("Olive Owner")
    outsider = await make_archer("Otto Outsider")
    r = await client.post(f"{API}/club", json={"name": "Riverside"}, headers=owner.headers)
    assert r.status_code == 201, r.text
    club_id = r.json()["data"]["id"]
    members: dict[str, ArcherCtx] = {}
    for name, bow, gender in ARCHERS:
        if name in GUESTS:
            continue
        members[name] = await make_archer(name, bowstyle=bow, gender=gender)
        await db.execute(
            "INSERT INTO club_member (club_id, archer_id, role) VALUES ($1, $2, 'member')",
            uuid.UUID(club_id),
            members[name].id,
        )
    r = await client.post(
        f"{API}/competition",
        json={
            "club_id": club_id,
            "name": "Tuesday club night",
            "venue": "Riverside hall",
            "starts_on": "2026-12-08",
            "round_code": round_code,
            "categories": CATEGORIES,
        },
        headers=owner.headers,
    )
    assert r.status_code == 201, r.text
    night = Night(club_id, owner, outsider, r.json()["data"], members)
    for name, bow, gender in ARCHERS:
        body: dict[str, Any] = (
            {"guest_name": name, "bowstyle": bow, "gender": gender}
            if name in GUESTS
            else {"archer_id": str(members[name].id)}
        )
        r = await client.post(
            f"{API}/competition/{night.id}/entry", json=body, headers=owner.headers
        )
        assert r.status_code == 201, r.text
    r = await client.post(f"{API}/competition/{night.id}/targets", headers=owner.headers)
    assert r.status_code == 200, r.text
    if start:
        r = await client.post(f"{API}/competition/{night.id}/start", headers=owner.headers)
        assert r.status_code == 200, r.text
    night.competition = r.json()["data"]
    night.entries = {e["name"]: e for e in night.competition["entrants"]}
    return night


async def bale(client: httpx.AsyncClient, night: Night, n: int, who: ArcherCtx) -> dict[str, Any]:
    r = await client.get(f"{API}/competition/{night.id}/bale/{n}", headers=who.headers)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


def end_of(
    archer: dict[str, Any], values: list[str], ids: list[str] | None = None
) -> list[dict[str, Any]]:
    """A post of one end by value for a bale archer (`bale()`'s item): at the next end."""
    progress = archer["session"]["progress"]
    return [
        {
            "id": ids[i] if ids else str(uuid.uuid4()),
            "session_id": archer["session_id"],
            "target_id": progress["target_id"],
            "value": v,
        }
        for i, v in enumerate(values)
    ]

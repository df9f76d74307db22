"""Invites have a use limit (coach invites once, member links as many times as the owner chose),
exactly one of two accounts gets the last use, and a member an owner removed cannot come
back with a code made before the removal."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
import pytest

from arch_stats.core.database import Connection
from tests.clubs.helpers import join
from tests.conftest import ArcherCtx, MakeArcher

API = "/api/v0"


async def new_club(client: httpx.AsyncClient, owner: ArcherCtx) -> str:
    r = await client.post(f"{API}/club", json={"name": "Riverside"}, headers=owner.headers)
    assert r.status_code == 201, r.text
    club_id: str = r.json()["data"]["id"]
    return club_id


async def make_invite(
    client: httpx.AsyncClient, club_id: str, owner: ArcherCtx, **body: Any
) -> dict[str, Any]:
    r = await client.post(f"{API}/club/{club_id}/invite", json=body, headers=owner.headers)
    assert r.status_code == 201, r.text
    invite: dict[str, Any] = r.json()["data"]
    return invite


async def try_join(client: httpx.AsyncClient, who: ArcherCtx, code: str) -> httpx.Response:
    return await client.post(f"{API}/club/join", json={"code": code}, headers=who.headers)


async def listed(client: httpx.AsyncClient, club_id: str, owner: ArcherCtx) -> dict[str, Any]:
    r = await client.get(f"{API}/club/{club_id}/invite", headers=owner.headers)
    return {i["id"]: i for i in r.json()["data"]}


async def test_coach_invite_works_once_and_member_link_as_often_as_chosen(
    client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    owner = await make_archer("Olive")
    a, b, c = await make_archer("A"), await make_archer("B"), await make_archer("C")
    club_id = await new_club(client, owner)

    coach = await make_invite(client, club_id, owner, role="coach")
    assert (coach["max_uses"], coach["uses"], coach["remaining_uses"]) == (1, 0, 1)
    assert (await join(client, a, coach["code"]))["my_role"] == "coach"
    r = await try_join(client, b, coach["code"])
    assert r.status_code == 404
    assert "used up" in r.json()["errors"][0]

    default = await make_invite(client, club_id, owner, role="member")
    assert (default["max_uses"], default["remaining_uses"]) == (30, 30)
    two = await make_invite(client, club_id, owner, role="member", max_uses=2)
    await join(client, b, two["code"])
    assert (await try_join(client, b, two["code"])).status_code == 409  # a member already
    await join(client, c, two["code"])  # the 409 took no use
    assert (await try_join(client, await make_archer("D"), two["code"])).status_code == 404

    invites = await listed(client, club_id, owner)
    assert {k: (v["uses"], v["remaining_uses"]) for k, v in invites.items()} == {
        coach["id"]: (1, 0),
        default["id"]: (0, 30),
        two["id"]: (2, 0),
    }
    assert all(v["code"] is None for v in invites.values())
    many = await make_invite(client, club_id, owner, role="coach", max_uses=3)
    assert many["max_uses"] == 3
    for bad in (0, 501, -1, "2", 2.5, True):
        r = await client.post(
            f"{API}/club/{club_id}/invite", json={"max_uses": bad}, headers=owner.headers
        )
        assert r.status_code == 422, bad


async def test_member_removed_by_an_owner_cannot_rejoin_with_a_code_made_before(
    client: httpx.AsyncClient, make_archer: MakeArcher, db: Connection
) -> None:
    owner, gone, leaver, newcomer = (
        await make_archer("Olive"),
        await make_archer("Gone"),
        await make_archer("Leaver"),
        await make_archer("Newcomer"),
    )
    club_id = await new_club(client, owner)
    old = await make_invite(client, club_id, owner, role="member", max_uses=10)
    await join(client, gone, old["code"])
    await join(client, leaver, old["code"])
    r = await client.delete(f"{API}/club/{club_id}/member/{gone.id}", headers=owner.headers)
    assert r.status_code == 204
    r = await client.delete(f"{API}/club/{club_id}/member/{leaver.id}", headers=leaver.headers)
    assert r.status_code == 204

    r = await try_join(client, gone, old["code"])
    assert r.status_code == 403
    assert "removed you" in r.json()["errors"][0]
    # The refusal took no use; the code still works for others, and for whoever left.
    assert (await listed(client, club_id, owner))[old["id"]]["uses"] == 2
    await join(client, newcomer, old["code"])
    await join(client, leaver, old["code"])
    # A new invite lets the removed member in again.
    fresh = await make_invite(client, club_id, owner, role="member")
    assert (await join(client, gone, fresh["code"]))["my_role"] == "member"
    assert (await listed(client, club_id, owner))[old["id"]]["uses"] == 4
    # Removed a second time: the invite they came back with is older than that removal.
    r = await client.delete(f"{API}/club/{club_id}/member/{gone.id}", headers=owner.headers)
    assert r.status_code == 204
    assert (await try_join(client, gone, fresh["code"])).status_code == 403
    assert await db.fetchval("SELECT count(*) FROM club_removal") == 1


async def test_accounts_racing_for_the_last_uses_exactly_that_many_join(
    server_url: str, make_archer: MakeArcher, client: httpx.AsyncClient, db: Connection
) -> None:
    """Concurrent requests to a real HTTP server: 12 accounts at once for the single use of
    a coach invite, then 12 at once for a link of 3 uses."""
    owner = await make_archer("Olive")
    club_id = await new_club(client, owner)
    async with httpx.AsyncClient(base_url=f"http://{server_url}") as http:
        for role, uses in (("coach", None), ("member", 3)):
            body = {"role": role} if uses is None else {"role": role, "max_uses": uses}
            invite = await make_invite(http, club_id, owner, **body)
            racers = [await make_archer(f"R{i}") for i in range(12)]
            answers = await asyncio.gather(*(try_join(http, r, invite["code"]) for r in racers))
            statuses = sorted(a.status_code for a in answers)
            want = invite["max_uses"]
            assert statuses == [201] * want + [404] * (12 - want), statuses
            joined = await db.fetchval(
                "SELECT count(*) FROM club_member WHERE club_id = $1 AND archer_id = ANY($2)",
                club_id,
                [r.id for r in racers],
            )
            assert joined == want
            assert (await listed(http, club_id, owner))[invite["id"]]["remaining_uses"] == 0


async def test_the_database_refuses_more_uses_than_allowed(
    client: httpx.AsyncClient, make_archer: MakeArcher, db: Connection
) -> None:
    owner = await make_archer("Olive")
    club_id = await new_club(client, owner)
    invite = await make_invite(client, club_id, owner, role="member", max_uses=1)
    with pytest.raises(asyncpg.CheckViolationError):
        await db.execute("UPDATE club_invite SET uses = 2 WHERE id = $1", invite["id"])

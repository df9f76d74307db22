"""Clubs by the API: create, invite, join, roles, consent, leave; coach reads and notes."""

from __future__ import annotations

import httpx

from tests.clubs.helpers import invite, join, make_club, session_with_shots
from tests.conftest import ArcherCtx, MakeArcher

API = "/api/v0"


async def test_creator_owns_the_club_and_sees_it_in_my_clubs(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx
) -> None:
    r = await client.post(f"{API}/club", json={"name": "  Archers  "}, headers=archer.headers)
    assert r.status_code == 201, r.text
    club = r.json()["data"]
    assert (club["name"], club["my_role"], club["share_with_coaches"], club["members"]) == (
        "Archers",
        "owner",
        True,
        1,
    )
    r = await client.get(f"{API}/club", headers=archer.headers)
    assert [c["id"] for c in r.json()["data"]] == [club["id"]]
    r = await client.get(f"{API}/club/{club['id']}", headers=other.headers)
    assert r.status_code == 404
    assert r.json() == {"code": 404, "data": None, "errors": [f"club {club['id']} not found"]}
    r = await client.post(f"{API}/club", json={"name": ""}, headers=archer.headers)
    assert r.status_code == 422


async def test_invite_code_joins_once_expires_and_is_revocable(
    client: httpx.AsyncClient, make_archer: MakeArcher, db: object
) -> None:
    owner, a, b = await make_archer("O"), await make_archer("A"), await make_archer("B")
    club_id = (await client.post(f"{API}/club", json={"name": "C"}, headers=owner.headers)).json()[
        "data"
    ]["id"]
    r = await client.post(
        f"{API}/club/{club_id}/invite", json={"role": "owner"}, headers=owner.headers
    )
    assert r.status_code == 422  # an invite never makes an owner
    code = await invite(client, club_id, owner, "member")
    joined = await join(client, a, code)
    assert (joined["my_role"], joined["share_with_coaches"]) == ("member", True)
    r = await client.post(f"{API}/club/join", json={"code": code}, headers=a.headers)
    assert r.status_code == 409
    # Members may not invite, see invites, or see the member list.
    for method, path in (
        ("POST", f"/club/{club_id}/invite"),
        ("GET", f"/club/{club_id}/invite"),
        ("GET", f"/club/{club_id}/member"),
    ):
        r = await client.request(method, API + path, json={}, headers=a.headers)
        assert r.status_code == 404, (method, path)
    # Only the hash is stored.
    invites = (await client.get(f"{API}/club/{club_id}/invite", headers=owner.headers)).json()[
        "data"
    ]
    assert all(i["code"] is None for i in invites)
    r = await client.delete(
        f"{API}/club/{club_id}/invite/{invites[0]['id']}", headers=owner.headers
    )
    assert r.status_code == 200 and r.json()["data"]["revoked_at"] is not None
    r = await client.post(f"{API}/club/join", json={"code": code}, headers=b.headers)
    assert r.status_code == 404
    r = await client.post(f"{API}/club/join", json={"code": "nonsense"}, headers=b.headers)
    assert r.status_code == 404


async def test_expired_invite_is_refused(
    client: httpx.AsyncClient, make_archer: MakeArcher, db: object
) -> None:
    from arch_stats.core.database import Connection

    assert isinstance(db, Connection)
    owner, a = await make_archer("O"), await make_archer("A")
    club_id = (await client.post(f"{API}/club", json={"name": "C"}, headers=owner.headers)).json()[
        "data"
    ]["id"]
    code = await invite(client, club_id, owner, "member")
    await db.execute(
        "UPDATE club_invite SET created_at = now() - interval '2 days', "
        "expires_at = now() - interval '1 second'"
    )
    r = await client.post(f"{API}/club/join", json={"code": code}, headers=a.headers)
    assert r.status_code == 404


async def test_roles_removal_leave_and_the_last_owner(
    client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    club = await make_club(client, make_archer)
    base = f"{API}/club/{club.id}/member"
    # Members and coaches cannot change roles.
    for who in (club.coach, club.sharing):
        r = await client.patch(
            f"{base}/{club.private.id}", json={"role": "coach"}, headers=who.headers
        )
        assert r.status_code == 404
    # The only owner cannot step down or leave.
    r = await client.patch(
        f"{base}/{club.owner.id}", json={"role": "member"}, headers=club.owner.headers
    )
    assert r.status_code == 409
    r = await client.delete(f"{base}/{club.owner.id}", headers=club.owner.headers)
    assert r.status_code == 409
    r = await client.patch(
        f"{base}/{club.sharing.id}", json={"role": "owner"}, headers=club.owner.headers
    )
    assert r.status_code == 200
    roles = {m["archer_id"]: m["role"] for m in r.json()["data"]}
    assert roles[str(club.sharing.id)] == "owner"
    # Now the first owner may leave.
    r = await client.delete(f"{base}/{club.owner.id}", headers=club.owner.headers)
    assert r.status_code == 204
    r = await client.get(f"{API}/club/{club.id}", headers=club.owner.headers)
    assert r.status_code == 404
    # The new owner removes a member; a member leaves by themselves.
    r = await client.delete(f"{base}/{club.private.id}", headers=club.sharing.headers)
    assert r.status_code == 204
    r = await client.delete(f"{base}/{club.coach.id}", headers=club.coach.headers)
    assert r.status_code == 204
    r = await client.get(f"{base}", headers=club.sharing.headers)
    assert [m["archer_id"] for m in r.json()["data"]] == [str(club.sharing.id)]


async def test_coach_reads_a_sharing_member_read_only(
    client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    club = await make_club(client, make_archer)
    shared = await session_with_shots(client, club.sharing)
    private = await session_with_shots(client, club.private)
    for path in ("", "/shot", "/stats", "/scorecard", "/target"):
        r = await client.get(f"{API}/session/{shared}{path}", headers=club.coach.headers)
        assert r.status_code == 200, (path, r.text)
        r = await client.get(f"{API}/session/{private}{path}", headers=club.coach.headers)
        assert r.status_code == 404, path
        assert r.json()["data"] is None
    r = await client.get(f"{API}/session?archer_id={club.sharing.id}", headers=club.coach.headers)
    assert [s["id"] for s in r.json()["data"]] == [shared]
    r = await client.get(f"{API}/session?archer_id={club.private.id}", headers=club.coach.headers)
    assert r.status_code == 404
    r = await client.get(
        f"{API}/stats/history?archer_id={club.sharing.id}", headers=club.coach.headers
    )
    assert r.status_code == 200 and len(r.json()["data"]["rows"]) == 1
    # Members do not read each other.
    r = await client.get(f"{API}/session/{shared}", headers=club.private.headers)
    assert r.status_code == 404
    # Writes by the coach: 404, nothing changed.
    r = await client.patch(
        f"{API}/session/{shared}", json={"location": "x"}, headers=club.coach.headers
    )
    assert r.status_code == 404
    r = await client.post(f"{API}/session/{shared}/close", headers=club.coach.headers)
    assert r.status_code == 404
    r = await client.delete(f"{API}/session/{shared}", headers=club.coach.headers)
    assert r.status_code == 404
    r = await client.get(f"{API}/session/{shared}", headers=club.sharing.headers)
    assert r.json()["data"]["is_open"] and r.json()["data"]["location"] == ""
    # Withdrawn consent: the next request is refused.
    r = await client.put(
        f"{API}/club/{club.id}/consent",
        json={"share_with_coaches": False},
        headers=club.sharing.headers,
    )
    assert r.json()["data"]["share_with_coaches"] is False
    r = await client.get(f"{API}/session/{shared}", headers=club.coach.headers)
    assert r.status_code == 404


async def test_notes_on_a_session_and_an_end(
    client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    club = await make_club(client, make_archer)
    shared = await session_with_shots(client, club.sharing)
    private = await session_with_shots(client, club.private)
    r = await client.post(
        f"{API}/session/{shared}/note",
        json={"body": "Elbow up on end 1", "end_no": 1},
        headers=club.coach.headers,
    )
    assert r.status_code == 201, r.text
    note = r.json()["data"]
    assert (note["author_name"], note["end_no"]) == ("Carl Coach", 1)
    r = await client.post(
        f"{API}/session/{private}/note", json={"body": "x"}, headers=club.coach.headers
    )
    assert r.status_code == 404
    r = await client.get(f"{API}/session/{shared}/note", headers=club.sharing.headers)
    assert [n["body"] for n in r.json()["data"]] == ["Elbow up on end 1"]
    # Only the author deletes it.
    r = await client.delete(f"{API}/note/{note['id']}", headers=club.sharing.headers)
    assert r.status_code == 404
    r = await client.delete(f"{API}/note/{note['id']}", headers=club.coach.headers)
    assert r.status_code == 200
    r = await client.get(f"{API}/session/{shared}/note", headers=club.sharing.headers)
    assert r.json()["data"] == []


async def test_roster_lists_sharing_members_only(
    client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    club = await make_club(client, make_archer)
    await session_with_shots(client, club.sharing, 6)
    r = await client.get(f"{API}/club/{club.id}/roster", headers=club.coach.headers)
    assert r.status_code == 200, r.text
    roster = {e["name"]: e for e in r.json()["data"]}
    assert set(roster) == {"Olive Owner", "Sam Sharing"}
    assert roster["Sam Sharing"]["last_session"]["arrows"] == 6
    assert roster["Olive Owner"]["last_session"] is None
    r = await client.get(f"{API}/club/{club.id}/roster", headers=club.sharing.headers)
    assert r.status_code == 404


async def test_coach_exports_a_sharing_members_csv(
    client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    club = await make_club(client, make_archer)
    await session_with_shots(client, club.sharing, 4)
    await session_with_shots(client, club.private, 2)
    r = await client.get(
        f"{API}/export/shots.csv?archer_id={club.sharing.id}", headers=club.coach.headers
    )
    assert r.status_code == 200, r.text
    mine = await client.get(f"{API}/export/shots.csv", headers=club.sharing.headers)
    assert r.text == mine.text and len(r.text.strip().splitlines()) == 1 + 4
    r = await client.get(
        f"{API}/export/sessions.csv?archer_id={club.private.id}", headers=club.coach.headers
    )
    assert r.status_code == 404 and r.json()["data"] is None

"""The range timer's API: who may run it (the club's owners and coaches; a member 403, anyone
else 404), its settings by World Archery's defaults, commands (409 when they do not apply),
bad input (422), its public read-only link."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from arch_stats.core.database import Connection
from tests.board.helpers import make_club
from tests.conftest import ArcherCtx, MakeArcher
from tests.timer.conftest import Club

API = "/api/v0"


async def new_timer(
    client: httpx.AsyncClient, club: Club, who: ArcherCtx | None = None, **body: Any
) -> dict[str, Any]:
    r = await client.post(
        f"{API}/club/{club.id}/timer",
        json={"name": "Indoor club night", **body},
        headers=(who or club.owner).headers,
    )
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def command(
    client: httpx.AsyncClient, timer_id: str, who: ArcherCtx, **body: Any
) -> httpx.Response:
    return await client.post(f"{API}/timer/{timer_id}/command", json=body, headers=who.headers)


async def test_a_new_timer_has_world_archery_times(client: httpx.AsyncClient, club: Club) -> None:
    t = await new_timer(client, club)
    assert (t["mode"], t["details"], t["arrows"]) == ("details", 2, 3)
    assert (t["shoot_seconds"], t["walkup_seconds"], t["warning_seconds"]) == (120, 10, 30)
    assert t["state"]["phase"] == "ready" and t["state"]["next_order"] == ["AB", "CD"]
    assert t["can_control"] is True and t["link_created_at"] is None
    outdoor = await new_timer(client, club, club.coach, name="Outdoor", arrows=6)
    assert outdoor["shoot_seconds"] == 240
    match = await new_timer(client, club, name="Final", mode="alternating", sides=["Mia", "Sam"])
    assert (match["shoot_seconds"], match["warning_seconds"], match["details"]) == (20, 5, 1)
    assert match["sides"] == ["Mia", "Sam"]
    # six arrows by a change: 240 s, unless a time is given
    r = await client.patch(f"{API}/timer/{t['id']}", json={"arrows": 6}, headers=club.owner.headers)
    assert r.status_code == 200 and r.json()["data"]["shoot_seconds"] == 240


async def test_organisers_run_it_members_see_it_others_do_not(
    client: httpx.AsyncClient, club: Club
) -> None:
    t = await new_timer(client, club)
    tid = t["id"]
    r = await command(client, tid, club.coach, action="start")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["state"]["phase"] == "walkup"
    assert r.json()["data"]["state"]["signal"] == 2

    # a member sees it, and may not run it: 403
    r = await client.get(f"{API}/timer/{tid}", headers=club.member.headers)
    assert r.status_code == 200 and r.json()["data"]["can_control"] is False
    r = await client.get(f"{API}/club/{club.id}/timer", headers=club.member.headers)
    assert [x["id"] for x in r.json()["data"]] == [tid]
    member_calls = [
        ("POST", f"/timer/{tid}/command", {"action": "pause"}),
        ("PATCH", f"/timer/{tid}", {"name": "Mine now"}),
        ("DELETE", f"/timer/{tid}", None),
        ("POST", f"/timer/{tid}/link", None),
        ("DELETE", f"/timer/{tid}/link", None),
        ("POST", f"/club/{club.id}/timer", {"name": "Another"}),
    ]
    for method, path, body in member_calls:
        r = await client.request(method, API + path, json=body, headers=club.member.headers)
        assert r.status_code == 403, (method, path, r.text)
        assert r.json()["data"] is None and r.json()["errors"]
    # anyone else: there is no such timer (nor club)
    for method, path, body in [
        *member_calls,
        ("GET", f"/timer/{tid}", None),
        ("GET", f"/club/{club.id}/timer", None),
    ]:
        r = await client.request(method, API + path, json=body, headers=club.outsider.headers)
        assert r.status_code == 404, (method, path, r.text)
        assert r.json()["data"] is None
    r = await client.post(f"{API}/timer/{tid}/command", json={"action": "pause"})
    assert r.status_code == 401
    # nothing they tried changed it
    r = await client.get(f"{API}/timer/{tid}", headers=club.owner.headers)
    assert r.json()["data"]["name"] == "Indoor club night"
    assert r.json()["data"]["state"]["paused_remaining_ms"] is None


async def test_commands_pause_resume_and_next(client: httpx.AsyncClient, club: Club) -> None:
    tid = (await new_timer(client, club))["id"]
    assert (await command(client, tid, club.owner, action="pause")).status_code == 409
    await command(client, tid, club.owner, action="start")
    r = await command(client, tid, club.owner, action="next")  # walk-up cut short
    state = r.json()["data"]["state"]
    assert (state["phase"], state["detail"], state["signal"]) == ("shoot", "AB", 1)
    r = await command(client, tid, club.owner, action="pause")
    paused = r.json()["data"]["state"]
    assert 0 < paused["paused_remaining_ms"] <= 120_000 and paused["ends_at"] is None
    assert (await command(client, tid, club.owner, action="pause")).status_code == 409
    r = await command(client, tid, club.owner, action="resume")
    resumed = r.json()["data"]["state"]
    assert resumed["paused_remaining_ms"] is None
    assert resumed["ends_at"] - resumed["server_now"] == paused["paused_remaining_ms"]
    r = await command(client, tid, club.owner, action="next")
    state = r.json()["data"]["state"]
    assert (state["phase"], state["detail"], state["turn"]) == ("walkup", "CD", 1)
    # settings wait for the end to be over
    r = await client.patch(f"{API}/timer/{tid}", json={"arrows": 6}, headers=club.owner.headers)
    assert r.status_code == 409
    r = await command(client, tid, club.owner, action="emergency")
    assert r.json()["data"]["state"]["emergency"] is True
    assert r.json()["data"]["state"]["signal"] == 5
    assert (await command(client, tid, club.owner, action="next")).status_code == 409
    r = await command(client, tid, club.owner, action="reset")
    assert r.json()["data"]["state"]["phase"] == "ready"


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "x", "surprise": 1},
        {"name": "x", "arrows": 0},
        {"name": "x", "arrows": "3"},
        {"name": "x", "shoot_seconds": 1e9},
        {"name": "x", "shoot_seconds": 60, "warning_seconds": 60},
        {"name": "x", "mode": "sudden-death"},
        {"name": "x", "mode": "alternating", "details": 2},
        {"name": "x", "details": 3},
        {"name": "x", "sides": ["only one"]},
        {"name": "x" * 61},
    ],
)
async def test_bad_settings_422(
    client: httpx.AsyncClient, club: Club, body: dict[str, Any]
) -> None:
    r = await client.post(f"{API}/club/{club.id}/timer", json=body, headers=club.owner.headers)
    assert r.status_code == 422, r.text
    assert r.json()["data"] is None and r.json()["errors"]


async def test_bad_commands_422(client: httpx.AsyncClient, club: Club) -> None:
    tid = (await new_timer(client, club))["id"]
    match_id = (await new_timer(client, club, name="Final", mode="alternating"))["id"]
    cases: list[tuple[str, dict[str, Any]]] = [
        (tid, {"action": "explode"}),
        (tid, {}),
        (tid, {"action": "start", "first": "a"}),  # details have no first archer
        (match_id, {"action": "pause", "first": "a"}),
        (match_id, {"action": "start", "first": "c"}),
        (tid, {"action": ["start"]}),
    ]
    for timer_id, body in cases:
        r = await command(client, timer_id, club.owner, **body)
        assert r.status_code == 422, (body, r.text)
    r = await client.post(
        f"{API}/timer/not-a-uuid/command", json={"action": "start"}, headers=club.owner.headers
    )
    assert r.status_code in (404, 422)
    r = await command(client, match_id, club.owner, action="start", first="b")
    assert r.status_code == 200


async def test_public_link_shows_no_ids_and_stops_when_revoked(
    client: httpx.AsyncClient, club: Club
) -> None:
    t = await new_timer(client, club)
    r = await client.post(f"{API}/timer/{t['id']}/link", headers=club.coach.headers)
    assert r.status_code == 201
    token = r.json()["data"]["token"]
    assert token.startswith("ast_") and r.json()["data"]["path"] == f"/app/timer/{token}"
    r = await client.get(f"{API}/timer/public/{token}")
    assert r.status_code == 200
    public = r.json()["data"]
    assert public["club"] == {"name": "Riverside Archers"}
    assert public["state"]["phase"] == "ready"
    assert t["id"] not in r.text and str(club.id) not in r.text
    assert "id" not in public and "club_id" not in public
    r = await client.get(f"{API}/timer/{t['id']}", headers=club.owner.headers)
    assert r.json()["data"]["link_created_at"] is not None
    # a new link replaces it
    r = await client.post(f"{API}/timer/{t['id']}/link", headers=club.owner.headers)
    assert (await client.get(f"{API}/timer/public/{token}")).status_code == 404
    token = r.json()["data"]["token"]
    r = await client.delete(f"{API}/timer/{t['id']}/link", headers=club.owner.headers)
    assert r.status_code == 200
    assert (await client.get(f"{API}/timer/public/{token}")).status_code == 404
    r = await client.delete(f"{API}/timer/{t['id']}/link", headers=club.owner.headers)
    assert r.status_code == 404
    for bad in ("asb_nothing", "ast_" + "x" * 80, "ast_unknown"):
        assert (await client.get(f"{API}/timer/public/{bad}")).status_code == 404


async def test_delete(client: httpx.AsyncClient, club: Club) -> None:
    t = await new_timer(client, club)
    r = await client.delete(f"{API}/timer/{t['id']}", headers=club.coach.headers)
    assert r.status_code == 200 and r.json()["data"] == {"deleted": True}
    r = await client.get(f"{API}/timer/{t['id']}", headers=club.owner.headers)
    assert r.status_code == 404


async def new_competition(client: httpx.AsyncClient, club_id: object, who: ArcherCtx) -> str:
    r = await client.post(
        f"{API}/competition",
        json={
            "club_id": str(club_id),
            "name": "Tuesday club night",
            "starts_on": "2026-12-08",
            "round_code": "wa18",
            "arrows_per_end": 3,
            "categories": [{"bowstyle": "recurve"}],
        },
        headers=who.headers,
    )
    assert r.status_code == 201, r.text
    competition_id: str = r.json()["data"]["id"]
    return competition_id


async def test_a_competitions_timer_is_listed_with_it_and_goes_with_it(
    client: httpx.AsyncClient, club: Club, db: Connection, make_archer: MakeArcher
) -> None:
    """A timer made for one of the club's competitions names it, is listed with it (members),
    and is deleted with it; a competition of another club, or none, is refused (422)."""
    competition_id = await new_competition(client, club.id, club.owner)
    mine = await new_timer(client, club, club.coach, competition_id=competition_id)
    assert mine["competition_id"] == competition_id
    plain = await new_timer(client, club, name="Practice")
    assert plain["competition_id"] is None
    r = await client.get(
        f"{API}/club/{club.id}/timer",
        params={"competition_id": competition_id},
        headers=club.member.headers,
    )
    assert r.status_code == 200, r.text
    assert [t["id"] for t in r.json()["data"]] == [mine["id"]]
    r = await client.get(f"{API}/club/{club.id}/timer", headers=club.member.headers)
    assert {t["id"] for t in r.json()["data"]} == {mine["id"], plain["id"]}
    # Another club's competition (its owner is an organiser there, not here), or none: 422.
    other_owner = await make_archer("Oscar Other")
    other_club = await make_club(db, other_owner, (club.owner, "coach"), name="Lakeside")
    theirs = await new_competition(client, other_club, other_owner)
    for bad in (theirs, str(uuid.uuid4())):
        r = await client.post(
            f"{API}/club/{club.id}/timer",
            json={"name": "Borrowed", "competition_id": bad},
            headers=club.owner.headers,
        )
        assert r.status_code == 422, r.text
        assert "competition_id" in r.json()["errors"][0]
    r = await client.get(
        f"{API}/club/{club.id}/timer",
        params={"competition_id": "not-a-uuid"},
        headers=club.member.headers,
    )
    assert r.status_code == 422, r.text
    # The competition deleted: its timer with it, the club's other timer stays.
    r = await client.delete(f"{API}/competition/{competition_id}", headers=club.owner.headers)
    assert r.status_code == 200, r.text
    r = await client.get(f"{API}/timer/{mine['id']}", headers=club.owner.headers)
    assert r.status_code == 404
    r = await client.get(f"{API}/timer/{plain['id']}", headers=club.owner.headers)
    assert r.status_code == 200

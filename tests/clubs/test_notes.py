"""Notes anchored to their end (and optionally one arrow of it), read per reader; what a
watcher may do with a session (the live page's watching view) and whose arrows it shows."""

from __future__ import annotations

import httpx

from tests.clubs.helpers import make_club, session_with_shots
from tests.conftest import ArcherCtx, MakeArcher

API = "/api/v0"


async def test_a_note_is_anchored_to_an_end_and_one_of_its_arrows(
    client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    club = await make_club(client, make_archer)
    shared = await session_with_shots(client, club.sharing, 8)  # end 1 full, 2 arrows of end 2
    r = await client.post(
        f"{API}/session/{shared}/note",
        json={"body": "Arrow 2 low: the bow arm dropped", "end_no": 2, "end_place": 2},
        headers=club.coach.headers,
    )
    assert r.status_code == 201, r.text
    note = r.json()["data"]
    assert (note["end_no"], note["end_place"], note["read"]) == (2, 2, True)
    r = await client.get(f"{API}/session/{shared}/note", headers=club.sharing.headers)
    [listed] = r.json()["data"]
    assert (listed["id"], listed["end_no"], listed["end_place"]) == (note["id"], 2, 2)
    assert listed["read"] is False  # the archer has not opened it yet


async def test_a_note_beyond_the_session_is_refused_in_the_envelope(
    client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    club = await make_club(client, make_archer)
    shared = await session_with_shots(client, club.sharing, 8)
    cases = [
        ({"body": "x", "end_no": 3}, "end 3 is beyond the session (2 ends shot)"),
        ({"body": "x", "end_no": 2, "end_place": 3}, "no arrow recorded at place 3"),
        ({"body": "x", "end_place": 1}, "give end_no too"),
        ({"body": "x", "end_no": 1, "end_place": 0}, "end_place"),
        ({"body": "x", "end_no": 1, "end_place": "1"}, "end_place"),
    ]
    for body, says in cases:
        r = await client.post(f"{API}/session/{shared}/note", json=body, headers=club.coach.headers)
        assert r.status_code == 422, (body, r.text)
        answer = r.json()
        assert answer["code"] == 422 and answer["data"] is None, body
        assert any(says in e for e in answer["errors"]), (body, answer["errors"])
    r = await client.post(f"{API}/session", json={"distance_m": 18}, headers=club.owner.headers)
    empty = r.json()["data"]["id"]
    r = await client.post(
        f"{API}/session/{empty}/note", json={"body": "x", "end_no": 1}, headers=club.owner.headers
    )
    assert r.status_code == 422 and "no end yet" in r.json()["errors"][0]
    r = await client.get(f"{API}/session/{shared}/note", headers=club.coach.headers)
    assert r.json()["data"] == []  # nothing was written


async def test_only_the_archer_and_their_coaches_write_notes(
    client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    club = await make_club(client, make_archer)
    outsider = await make_archer("Otto Outsider")
    shared = await session_with_shots(client, club.sharing, 3)
    anchored = {"body": "Nice end", "end_no": 1, "end_place": 1}
    # A member of the same club (not staff), one who does not share, an outsider: as if the
    # session did not exist.
    for who in (club.private, outsider):
        r = await client.post(f"{API}/session/{shared}/note", json=anchored, headers=who.headers)
        assert r.status_code == 404, r.text
        assert r.json()["data"] is None and r.json()["errors"]
    for who in (club.owner, club.coach, club.sharing):  # the club's owner, its coach, the archer
        r = await client.post(f"{API}/session/{shared}/note", json=anchored, headers=who.headers)
        assert r.status_code == 201, r.text
        assert r.json()["data"]["end_place"] == 1


async def test_read_state_is_per_reader(client: httpx.AsyncClient, make_archer: MakeArcher) -> None:
    club = await make_club(client, make_archer)
    shared = await session_with_shots(client, club.sharing, 3)
    r = await client.post(
        f"{API}/session/{shared}/note",
        json={"body": "Breathe out before the shot", "end_no": 1},
        headers=club.coach.headers,
    )
    note = r.json()["data"]

    async def read_by(who: ArcherCtx) -> bool:
        r = await client.get(f"{API}/session/{shared}/note", headers=who.headers)
        [n] = r.json()["data"]
        return bool(n["read"])

    assert (await read_by(club.sharing), await read_by(club.owner), await read_by(club.coach)) == (
        False,
        False,
        True,  # the author
    )
    for _ in range(2):  # opening it again changes nothing
        r = await client.post(f"{API}/note/{note['id']}/read", headers=club.sharing.headers)
        assert r.status_code == 200, r.text
        assert r.json()["data"]["read"] is True and r.json()["data"]["body"] == note["body"]
    assert (await read_by(club.sharing), await read_by(club.owner)) == (True, False)


async def test_other_peoples_notes_are_not_found(
    client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    club = await make_club(client, make_archer)
    outsider = await make_archer("Otto Outsider")
    private = await session_with_shots(client, club.private, 3)
    r = await client.post(
        f"{API}/session/{private}/note",
        json={"body": "mine", "end_no": 1},
        headers=club.private.headers,
    )
    note_id = r.json()["data"]["id"]
    for who in (club.coach, club.owner, club.sharing, outsider):
        r = await client.post(f"{API}/note/{note_id}/read", headers=who.headers)
        assert r.status_code == 404, r.text
        assert r.json()["data"] is None and r.json()["errors"]
        r = await client.get(f"{API}/session/{private}/access", headers=who.headers)
        assert r.status_code == 404
    r = await client.post(
        "/api/v0/note/00000000-0000-4000-8000-000000000000/read", headers=club.private.headers
    )
    assert r.status_code == 404
    r = await client.post(f"{API}/note/not-an-id/read", headers=club.private.headers)
    assert r.status_code == 422 and r.json()["data"] is None


async def test_access_says_who_records_and_who_watches(
    client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    club = await make_club(client, make_archer)
    shared = await session_with_shots(client, club.sharing, 3)
    r = await client.get(f"{API}/session/{shared}/access", headers=club.sharing.headers)
    assert r.status_code == 200, r.text
    own = r.json()["data"]
    assert (own["access"], own["may_record"], own["may_note"]) == ("own", True, True)
    assert (own["archer_id"], own["archer_name"]) == (str(club.sharing.id), "Sam Sharing")
    r = await client.get(f"{API}/session/{shared}/access", headers=club.coach.headers)
    watch = r.json()["data"]
    assert (watch["access"], watch["may_record"], watch["may_note"]) == ("coach", False, True)
    assert watch["archer_id"] == str(club.sharing.id)


async def test_a_coach_lists_the_members_arrows_for_the_markers(
    client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    club = await make_club(client, make_archer)
    outsider = await make_archer("Otto Outsider")
    for who, prefix in ((club.sharing, "S"), (club.private, "P"), (club.coach, "C")):
        r = await client.post(
            f"{API}/arrow/set", json={"prefix": prefix, "count": 2}, headers=who.headers
        )
        assert r.status_code == 201, r.text
    r = await client.get(
        f"{API}/arrow", params={"archer_id": str(club.sharing.id)}, headers=club.coach.headers
    )
    assert r.status_code == 200, r.text
    assert [a["identifier"] for a in r.json()["data"]] == ["S01", "S02"]
    r = await client.get(
        f"{API}/arrow", params={"archer_id": str(club.coach.id)}, headers=club.coach.headers
    )
    assert [a["identifier"] for a in r.json()["data"]] == ["C01", "C02"]  # one's own
    not_shared = ((club.coach, club.private), (outsider, club.sharing), (club.sharing, club.coach))
    for who, whose in not_shared:
        r = await client.get(
            f"{API}/arrow", params={"archer_id": str(whose.id)}, headers=who.headers
        )
        assert r.status_code == 404, r.text
        assert r.json()["data"] is None

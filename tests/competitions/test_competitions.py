"""Club competitions by the API: the target list, scoring at the bale, confirmed ends, the
ranking by the round's rules, guests, the public link, CSV and PDF."""

from __future__ import annotations

import uuid

import httpx

from arch_stats.core.database import Connection
from tests.competitions.helpers import API, GUESTS, bale, club_night, end_of
from tests.conftest import MakeArcher


async def test_target_list_by_category_with_moves_and_swaps(
    client: httpx.AsyncClient, make_archer: MakeArcher, db: Connection
) -> None:
    night = await club_night(client, make_archer, db, start=False)
    places = {n: (e["bale"], e["detail"], e["category"]) for n, e in night.entries.items()}
    # By category (the competition's order), then name: four to a bale, A to D.
    assert places["Adam"] == (1, "A", "Recurve Men")
    assert places["Dan"] == (1, "D", "Recurve Men")
    assert places["Eve"] == (2, "A", "Recurve Women")
    assert places["Ivo"] == (3, "A", "Barebow Open")
    assert places["Lou"] == (3, "D", "Barebow Open")
    assert {e["guest"] for n, e in night.entries.items() if n in GUESTS} == {True}
    owner, adam, eve = night.owner, night.entries["Adam"], night.entries["Eve"]
    path = f"{API}/competition/{night.id}"
    r = await client.put(
        f"{path}/entry/{adam['id']}/place", json={"bale": 2, "detail": 1}, headers=owner.headers
    )
    assert r.status_code == 409 and "Eve" in r.json()["errors"][0], r.text
    r = await client.put(
        f"{path}/entry/{adam['id']}/place", json={"bale": 4, "detail": 5}, headers=owner.headers
    )
    assert r.status_code == 422  # four archers to a bale: A–D
    r = await client.post(
        f"{path}/swap", json={"a": adam["id"], "b": eve["id"]}, headers=owner.headers
    )
    assert r.status_code == 200, r.text
    moved = {e["name"]: (e["bale"], e["detail"]) for e in r.json()["data"]["entrants"]}
    assert (moved["Adam"], moved["Eve"]) == ((2, "A"), (1, "A"))
    r = await client.put(
        f"{path}/entry/{adam['id']}/place", json={"bale": 4, "detail": 1}, headers=owner.headers
    )
    assert r.status_code == 200
    # Members read it; they do not organise it; outsiders do not see it.
    r = await client.post(f"{path}/targets", headers=night.members["Ben"].headers)
    assert r.status_code == 403
    r = await client.get(path, headers=night.members["Ben"].headers)
    assert r.status_code == 200 and r.json()["data"]["my_role"] == "member"
    r = await client.get(path, headers=night.outsider.headers)
    assert r.status_code == 404
    # A guest never signs in, and is no account an administrator sees.
    guests = await db.fetch("SELECT email, disabled_at FROM archer WHERE is_guest")
    assert len(guests) == 3 and all(g["disabled_at"] is not None for g in guests)
    r = await client.post(
        f"{API}/auth/login", json={"email": guests[0]["email"], "password": "x" * 12}
    )
    assert r.status_code in (401, 422) and r.json()["data"] is None


async def test_bale_scores_everyone_once_and_a_confirmed_end_is_locked(
    client: httpx.AsyncClient, make_archer: MakeArcher, db: Connection
) -> None:
    night = await club_night(client, make_archer, db)
    ben, carl = night.members["Ben"], night.members["Carl"]
    # Ben's phone is bale 1's: it scores Carl and the guest Dan as well as himself.
    archers = {a["name"]: a for a in (await bale(client, night, 1, ben))["archers"]}
    assert [a["detail"] for a in archers.values()] == ["A", "B", "C", "D"]
    post = end_of(archers["Dan"], ["10", "9", "8"])
    r = await client.post(f"{API}/competition/shot", json=post, headers=ben.headers)
    assert r.status_code == 201, r.text
    # Offline and sent again (the answer was lost): stored once.
    r = await client.post(f"{API}/competition/shot", json=post, headers=ben.headers)
    assert r.status_code == 200, r.text
    assert (
        await db.fetchval(
            "SELECT count(*) FROM shot WHERE session_id = $1",
            uuid.UUID(archers["Dan"]["session_id"]),
        )
        == 3
    )
    # Someone on another bale does not score this one.
    r = await client.post(
        f"{API}/competition/shot",
        json=end_of(archers["Carl"], ["10", "10", "10"]),
        headers=night.members["Eve"].headers,
    )
    assert r.status_code == 404
    r = await client.post(
        f"{API}/competition/shot",
        json=end_of(archers["Carl"], ["10", "9"]),
        headers=ben.headers,
    )
    assert r.status_code == 201
    dan, carl_entry = archers["Dan"]["id"], archers["Carl"]["id"]
    path = f"{API}/competition/{night.id}/entry"
    r = await client.post(f"{path}/{carl_entry}/end/1/confirm", headers=ben.headers)
    assert r.status_code == 409 and "2 of 3 arrows" in r.json()["errors"][0]
    # The bale phone confirms for Dan (the scorer and the archer sign together).
    r = await client.post(f"{path}/{dan}/end/1/confirm", headers=ben.headers)
    assert r.status_code == 200, r.text
    shot_id = r_shot = (await bale(client, night, 1, ben))["archers"][3]["shots"][0]["id"]
    r = await client.patch(
        f"{API}/competition/shot/{r_shot}", json={"value": "7"}, headers=ben.headers
    )
    assert r.status_code == 409, r.text
    assert r.json()["errors"] == [
        "end 1 is confirmed by Dan: the archer or an organiser must release it before its "
        "arrows change"
    ]
    r = await client.delete(f"{API}/competition/shot/{shot_id}", headers=ben.headers)
    assert r.status_code == 409
    # The scorer alone cannot release it; an organiser can.
    r = await client.delete(f"{path}/{dan}/end/1/confirm", headers=ben.headers)
    assert r.status_code == 403
    r = await client.delete(f"{path}/{dan}/end/1/confirm", headers=night.owner.headers)
    assert r.status_code == 200
    r = await client.patch(
        f"{API}/competition/shot/{shot_id}", json={"value": "7"}, headers=ben.headers
    )
    assert r.status_code == 200 and r.json()["data"]["score"] == 7
    # An archer's own confirmed end: the archer releases it with their own login.
    r = await client.post(
        f"{API}/competition/shot",
        json=end_of(archers["Carl"], ["8"]),
        headers=carl.headers,
    )
    assert r.status_code == 201
    r = await client.post(f"{path}/{carl_entry}/end/1/confirm", headers=carl.headers)
    assert r.status_code == 200
    carl_shot = await db.fetchval(
        "SELECT id FROM shot WHERE session_id = $1 ORDER BY seq LIMIT 1",
        uuid.UUID(archers["Carl"]["session_id"]),
    )
    r = await client.patch(f"{API}/shot/{carl_shot}", json={"value": "X"}, headers=carl.headers)
    assert r.status_code == 409  # not even through the archer's own shot route
    r = await client.delete(f"{path}/{carl_entry}/end/1/confirm", headers=carl.headers)
    assert r.status_code == 200


async def _score(
    client: httpx.AsyncClient, night: object, bale_no: int, who: object, ends: dict[str, list[str]]
) -> None:
    from tests.competitions.helpers import Night

    assert isinstance(night, Night)
    archers = {a["name"]: a for a in (await bale(client, night, bale_no, who))["archers"]}  # type: ignore[arg-type]
    for name, values in ends.items():
        r = await client.post(
            f"{API}/competition/shot",
            json=end_of(archers[name], values),
            headers=night.owner.headers,
        )
        assert r.status_code == 201, r.text


async def test_ranking_per_category_breaks_ties_by_ten_x_then_x(
    client: httpx.AsyncClient, make_archer: MakeArcher, db: Connection
) -> None:
    night = await club_night(client, make_archer, db)
    owner = night.owner
    # 28 each for Adam, Ben and Carl: Carl has two 10+X and an X, Adam two 10+X, Ben one.
    await _score(
        client,
        night,
        1,
        owner,
        {"Adam": ["10", "10", "8"], "Ben": ["10", "9", "9"], "Carl": ["X", "10", "8"],
         "Dan": ["9", "9", "9"]},
    )  # fmt: skip
    await _score(client, night, 3, owner, {"Lou": ["10", "10", "10"], "Jo": ["9", "8", "7"]})
    r = await client.get(f"{API}/competition/{night.id}/results", headers=owner.headers)
    assert r.status_code == 200, r.text
    cats = {c["label"]: c for c in r.json()["data"]["categories"]}
    assert list(cats) == ["Recurve Men", "Recurve Women", "Barebow Open"]
    men = [
        (x["place"], x["name"], x["total"], x["ten_x"], x["x"]) for x in cats["Recurve Men"]["rows"]
    ]
    assert men == [
        (1, "Carl", 28, 2, 1),
        (2, "Adam", 28, 2, 0),
        (3, "Ben", 28, 1, 0),
        (4, "Dan", 27, 0, 0),
    ]
    barebow = [(x["place"], x["name"], x["guest"]) for x in cats["Barebow Open"]["rows"]]
    assert barebow[:2] == [(1, "Lou", True), (2, "Jo", False)]
    assert [x["place"] for x in cats["Recurve Women"]["rows"]] == [None] * 4  # not shot yet
    # The public link: names and scores, no ids; revoked, it is gone.
    r = await client.post(f"{API}/competition/{night.id}/results/link", headers=owner.headers)
    assert r.status_code == 201, r.text
    token = r.json()["data"]["token"]
    r = await client.get(f"{API}/results/{token}")
    assert r.status_code == 200
    public = r.json()["data"]["categories"][0]["rows"][0]
    assert public["name"] == "Carl" and "entry_id" not in public and "archer_id" not in public
    # CSV and PDF for the club's records.
    r = await client.get(f"{API}/competition/{night.id}/results.csv", headers=owner.headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.text.splitlines()
    assert lines[0].startswith("category,place,name,guest,target,arrows,total")
    assert lines[1].startswith("Recurve Men,1,Carl,no,1C,3,28,")
    assert any(line.startswith("Barebow Open,1,Lou,yes,") for line in lines)
    r = await client.get(f"{API}/competition/{night.id}/results.pdf", headers=owner.headers)
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    r = await client.get(f"{API}/competition/{night.id}/results", headers=night.outsider.headers)
    assert r.status_code == 404
    r = await client.delete(f"{API}/competition/{night.id}/results/link", headers=owner.headers)
    assert r.status_code == 200
    r = await client.get(f"{API}/results/{token}")
    assert r.status_code == 404
    # Finished: sessions closed, no more arrows.
    r = await client.post(f"{API}/competition/{night.id}/finish", headers=owner.headers)
    assert r.status_code == 200
    assert not await db.fetchval(
        "SELECT bool_or(s.is_open) FROM session s JOIN competition_entry e ON e.session_id = s.id"
    )

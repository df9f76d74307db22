"""Brackets by the API against the real server and PostgreSQL: a bracket of 8 by the set
system won through to the final with a shoot-off decided by the distance from the centre;
a compound bracket by cumulative score; byes; who may score; a post sent again."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import httpx

from arch_stats.core.database import Connection
from tests.conftest import MakeArcher
from tests.matches.helpers import API, competition, end, values

# Qualification totals of seeds 1…8 (guest n shot the n-th).
EIGHT = [29, 28, 27, 26, 25, 24, 23, 22]


def _matches(bracket: dict[str, Any], round_no: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = next(r for r in bracket["rounds"] if r["round_no"] == round_no)[
        "matches"
    ]
    return found


def _seeds(match: dict[str, Any]) -> list[int | None]:
    return [None if s is None else s["seed"] for s in match["sides"]]


async def _face_centre(db: Connection, session_id: str) -> tuple[float, float]:
    row = await db.fetchrow(
        """SELECT f.center_x_mm, f.center_y_mm FROM target t
           JOIN target_face f ON f.target_id = t.id WHERE t.session_id = $1""",
        UUID(session_id),
    )
    assert row is not None
    return row["center_x_mm"], row["center_y_mm"]


async def test_bracket_of_8_sets_with_shoot_off_by_distance(
    client: httpx.AsyncClient, db: Connection, make_archer: MakeArcher
) -> None:
    owner = await make_archer("Olive Owner")
    cid, key, seeds = await competition(
        client, db, owner, round_code="wa720_70", bowstyle="recurve", totals=EIGHT
    )
    r = await client.post(
        f"{API}/competition/{cid}/bracket", json={"category_key": key}, headers=owner.headers
    )
    assert r.status_code == 201, r.text
    bracket = r.json()["data"]
    assert (bracket["system"], bracket["size"]) == ("sets", 8)
    first = _matches(bracket, 0)
    assert [_seeds(m) for m in first] == [[1, 8], [4, 5], [2, 7], [3, 6]]
    assert first[0]["sides"][0]["entry_id"] == seeds[1]
    # Quarter-finals: the upper archer wins 6–0 in three sets (ends of 3 by value).
    for m in first:
        for n in (1, 2, 3):
            assert (
                await end(client, owner, m["id"], 0, n, values("10", "9", "9"))
            ).status_code == 200
            r = await end(client, owner, m["id"], 1, n, values("9", "8", "8"))
            assert r.status_code == 200, r.text
        done = r.json()["data"]
        assert (done["status"], done["winner"], done["score"]) == ("decided", 0, [6, 0])
    # A fourth end of a decided match is refused.
    r = await end(client, owner, first[0]["id"], 0, 4, values("10", "10", "10"))
    assert r.status_code == 409, r.text
    r = await client.get(f"{API}/bracket/{bracket['id']}", headers=owner.headers)
    semis = _matches(r.json()["data"], 1)
    assert [_seeds(m) for m in semis] == [[1, 4], [2, 3]]
    # Semi-final 1 v 4: five sets tied 5–5, then one arrow each: both 10s, seed 4's closer.
    semi = semis[0]["id"]
    for n in range(1, 6):
        for side in (0, 1):
            r = await end(client, owner, semi, side, n, values("9", "9", "9"))
            assert r.status_code == 200, r.text
    state = r.json()["data"]
    assert (state["status"], state["score"], state["next"]) == (
        "shoot_off",
        [5, 5],
        {"end_no": 6, "arrows": 1},
    )
    sides = state["sides"]
    cx0, cy0 = await _face_centre(db, sides[0]["session_id"])
    cx1, cy1 = await _face_centre(db, sides[1]["session_id"])
    r = await end(client, owner, semi, 0, 6, [{"x_mm": cx0 + 18.0, "y_mm": cy0 - 24.0}])  # 30 mm
    assert r.status_code == 200, r.text
    assert r.json()["data"]["status"] == "shoot_off"  # one arrow is not a shoot-off yet
    mine = {"id": str(uuid4()), "x_mm": cx1 - 20.0, "y_mm": cy1 + 21.0}  # 29 mm
    r = await end(client, owner, semi, 1, 6, [mine])
    assert r.status_code == 200, r.text
    won = r.json()["data"]
    assert (won["status"], won["winner"]) == ("decided", 1)
    assert won["reason"] == (
        "won in a shoot-off: equal 10s, closer to the centre: 29.0 mm against 30.0 mm"
    )
    assert [a["distance_mm"] for a in won["shoot_offs"][0]["arrows"]] == [30.0, 29.0]
    # The same post sent again (the outbox after a lost answer) writes nothing.
    r = await end(client, owner, semi, 1, 6, [mine])
    assert r.status_code == 200, r.text
    assert r.json()["data"]["shoot_offs"] == won["shoot_offs"]
    # The arrows are the archers' own: a closed session of theirs with the 16 arrows.
    row = await db.fetchrow(
        "SELECT is_open, shot_count FROM session WHERE id = $1", UUID(sides[1]["session_id"])
    )
    assert row is not None and (row["is_open"], row["shot_count"]) == (False, 16)
    r = await client.get(f"{API}/bracket/{bracket['id']}", headers=owner.headers)
    final = _matches(r.json()["data"], 2)[0]
    bronze = _matches(r.json()["data"], -1)[0]
    assert _seeds(final)[0] == 4 and _seeds(bronze)[0] == 1


async def test_shoot_off_by_value_needs_a_judge(
    client: httpx.AsyncClient, db: Connection, make_archer: MakeArcher
) -> None:
    owner = await make_archer("Olive Owner")
    cid, key, _ = await competition(
        client, db, owner, round_code="wa720_70", bowstyle="barebow", totals=[27, 25]
    )
    r = await client.post(
        f"{API}/competition/{cid}/bracket", json={"category_key": key}, headers=owner.headers
    )
    assert r.status_code == 201, r.text
    final = _matches(r.json()["data"], 0)[0]["id"]
    for n in range(1, 7):
        for side in (0, 1):
            arrows = values("9") if n == 6 else values("9", "9", "9")
            r = await end(client, owner, final, side, n, arrows)
            assert r.status_code == 200, r.text
    state = r.json()["data"]
    assert state["status"] == "judge"
    assert "a judge decides" in state["reason"]
    r = await client.post(f"{API}/match/{final}/judge", json={"winner": 0}, headers=owner.headers)
    assert r.status_code == 200, r.text
    assert (r.json()["data"]["status"], r.json()["data"]["winner"]) == ("decided", 0)


async def test_compound_bracket_by_cumulative_score_with_byes(
    client: httpx.AsyncClient, db: Connection, make_archer: MakeArcher
) -> None:
    owner = await make_archer("Olive Owner")
    outsider = await make_archer("Otto Outsider")
    cid, key, _ = await competition(
        client, db, owner, round_code="wa720_50_c", bowstyle="compound", totals=[30, 29, 28]
    )
    r = await client.post(
        f"{API}/competition/{cid}/bracket", json={"category_key": key}, headers=owner.headers
    )
    assert r.status_code == 201, r.text
    bracket = r.json()["data"]
    assert (bracket["system"], bracket["size"], bracket["face_type"]) == ("cumulative", 4, "wa_80")
    first = _matches(bracket, 0)
    assert [_seeds(m) for m in first] == [[1, None], [2, 3]]
    assert (first[0]["status"], first[0]["winner"]) == ("bye", 0)
    assert _seeds(_matches(bracket, 1)[0]) == [1, None]  # the bye's winner is in the final
    match = first[1]["id"]
    r = await end(client, outsider, match, 0, 1, values("X", "X", "X"))
    assert r.status_code == 404, r.text
    # Five ends: seed 3 leads after four (sets would have ended it: cumulative does not).
    for n in range(1, 6):
        low = values("X", "X", "9") if n < 5 else values("8", "8", "8")
        assert (await end(client, owner, match, 0, n, low)).status_code == 200
        r = await end(
            client, owner, match, 1, n, values("X", "X", "X") if n < 5 else values("9", "9", "9")
        )
        assert r.status_code == 200, r.text
    state = r.json()["data"]
    assert (state["status"], state["winner"], state["score"]) == ("decided", 1, [140, 147])
    assert state["reason"] == "won 147–140 on total score"
    r = await client.get(f"{API}/competition/{cid}/bracket", headers=owner.headers)
    final = _matches(r.json()["data"][0], 1)[0]
    assert _seeds(final) == [1, 3]
    bronze = _matches(r.json()["data"][0], -1)[0]
    assert (bronze["status"], _seeds(bronze)) == ("bye", [None, 2])

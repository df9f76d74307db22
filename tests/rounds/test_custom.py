"""Custom rounds (issue 20): saved by an archer or by a club's owner, shot like standard ones;
validated as a whole (faces of the catalogue, whole ends); a club's round is its members' to
shoot and its owners' to change; a session keeps the round it started with."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.clubs.helpers import make_club
from tests.conftest import ArcherCtx, MakeArcher
from tests.rounds.helpers import API, ok, open_round, post, session, shoot, targets

CLUB_252 = {
    "name": "Club 252 (green)",
    "location": "outdoor",
    "arrows_per_end": 6,
    "passes": [
        {"n_arrows": 36, "distance": 30, "distance_unit": "yard", "face_type": "wa_122"},
        {"n_arrows": 12, "distance": 20, "distance_unit": "yard", "face_type": "wa_80"},
    ],
}


async def save(client: httpx.AsyncClient, who: ArcherCtx, body: dict[str, Any]) -> httpx.Response:
    return await client.post(f"{API}/round/custom", json=body, headers=who.headers)


async def shoot_through(
    client: httpx.AsyncClient, who: ArcherCtx, round_id: str, labels: list[str]
) -> dict[str, Any]:
    """Open a session of the round and shoot `labels` at each target in turn, as many at each
    as its ends hold; the session after."""
    s = await open_round(client, who, custom_round_id=round_id, distance_m=27.43)
    per_end = s["round"]["arrows_per_end"]
    for target in await targets(client, who, s["id"]):
        n = (target["last_end"] - target["first_end"] + 1) * per_end
        await shoot(client, who, s["id"], target, labels[:n])
        labels = labels[n:]
    return await session(client, who, s["id"])


async def test_an_archers_round_saved_and_shot_through(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx
) -> None:
    saved = await ok(await save(client, archer, CLUB_252), 201)
    assert (saved["archer_id"], saved["club_id"], saved["can_edit"]) == (str(archer.id), None, True)
    assert (saved["n_arrows"], saved["max_score"]) == (48, 480)
    assert [(p["distance_label"], p["face_label"], p["distance_m"]) for p in saved["passes"]] == [
        ("30 yd", "122 cm", 27.432),
        ("20 yd", "80 cm", 18.288),
    ]
    assert await ok(await client.get(f"{API}/round/custom", headers=archer.headers)) == [saved]
    # Nobody else sees it.
    assert await ok(await client.get(f"{API}/round/custom", headers=other.headers)) == []
    r = await client.get(f"{API}/round/custom/{saved['id']}", headers=other.headers)
    assert r.status_code == 404

    done = await shoot_through(client, archer, saved["id"], ["9"] * 36 + ["10"] * 12)
    assert done["round"]["name"] == "Club 252 (green)" and done["round"]["code"] is None
    assert done["progress"]["complete"] is True and done["total_score"] == 444
    card = await ok(
        await client.get(f"{API}/session/{done['id']}/scorecard", headers=archer.headers)
    )
    assert card["round_name"] == "Club 252 (green)"
    assert [(st["label"], st["total"]) for st in card["subtotals"]] == [
        ("30 yd", 324),
        ("20 yd", 120),
    ]
    stats = await ok(await client.get(f"{API}/session/{done['id']}/stats", headers=archer.headers))
    figures = stats["round"]
    assert (figures["code"], figures["complete"], figures["score"]) == (None, True, 444)
    assert figures["handicap"] is not None  # from its passes, as archeryutils computes it
    assert figures["classification"] is None  # a custom round has no classification

    # Changed later: the session keeps the round it was shot to.
    changed = await ok(
        await client.patch(
            f"{API}/round/custom/{saved['id']}",
            json={
                "name": "Club 252 (white)",
                "passes": [{"n_arrows": 6, "distance": 10, "face_type": "wa_122"}],
            },
            headers=archer.headers,
        )
    )
    assert changed["n_arrows"] == 6
    kept = await session(client, archer, done["id"])
    assert kept["round"] == done["round"]
    await ok(await client.delete(f"{API}/round/custom/{saved['id']}", headers=archer.headers))
    assert (await session(client, archer, done["id"]))["round"] == done["round"]


async def test_a_clubs_round_is_its_members_to_shoot_and_its_owners_to_change(
    client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    club = await make_club(client, make_archer)
    body = CLUB_252 | {"club_id": club.id, "name": "Riverside 48"}
    # Only an owner saves a club's round.
    r = await save(client, club.coach, body)
    assert r.status_code == 404, r.text
    saved = await ok(await save(client, club.owner, body), 201)
    assert (saved["club_id"], saved["club_name"], saved["archer_id"]) == (
        club.id,
        "Riverside Bowmen",
        None,
    )
    seen = await ok(await client.get(f"{API}/round/custom", headers=club.private.headers))
    assert [(x["id"], x["can_edit"]) for x in seen] == [(saved["id"], False)]
    r = await client.patch(
        f"{API}/round/custom/{saved['id']}", json={"name": "Mine now"}, headers=club.sharing.headers
    )
    assert r.status_code == 404
    r = await client.delete(f"{API}/round/custom/{saved['id']}", headers=club.coach.headers)
    assert r.status_code == 404
    outsider = await make_archer("Out")
    r = await client.post(
        f"{API}/session",
        json={"distance_m": 27, "custom_round_id": saved["id"]},
        headers=outsider.headers,
    )
    assert r.status_code == 404
    # A member shoots it through; the 49th arrow is refused.
    done = await shoot_through(client, club.sharing, saved["id"], ["8"] * 48)
    assert (done["progress"]["complete"], done["total_score"]) == (True, 384)
    last = (await targets(client, club.sharing, done["id"]))[-1]
    r = await post(client, club.sharing, done["id"], last, ["9"])
    assert r.status_code == 409 and r.json()["errors"] == ["round complete: 48 of 48 arrows shot"]
    renamed = await ok(
        await client.patch(
            f"{API}/round/custom/{saved['id']}",
            json={"name": "Riverside 48 (new)"},
            headers=club.owner.headers,
        )
    )
    assert renamed["name"] == "Riverside 48 (new)"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({**CLUB_252, "arrows_per_end": 5}, "36 arrows do not make whole ends of 5"),
        ({**CLUB_252, "passes": []}, "at least 1 item"),
        (
            {**CLUB_252, "passes": [{"n_arrows": 6, "distance": 18, "face_type": "wa_39"}]},
            "face_type",
        ),
        (
            {**CLUB_252, "passes": [{"n_arrows": 6, "distance": 0, "face_type": "wa_40"}]},
            "distance",
        ),
        (
            {**CLUB_252, "passes": [{"n_arrows": 6, "distance": 18, "face_type": "wa_40", "x": 1}]},
            "x",
        ),
        (
            {**CLUB_252, "passes": [{"n_arrows": 996, "distance": 18, "face_type": "wa_40"}] * 2},
            "1992 arrows in all",
        ),
        ({**CLUB_252, "name": ""}, "name"),
        ({**CLUB_252, "location": "moon"}, "location"),
        ({**CLUB_252, "colour": "green"}, "colour"),
    ],
)
async def test_a_round_that_does_not_hold_together_422(
    client: httpx.AsyncClient, archer: ArcherCtx, body: dict[str, Any], message: str
) -> None:
    r = await save(client, archer, body)
    assert r.status_code == 422, r.text
    assert message in " ".join(r.json()["errors"])
    saved = await ok(await save(client, archer, CLUB_252), 201)
    r = await client.patch(
        f"{API}/round/custom/{saved['id']}", json={"arrows_per_end": 5}, headers=archer.headers
    )
    assert r.status_code == 422 and "whole ends of 5" in r.json()["errors"][0]

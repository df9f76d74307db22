"""A league of 3 competitions by the API: handicap-adjusted points equal to a hand
calculation from archeryutils (computed here, independently of the code under test), best 2
of 3 counting, and the public season link."""

from __future__ import annotations

import math
from typing import Any
from uuid import UUID

import httpx
from archeryutils import handicaps, load_rounds

from arch_stats.core.database import Connection
from tests.clubs.helpers import invite, join
from tests.conftest import ArcherCtx, MakeArcher

API = "/api/v0"
WA18 = load_rounds.WA_indoor["wa18"]


async def _history(client: httpx.AsyncClient, who: ArcherCtx, value: str, day: str) -> None:
    """A complete WA 18 m round of one value, shot on an earlier day."""
    body = {"distance_m": 18, "round_code": "wa18", "start_time": f"{day}T18:00:00Z"}
    r = await client.post(f"{API}/session", json=body, headers=who.headers)
    assert r.status_code == 201, r.text
    session = r.json()["data"]
    for p in session["round"]["passes"]:
        shots = [
            {"session_id": session["id"], "target_id": p["target_id"], "value": value}
            for _ in range(30)
        ]
        r = await client.post(f"{API}/shot", json=shots, headers=who.headers)
        assert r.status_code == 201, r.text


async def _competition(
    client: httpx.AsyncClient,
    db: Connection,
    owner: ArcherCtx,
    club_id: str,
    day: str,
    scores: dict[ArcherCtx, str],
) -> str:
    body = {
        "club_id": club_id,
        "name": f"League round {day}",
        "starts_on": day,
        "round_code": "wa18",
        "categories": [{"bowstyle": "recurve"}],
    }
    r = await client.post(f"{API}/competition", json=body, headers=owner.headers)
    assert r.status_code == 201, r.text
    cid: str = r.json()["data"]["id"]
    for who in scores:
        entry = {"archer_id": str(who.id), "category_key": r.json()["data"]["categories"][0]["key"]}
        e = await client.post(f"{API}/competition/{cid}/entry", json=entry, headers=owner.headers)
        assert e.status_code == 201, e.text
    r = await client.post(f"{API}/competition/{cid}/start", headers=owner.headers)
    assert r.status_code == 200, r.text
    for who, value in scores.items():
        session = next(
            e["session_id"] for e in r.json()["data"]["entrants"] if e["archer_id"] == str(who.id)
        )
        target = await db.fetchval(
            "SELECT id FROM target WHERE session_id = $1 ORDER BY created_at LIMIT 1",
            UUID(session),
        )
        shots = [{"session_id": session, "target_id": str(target), "value": value}] * 3
        s = await client.post(f"{API}/competition/shot", json=shots, headers=owner.headers)
        assert s.status_code == 201, s.text
    return cid


def _allowance(h: int) -> int:
    return 1440 - int(handicaps.score_for_round(h, WA18, "AGB"))


async def test_league_of_3_handicap_points_equal_archeryutils(
    client: httpx.AsyncClient, db: Connection, make_archer: MakeArcher
) -> None:
    owner = await make_archer("Olive Owner")
    ann = await make_archer("Ann Archer")
    bob = await make_archer("Bob Bowman")
    r = await client.post(f"{API}/club", json={"name": "Riverside Bowmen"}, headers=owner.headers)
    club_id = r.json()["data"]["id"]
    code = await invite(client, club_id, owner, "member")
    await join(client, ann, code)
    await join(client, bob, code)
    await _history(client, ann, "9", "2026-10-01")  # 540
    await _history(client, ann, "8", "2026-10-08")  # 480
    shot = {
        "2027-01-10": {ann: "9", bob: "10"},
        "2027-01-17": {ann: "7", bob: "9"},
        "2027-01-24": {ann: "10", bob: "6"},
    }
    comps = [await _competition(client, db, owner, club_id, d, s) for d, s in shot.items()]
    body = {
        "club_id": club_id,
        "name": "Winter league",
        "basis": "handicap",
        "best_of": 2,
        "competition_ids": comps,
    }
    r = await client.post(f"{API}/league", json=body, headers=owner.headers)
    assert r.status_code == 201, r.text
    league = r.json()["data"]

    # By hand, from archeryutils: Ann's handicap is the mean of her two rounds', rounded up;
    # Bob has none, so each competition's own score gives his (provisional).
    ann_h = math.ceil(
        sum(float(handicaps.handicap_from_score(s, WA18, "AGB", int_prec=True)) for s in (540, 480))
        / 2
    )
    expected: dict[str, list[int]] = {"Ann Archer": [], "Bob Bowman": []}
    for scores in shot.values():
        for who, value in scores.items():
            score = 3 * int(value)
            if who is ann:
                h = ann_h
            else:
                h = math.ceil(
                    float(handicaps.handicap_from_score(score, WA18, "AGB", int_prec=True))
                )
            expected["Ann Archer" if who is ann else "Bob Bowman"].append(score + _allowance(h))
    totals = {name: sum(sorted(p, reverse=True)[:2]) for name, p in expected.items()}

    rows: dict[str, dict[str, Any]] = {row["name"]: row for row in league["rows"]}
    for name, points in expected.items():
        assert [x["points"] for x in rows[name]["results"]] == points
        assert rows[name]["total"] == totals[name]
        assert sum(x["counted"] for x in rows[name]["results"]) == 2
    assert rows["Ann Archer"]["results"][0]["handicap"] == ann_h
    assert not rows["Ann Archer"]["results"][0]["provisional"]
    assert rows["Bob Bowman"]["results"][0]["provisional"]
    assert [row["name"] for row in league["rows"]] == sorted(totals, key=lambda n: -totals[n])

    # The public season page: the same table, no ids, no account.
    r = await client.post(f"{API}/league/{league['league']['id']}/link", headers=owner.headers)
    assert r.status_code == 201, r.text
    r = await client.get(f"{API}/season/{r.json()['data']['token']}")
    assert r.status_code == 200, r.text
    assert [row["total"] for row in r.json()["data"]["rows"]] == [
        row["total"] for row in league["rows"]
    ]
    assert "archer_id" not in r.json()["data"]["rows"][0]
    assert (await client.get(f"{API}/season/asn_nothing")).status_code == 404

"""GET /session/{id}/scorecard: ends high to low, running totals, counts, subtotals per
distance (archeryutils' passes) and per half, the round's display name; the hot path answers
exactly as the route does."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from archeryutils import load_rounds
from fastapi import FastAPI

from arch_stats.app import create_app
from arch_stats.core.database import Connection
from arch_stats.core.settings import Settings
from arch_stats.stats.schemas import ScorecardOut
from tests.conftest import ArcherCtx
from tests.stats import data
from tests.stats.data import Shot
from tests.test_hotpath import hot_layer

URL = "/api/v0/session/{}/scorecard"


async def card(client: httpx.AsyncClient, archer: ArcherCtx, session_id: UUID) -> Any:
    r = await client.get(URL.format(session_id), headers=archer.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["errors"] == []
    ScorecardOut.model_validate(body["data"])  # exactly the documented shape
    return body["data"]


def labels(end: dict[str, Any]) -> list[str]:
    return [a["label"] for a in end["arrows"]]


def hit(score: int, *, x: bool = False) -> Shot:
    """An impact scoring `score` (positions do not matter to the card)."""
    return Shot(0.0, 0.0, score, x)


M_ON_FACE = Shot(600.0, 600.0, 0)  # landed in the view, outside every ring
NO_LANDING = Shot()


async def test_ends_read_high_to_low_with_running_totals_and_counts(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    s = await data.session(db, archer.id, round_code="wa720_70", per_end=6)
    t = await data.target(db, archer.id, s)
    end1 = [hit(8), hit(10, x=True), NO_LANDING, hit(10), hit(9), hit(10, x=True)]
    end2 = [M_ON_FACE, hit(7), hit(10), hit(9), hit(9), hit(6)]
    await data.shots(db, archer.id, s, t, end1 + end2, per_end=6)
    c = await card(client, archer, s)
    assert (c["round_code"], c["round_name"], c["arrows_per_end"]) == (
        "wa720_70",
        load_rounds.WA_outdoor.wa720_70.name,  # "WA 70m": archeryutils' name, not the code
        6,
    )
    e1, e2 = c["ends"]
    assert labels(e1) == ["X", "X", "10", "9", "8", "M"]
    # Equal arrows keep their shooting order; the miss that never landed comes last.
    assert [a["seq"] for a in e1["arrows"]] == [2, 6, 4, 5, 1, 3]
    assert [a["end_place"] for a in e1["arrows"]] == [2, 6, 4, 5, 1, 3]
    assert e1["arrows"][-1]["is_miss"] is True
    assert (e1["total"], e1["running_total"], e1["x_count"], e1["ten_x_count"], e1["hits"]) == (
        47,
        47,
        2,
        3,
        5,
    )
    assert labels(e2) == ["10", "9", "9", "7", "6", "M"]
    assert e2["arrows"][-1] == {
        "id": e2["arrows"][-1]["id"],
        "seq": 7,
        "end_place": 1,
        "arrow_id": None,
        "label": "M",
        "score": 0,
        "is_x": False,
        "is_miss": False,  # it landed: an M on the face, not a miss of the view
        "same_spot_miss": False,
        "hit_label": None,
        "entered_by": "plot",
    }
    assert (e2["total"], e2["running_total"], e2["x_count"], e2["ten_x_count"], e2["hits"]) == (
        41,
        88,
        0,
        1,
        5,
    )
    assert (c["total"], c["x_count"], c["ten_x_count"], c["hits"], c["arrows"]) == (
        88,
        2,
        4,
        10,
        12,
    )
    # A WA 720 is shot at one distance: no distance subtotals, but its two halves.
    assert c["subtotals"] == [
        {
            "label": "First half",
            "kind": "half",
            "end_from": 1,
            "end_to": 6,
            "arrows": 12,
            "total": 88,
            "x_count": 2,
            "ten_x_count": 4,
            "hits": 10,
            "golds": 0,
        },
        {
            "label": "Second half",
            "kind": "half",
            "end_from": 7,
            "end_to": 12,
            "arrows": 0,
            "total": 0,
            "x_count": 0,
            "ten_x_count": 0,
            "hits": 0,
            "golds": 0,
        },
    ]


async def test_multi_distance_round_subtotals_follow_archeryutils_passes(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    """A WA 1440 (90 m) with 40 arrows shot, 6 per end: 36 at 90 m (ends 1–6), 4 at 70 m."""
    s = await data.session(db, archer.id, round_code="wa1440_90", distance_m=90, per_end=6)
    t = await data.target(db, archer.id, s)
    scores = [9] * 36 + [10, 8, 0, 7]
    await data.shots(db, archer.id, s, t, [hit(v) if v else NO_LANDING for v in scores], per_end=6)
    c = await card(client, archer, s)
    rnd = load_rounds.WA_outdoor.wa1440_90
    assert c["round_name"] == rnd.name
    # The parts of the round as archeryutils defines its passes: arrows and distance.
    bounds = list(itertools.accumulate(int(p.n_arrows) for p in rnd.passes))
    expected = [
        (f"{p.native_distance.value:g} m", start // 6 + 1, end // 6)
        for p, start, end in zip(rnd.passes, [0, *bounds], bounds, strict=False)
    ]
    assert [(x["label"], x["end_from"], x["end_to"]) for x in c["subtotals"]] == expected
    assert [x["kind"] for x in c["subtotals"]] == ["distance"] * 4
    d90, d70, d50, d30 = c["subtotals"]
    assert (d90["arrows"], d90["total"], d90["hits"], d90["ten_x_count"]) == (36, 324, 36, 0)
    assert (d70["arrows"], d70["total"], d70["hits"], d70["ten_x_count"]) == (4, 25, 3, 1)
    assert d50["arrows"] == d30["arrows"] == 0
    assert c["ends"][6]["running_total"] == 349 == c["total"]


async def test_imperial_round_subtotals_in_yards(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    s = await data.session(db, archer.id, round_code="york", distance_m=91.44, per_end=6)
    c = await card(client, archer, s)
    assert c["round_name"] == "York"
    assert [(x["label"], x["end_from"], x["end_to"]) for x in c["subtotals"]] == [
        ("100 yd", 1, 12),
        ("80 yd", 13, 20),
        ("60 yd", 21, 24),
    ]
    assert (c["ends"], c["total"], c["arrows"]) == ([], 0, 0)


async def test_practice_session_has_no_round_and_no_subtotals(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    s = await data.session(db, archer.id)
    t = await data.target(db, archer.id, s)
    await data.shots(db, archer.id, s, t, [hit(9), hit(8), hit(10, x=True), hit(7)])
    c = await card(client, archer, s)
    assert (c["round_code"], c["round_name"], c["subtotals"]) == (None, None, [])
    assert [labels(e) for e in c["ends"]] == [["X", "9", "8"], ["7"]]
    assert [e["running_total"] for e in c["ends"]] == [27, 34]


async def test_same_spot_miss_shows_what_it_hit(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    """A triple spot: the 8 and then an X on the same spot in one end; World Archery counts
    only the lower, the X scores M (the shots domain stores it so); the card shows both."""
    s = await data.session(db, archer.id, round_code="wa18_triple", distance_m=18, per_end=3)
    t = await data.target(db, archer.id, s, faces=(("wa_40_triple_vertical", data.C, data.C),))
    spots = ((0.0, 220.0), (0.0, 0.0), (0.0, -220.0))
    await data.shots(
        db,
        archer.id,
        s,
        t,
        [Shot(0, 45, 8, spot=1), Shot(0, 2, 0, spot=1), Shot(0, 25, 9, spot=0)],
        spots=spots,
    )
    await db.execute(
        "UPDATE shot SET spot_score = score, spot_is_x = is_x WHERE session_id = $1 AND seq <> 2",
        s,
    )
    await db.execute(
        "UPDATE shot SET same_spot_miss = true, spot_score = 10, spot_is_x = true "
        "WHERE session_id = $1 AND seq = 2",
        s,
    )
    (end,) = (await card(client, archer, s))["ends"]
    assert [(a["label"], a["same_spot_miss"], a["hit_label"]) for a in end["arrows"]] == [
        ("9", False, None),
        ("8", False, None),
        ("M", True, "X"),
    ]
    assert (end["total"], end["hits"], end["x_count"], end["ten_x_count"]) == (17, 2, 0, 0)


async def test_same_spot_rule_through_the_api_on_a_hand_scored_triple_face(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    """Posted as a phone would: a target without a view, an X then a 9 in the middle spot and
    an 8 in the top one. The X is the same-spot miss; the card shows what it hit."""
    r = await client.post(
        "/api/v0/session",
        json={"distance_m": 18, "is_indoor": True, "round_code": "wa18_triple"},
        headers=archer.headers,
    )
    assert r.status_code == 201, r.text
    session_id = r.json()["data"]["id"]
    r = await client.get(f"/api/v0/session/{session_id}/target", headers=archer.headers)
    (target,) = r.json()["data"]  # made from the round, laid out for scoring by hand
    assert target["faces"][0]["face_type"] == "wa_40_triple_vertical"
    cx, cy = target["faces"][0]["center_x_mm"], target["faces"][0]["center_y_mm"]
    # Middle spot at the face centre, top spot 220 mm up; rings 20 mm wide (arrow r 2.75).
    points = [(cx, cy), (cx + 25, cy), (cx, cy + 220 + 45)]
    r = await client.post(
        "/api/v0/shot",
        json=[
            {"session_id": session_id, "target_id": target["id"], "x_mm": x, "y_mm": y}
            for x, y in points
        ],
        headers=archer.headers,
    )
    assert r.status_code == 201, r.text
    c = await card(client, archer, UUID(session_id))
    assert c["round_name"] == load_rounds.WA_indoor.wa18_triple.name
    (end,) = c["ends"]
    assert [(a["label"], a["same_spot_miss"], a["hit_label"], a["seq"]) for a in end["arrows"]] == [
        ("9", False, None, 2),
        ("8", False, None, 3),
        ("M", True, "X", 1),
    ]
    assert (end["total"], end["hits"], end["x_count"]) == (17, 2, 0)


async def test_an_emptied_end_keeps_its_number(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx
) -> None:
    s = await data.session(db, archer.id)
    t = await data.target(db, archer.id, s)
    await data.shots(db, archer.id, s, t, [hit(9), hit(8), hit(7), hit(6), hit(5), hit(4), hit(3)])
    await db.execute("DELETE FROM shot WHERE session_id = $1 AND end_no = 2", s)
    c = await card(client, archer, s)
    assert [(e["end_no"], labels(e), e["running_total"]) for e in c["ends"]] == [
        (1, ["9", "8", "7"], 24),
        (2, [], 24),
        (3, ["3"], 27),
    ]


async def test_scorecard_through_the_api_after_posted_shots(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    r = await client.post(
        "/api/v0/session",
        json={"distance_m": 18, "is_indoor": True, "round_code": "wa18"},
        headers=archer.headers,
    )
    assert r.status_code == 201, r.text
    session_id = r.json()["data"]["id"]
    (target_id,) = {p["target_id"] for p in r.json()["data"]["round"]["passes"]}
    # The round's target, given the view of a target sensor (its face where the sensor sees it).
    r = await client.patch(
        f"/api/v0/target/{target_id}",
        json={
            "view_width_mm": 1000,
            "view_height_mm": 1000,
            "faces": [{"face_type": "wa_40", "center_x_mm": 500, "center_y_mm": 500}],
        },
        headers=archer.headers,
    )
    assert r.status_code == 200, r.text
    # 40 cm face: X ring r = 10 mm, 10 ring 20, 9 ring 40, 8 ring 60 (arrow radius 2.75 mm).
    shots = [(500, 530), (500, 500), None, (560, 500)]  # 9, X, miss | 8
    r = await client.post(
        "/api/v0/shot",
        json=[
            {"session_id": session_id, "target_id": target_id}
            | ({} if p is None else {"x_mm": p[0], "y_mm": p[1]})
            for p in shots
        ],
        headers=archer.headers,
    )
    assert r.status_code == 201, r.text
    c = await card(client, archer, UUID(session_id))
    assert (c["round_name"], c["arrows_per_end"]) == ("WA 18m", 3)
    assert [labels(e) for e in c["ends"]] == [["X", "9", "M"], ["8"]]
    assert [a["end_place"] for a in c["ends"][0]["arrows"]] == [2, 1, 3]
    assert c["subtotals"] == []  # 60 arrows at one distance


async def test_someone_elses_or_unknown_session_404(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx, other: ArcherCtx
) -> None:
    s = await data.session(db, archer.id)
    for who, session_id in ((other, s), (archer, uuid4())):
        r = await client.get(URL.format(session_id), headers=who.headers)
        assert r.status_code == 404
        assert r.json() == {
            "code": 404,
            "data": None,
            "errors": [f"session {session_id} not found"],
        }
    assert (await client.get(URL.format(s))).status_code == 401
    assert (await client.get(URL.format("nope"), headers=archer.headers)).status_code == 422


@pytest.fixture(scope="module")
async def plain_app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings.model_copy(update={"hot_path": False}), access_log=False)
    async with application.router.lifespan_context(application):
        yield application


async def test_hot_path_answers_the_scorecard_exactly_like_fastapi(
    app: FastAPI,
    plain_app: FastAPI,
    client: httpx.AsyncClient,
    db: Connection,
    archer: ArcherCtx,
    other: ArcherCtx,
) -> None:
    s = await data.session(db, archer.id, round_code="wa720_70", per_end=6)
    t = await data.target(db, archer.id, s)
    await data.shots(db, archer.id, s, t, [hit(9), NO_LANDING, hit(10, x=True)], per_end=6)
    for who in (archer, other):  # the tokens in the hot path's cache
        assert (await client.get("/api/v0/auth/me", headers=who.headers)).status_code == 200
    transport = httpx.ASGITransport(app=plain_app, client=("127.0.0.1", 50001))
    layer = hot_layer(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as plain:
        for session_id, who, hot in [
            (s, archer, True),
            (s, other, False),
            (uuid4(), archer, False),
        ]:
            answered = layer.answered
            expected = await plain.get(URL.format(session_id), headers=who.headers)
            got = await client.get(URL.format(session_id), headers=who.headers)
            assert (got.status_code, got.json()) == (expected.status_code, expected.json())
            assert layer.answered == answered + int(hot)

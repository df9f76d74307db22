"""The equipment API against a real PostgreSQL: bows and their versions, arrow sets, sight
marks, a tuning session in two groups, the sight correction, sets compared and culled."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from tests.conftest import ArcherCtx
from tests.equipment.helpers import API, arrow_set, call, session_with_shots

BOW = {
    "name": "Hoyt Formula",
    "bowstyle": "recurve",
    "handedness": "right",
    "riser": "Formula Xi 25in",
    "limbs": "Velos 38 lb",
    "draw_weight_lb": 38.5,
    "brace_height_mm": 218,
    "nocking_point_mm": 9,
    "plunger": "Shibuya DX, medium spring",
    "sight": "Shibuya Ultima",
    "sight_radius_mm": 850,
}


async def test_a_session_keeps_the_bow_version_it_was_shot_with(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    bow = await call(client, archer, "POST", "/bow", BOW, 201)
    assert bow["current"]["version"] == 1 and len(bow["versions"]) == 1
    assert bow["current"]["draw_weight_lb"] == 38.5
    arrows = await arrow_set(client, archer)
    assert [a["identifier"] for a in arrows["arrows"]] == [f"A{i:02d}" for i in range(1, 13)]
    assert {a["spine"] for a in arrows["arrows"]} == {500}  # the set's, unless given
    assert {a["arrow_set_id"] for a in arrows["arrows"]} == {arrows["id"]}

    sid = await session_with_shots(client, archer, [])
    put = {"bow_id": bow["id"], "arrow_set_id": arrows["id"]}
    shot_with = await call(client, archer, "PUT", f"/session/{sid}/equipment", put)
    assert shot_with["bow_version"]["id"] == bow["current"]["id"]

    renamed = await call(client, archer, "PATCH", f"/bow/{bow['id']}", {"name": "Formula"})
    assert renamed["name"] == "Formula" and renamed["current"]["version"] == 1
    same = await call(client, archer, "PATCH", f"/bow/{bow['id']}", {"brace_height_mm": 218.0})
    assert same["current"]["version"] == 1  # nothing of the setup changed
    v2 = await call(
        client, archer, "PATCH", f"/bow/{bow['id']}", {"brace_height_mm": 222, "limbs": "Velos 40"}
    )
    assert v2["current"]["version"] == 2 and v2["current"]["brace_height_mm"] == 222
    assert v2["current"]["draw_weight_lb"] == 38.5  # the rest carried over
    assert [v["version"] for v in v2["versions"]] == [2, 1]

    kept = await call(client, archer, "GET", f"/session/{sid}/equipment")
    assert kept["bow_version"]["version"] == 1 and kept["bow_version"]["brace_height_mm"] == 218
    assert kept["bow_name"] == "Formula" and kept["arrow_set_name"] == "X10 set"
    listed = await call(client, archer, "GET", "/bow")
    assert [b["current"]["version"] for b in listed] == [2] and listed[0]["versions"] is None


async def test_sight_marks_are_fitted_and_confirmed_from_a_session(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx
) -> None:
    bow = await call(client, archer, "POST", "/bow", BOW, 201)
    path = f"/bow/{bow['id']}/sight-mark"
    for d in (18, 30, 50, 60, 70, 90):
        await call(client, archer, "POST", path, {"distance_m": d, "mark": 5 + 0.3 * d}, 201)
    again = await call(client, archer, "POST", path, {"distance_m": 90.0, "mark": 34.2}, 201)
    got = await call(client, archer, "GET", f"{path}?predict=40")
    assert [m["distance_m"] for m in got["marks"]] == [18, 30, 50, 60, 70, 90]
    assert got["marks"][-1]["mark"] == 34.2 and got["marks"][-1]["id"] == again["id"]
    assert got["fit"]["degree"] == 2 and len(got["curve"]) == 41
    p = got["prediction"]
    assert p["low"] < 17 < p["high"] and not p["extrapolated"]

    sid = await session_with_shots(client, archer, [], distance=30)
    confirmed = await call(
        client, archer, "POST", path, {"distance_m": 30, "mark": 14.1, "session_id": sid}, 201
    )
    assert confirmed["session_id"] == sid
    wrong = {"distance_m": 40, "mark": 17, "session_id": sid}
    await call(client, archer, "POST", path, wrong, 400)
    await call(client, other, "POST", path, {"distance_m": 40, "mark": 17}, 404)
    await call(client, other, "GET", path, None, 404)
    await call(client, other, "DELETE", f"/sight-mark/{confirmed['id']}", None, 404)
    await call(client, archer, "DELETE", f"/sight-mark/{confirmed['id']}", None)
    after = await call(client, archer, "GET", path)
    assert 30 not in [m["distance_m"] for m in after["marks"]] and after["prediction"] is None


async def test_a_tuning_session_in_two_groups_gives_the_bare_shaft_advice(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    bow = await call(client, archer, "POST", "/bow", BOW, 201)
    arrows = await arrow_set(client, archer)
    ids = [a["id"] for a in arrows["arrows"]]
    fletched, bare = ids[:9], ids[9:]
    rng = np.random.default_rng(24)
    shots = [(a, *rng.normal(0, 12, 2)) for _ in range(2) for a in fletched]
    shots += [(a, -70 + rng.normal(0, 12), 55 + rng.normal(0, 12)) for _ in range(3) for a in bare]
    sid = await session_with_shots(client, archer, shots)
    await call(client, archer, "GET", f"/session/{sid}/tuning", None, 404)  # not set yet
    await call(client, archer, "PUT", f"/session/{sid}/equipment", {"bow_id": bow["id"]})
    groups = {"arrows_a": fletched, "arrows_b": bare}
    out = await call(client, archer, "PUT", f"/session/{sid}/tuning", groups)
    assert out["label_a"] == "Fletched" and out["label_b"] == "Bare shafts"
    assert [a["identifier"] for a in out["arrows_b"]] == ["A10", "A11", "A12"]
    assert out["a"]["impacts"] == 18 and out["b"]["impacts"] == 9
    assert out["shift_x_mm"] == pytest.approx(-70, abs=15)
    assert out["shift_y_mm"] == pytest.approx(55, abs=15)
    assert out["significant"] and out["p_value"] < 0.001 and out["from_bow"]
    assert out["advice"][0].startswith("Bare shafts high: the nocking point is too low")
    assert out["advice"][1].startswith("Bare shafts left: the arrow acts too stiff")
    assert await call(client, archer, "GET", f"/session/{sid}/tuning") == out
    # the sight is set by the fletched arrows alone (the bare shafts would pull it off)
    sight = await call(client, archer, "GET", f"/session/{sid}/sight-correction")
    assert sight["group"] == "Fletched" and sight["distances"][0]["impacts"] == 18
    assert sight["distances"][0]["move_x_mm"] is None  # the fletched group is centred

    overlap = {"arrows_a": fletched, "arrows_b": [fletched[0]]}
    await call(client, archer, "PUT", f"/session/{sid}/tuning", overlap, 400)


async def test_the_sight_correction_follows_the_group(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    bow = await call(client, archer, "POST", "/bow", BOW, 201)
    rng = np.random.default_rng(3)
    # 12 arrows 90 mm low and 35 mm right at 50 m, σ 15 mm
    shots = [(None, 35 + rng.normal(0, 15), -90 + rng.normal(0, 15)) for _ in range(12)]
    sid = await session_with_shots(client, archer, shots, distance=50)  # type: ignore[arg-type]
    before = await call(client, archer, "GET", f"/session/{sid}/sight-correction")
    only = before["distances"][0]
    assert only["move_y_mm"] is None and "sight radius" in only["advice"]
    await call(client, archer, "PUT", f"/session/{sid}/equipment", {"bow_id": bow["id"]})
    got = await call(client, archer, "GET", f"/session/{sid}/sight-correction")
    c = got["distances"][0]
    assert got["sight_radius_mm"] == 850 and c["distance_m"] == 50 and c["impacts"] == 12
    assert c["move_y_mm"] == pytest.approx(c["centre_y_mm"] * 850 / 50000)
    assert c["move_x_mm"] == pytest.approx(c["centre_x_mm"] * 850 / 50000)
    assert c["advice"].startswith("Move the sight 1.") and "down and 0." in c["advice"]
    end = await call(client, archer, "GET", f"/session/{sid}/sight-correction?end_no=1")
    assert end["distances"][0]["impacts"] == 6


async def test_sets_compared_over_sessions_and_an_arrow_to_cull(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    tight = await arrow_set(client, archer, "Tight", "T")
    loose = await arrow_set(client, archer, "Loose", "L")
    rng = np.random.default_rng(11)
    for _ in range(3):
        shots = []
        for s, sd in ((tight, 15.0), (loose, 30.0)):
            aim = rng.normal(0, 30, 2)
            for a in s["arrows"]:
                bent = 40.0 if a["identifier"] == "T05" else 0.0
                for _ in range(3):
                    x, y = aim + rng.normal(0, sd, 2)
                    shots.append((a["id"], float(x) + bent, float(y)))
        await session_with_shots(client, archer, shots)
    cmp = await call(client, archer, "GET", f"/arrow-set/{loose['id']}/compare/{tight['id']}")
    assert cmp["tighter"] == "b" and cmp["b_name"] == "Tight" and cmp["p_value"] < 0.01
    assert cmp["a"]["impacts"] == 108 and cmp["a"]["groups"] == 3
    await call(client, archer, "GET", f"/arrow-set/{loose['id']}/compare/{loose['id']}", None, 400)
    cull = await call(client, archer, "GET", f"/arrow-set/{tight['id']}/culling")
    flagged = [a["identifier"] for a in cull["arrows"] if a["flagged"]]
    assert flagged == ["T05"] and cull["arrows"][0]["p_adjusted"] < 0.01
    assert len(cull["arrows"]) == 12


async def test_another_archers_equipment_is_not_found(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx
) -> None:
    bow = await call(client, archer, "POST", "/bow", BOW, 201)
    arrows = await arrow_set(client, archer)
    theirs = await session_with_shots(client, other, [])
    await call(client, other, "GET", f"/bow/{bow['id']}", None, 404)
    await call(client, other, "PATCH", f"/bow/{bow['id']}", {"name": "Mine"}, 404)
    await call(client, other, "GET", f"/arrow-set/{arrows['id']}", None, 404)
    await call(client, other, "PUT", f"/session/{theirs}/equipment", {"bow_id": bow["id"]}, 404)
    steal = {"arrows_a": [arrows["arrows"][0]["id"]], "arrows_b": [arrows["arrows"][1]["id"]]}
    await call(client, other, "PUT", f"/session/{theirs}/tuning", steal, 404)
    await call(client, other, "PATCH", f"/arrow-set/{arrows['id']}", {"name": "x"}, 404)
    assert await call(client, other, "GET", "/bow") == []


@pytest.mark.parametrize(
    "body",
    [
        {"name": "B", "draw_weight_lb": 0},
        {"name": "B", "handedness": "both"},
        {"name": "B", "sight_radius_mm": "850"},
        {"name": ""},
        {"name": "B", "colour": "red"},
    ],
)
async def test_bad_bows_are_422(
    client: httpx.AsyncClient, archer: ArcherCtx, body: dict[str, object]
) -> None:
    r = await client.post(f"{API}/bow", json=body, headers=archer.headers)
    assert r.status_code == 422 and r.json()["data"] is None and r.json()["errors"]

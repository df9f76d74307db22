"""Entry by value (issue 20): a score given as the face calls it, kept with its score and no
position, validated against the face it lands on; analysis that needs positions says which
arrows it could not use; CSV keeps it (and the round followed) as it was."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from tests.conftest import ArcherCtx, MakeArcher
from tests.rounds.helpers import API, ok, open_round, shoot, targets


async def practice(
    client: httpx.AsyncClient, who: ArcherCtx, face: str, **target: Any
) -> tuple[str, dict[str, Any]]:
    s = await open_round(client, who, distance_m=18)
    t = await ok(
        await client.post(
            f"{API}/session/{s['id']}/target",
            json={"faces": [{"face_type": face}], **target},
            headers=who.headers,
        ),
        201,
    )
    return s["id"], t


def by_value(session_id: str, target: dict[str, Any], value: str, **more: Any) -> dict[str, Any]:
    return {"session_id": session_id, "target_id": target["id"], "value": value, **more}


async def post(client: httpx.AsyncClient, who: ArcherCtx, body: Any) -> httpx.Response:
    return await client.post(f"{API}/shot", json=body, headers=who.headers)


async def test_an_end_by_value_is_stored_with_its_scores_and_no_position(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    sid, t = await practice(client, archer, "wa_122")
    values = ["X", "10", "9", "1", "M", "X"]
    data = await ok(await post(client, archer, [by_value(sid, t, v) for v in values]), 201)
    assert [(d["label"], d["score"], d["is_x"]) for d in data] == [
        ("X", 10, True), ("10", 10, False), ("9", 9, False), ("1", 1, False), ("M", 0, False),
        ("X", 10, True),
    ]  # fmt: skip
    for d in data:
        assert (d["entered_by"], d["x_mm"], d["dx_mm"], d["face_index"], d["spot_index"]) == (
            "value", None, None, 0, None,
        )  # fmt: skip
        assert d["is_miss"] is False  # an M by value is a scored miss, not "no landing"
    # Plotted and sensor shots say so too; a miss without a landing stays one.
    plotted = await ok(
        await post(
            client, archer, {"session_id": sid, "target_id": t["id"], "x_mm": 732, "y_mm": 732}
        ),
        201,
    )
    missed = await ok(await post(client, archer, {"session_id": sid, "target_id": t["id"]}), 201)
    assert (plotted["entered_by"], missed["entered_by"], missed["is_miss"]) == (
        "plot",
        "plot",
        True,
    )
    stats = await ok(await client.get(f"{API}/session/{sid}/stats", headers=archer.headers))
    assert (stats["arrows"], stats["total"], stats["x_count"], stats["ten_count"]) == (8, 50, 3, 4)
    assert (stats["by_value"], stats["by_value_seqs"], stats["no_landing"]) == (
        6,
        [1, 2, 3, 4, 5, 6],
        1,
    )
    assert stats["group"]["impacts"] == 1  # only the plotted arrow has a position
    (row,) = stats["per_arrow"]
    assert (row["shots"], row["impacts"], row["by_value"]) == (8, 1, 6)


@pytest.mark.parametrize(
    ("face", "compound", "good", "bad", "message"),
    [
        ("wa_122", False, ["X", "10", "1", "M"], "11", "X 10 9 8 7 6 5 4 3 2 1 M"),
        ("agb_122_5zone", False, ["9", "7", "5", "3", "1", "M"], "10", "9 7 5 3 1 M"),
        ("wa_field_40", False, ["6", "5", "1", "M"], "X", "6 5 4 3 2 1 M"),
        ("wa_40_triple_vertical", False, ["X", "10", "6", "M"], "5", "X 10 9 8 7 6 M"),
        ("wa_40", True, ["X", "9", "M"], "10", "the inner 10 is the X): X 9 8 7 6 5 4 3 2 1 M"),
    ],
)
async def test_a_value_must_be_one_of_the_faces_own(
    client: httpx.AsyncClient,
    archer: ArcherCtx,
    face: str,
    compound: bool,
    good: list[str],
    bad: str,
    message: str,
) -> None:
    sid, t = await practice(client, archer, face, compound_scoring=compound)
    data = await ok(await post(client, archer, [by_value(sid, t, v) for v in good]), 201)
    assert [d["label"] for d in data] == good
    r = await post(client, archer, by_value(sid, t, bad))
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0].endswith(message), r.json()["errors"]
    # The face's values, for a keypad: from the face catalogue.
    spec = await ok(await client.get(f"{API}/face/{face}"))
    values = spec["compound_values"] if compound else spec["values"]
    assert set(good) <= set(values) and bad not in values


@pytest.mark.parametrize(
    "body",
    [
        {"value": "9", "x_mm": 100, "y_mm": 100},
        {"value": "Y"},
        {"value": 9},
        {"spot_index": 1},
        {"value": "9", "spot_index": -1},
        {"value": "9", "face_index": "0"},
    ],
)
async def test_bad_values_422(
    client: httpx.AsyncClient, archer: ArcherCtx, body: dict[str, Any]
) -> None:
    sid, t = await practice(client, archer, "wa_122")
    r = await post(client, archer, {"session_id": sid, "target_id": t["id"], **body})
    assert r.status_code == 422, r.text
    r = await post(client, archer, by_value(sid, t, "9", face_index=1))
    assert r.status_code == 422 and "the target has 1 face" in r.json()["errors"][0]


async def test_by_value_on_a_triple_spot_the_same_spot_rule_applies_with_its_spot(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    sid, t = await practice(client, archer, "wa_40_triple_vertical")
    data = await ok(
        await post(
            client,
            archer,
            [
                by_value(sid, t, "10", spot_index=1),
                by_value(sid, t, "8", spot_index=1),  # the lower one counts: the 10 is an M
                by_value(sid, t, "9"),  # no spot given: the rule cannot apply to it
            ],
        ),
        201,
    )
    expected = [("M", True, "10"), ("8", False, None), ("9", False, None)]
    assert [(d["label"], d["same_spot_miss"], d["hit_label"]) for d in data] == expected
    shots = await ok(await client.get(f"{API}/session/{sid}/shot", headers=archer.headers))
    assert [(d["label"], d["same_spot_miss"], d["hit_label"]) for d in shots] == expected
    # Corrected: the 8 deleted, the 10 counts again.
    await ok(await client.delete(f"{API}/shot/{data[1]['id']}", headers=archer.headers))
    ten = await ok(await client.get(f"{API}/shot/{data[0]['id']}", headers=archer.headers))
    assert (ten["label"], ten["same_spot_miss"]) == ("10", False)
    r = await post(client, archer, by_value(sid, t, "9", spot_index=3))
    assert r.status_code == 422 and "has 3 spots" in r.json()["errors"][0]


async def test_a_value_corrected_by_value_or_placed_by_a_position(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    sid, t = await practice(client, archer, "wa_122")
    shot = await ok(await post(client, archer, by_value(sid, t, "7")), 201)
    url = f"{API}/shot/{shot['id']}"
    again = await ok(await client.patch(url, json={"value": "X"}, headers=archer.headers))
    assert (again["label"], again["entered_by"]) == ("X", "value")
    arrow = await ok(
        await client.post(f"{API}/arrow", json={"identifier": "A1"}, headers=archer.headers), 201
    )
    kept = await ok(await client.patch(url, json={"arrow_id": arrow["id"]}, headers=archer.headers))
    assert (kept["label"], kept["entered_by"], kept["x_mm"]) == ("X", "value", None)
    c = t["faces"][0]
    placed = await ok(
        await client.patch(
            url,
            json={"x_mm": c["center_x_mm"] + 100, "y_mm": c["center_y_mm"]},
            headers=archer.headers,
        )
    )
    assert (placed["label"], placed["entered_by"], placed["is_miss"]) == ("9", "plot", False)
    back = await ok(await client.patch(url, json={"value": "M"}, headers=archer.headers))
    assert (back["label"], back["x_mm"], back["entered_by"]) == ("M", None, "value")
    r = await client.patch(url, json={"value": "9", "x_mm": 1, "y_mm": 1}, headers=archer.headers)
    assert r.status_code == 422


async def test_a_round_shot_by_value_exports_and_imports_as_it_was(
    client: httpx.AsyncClient, archer: ArcherCtx, make_archer: MakeArcher
) -> None:
    """A WA 18 m triple by value (spots given) and plotted, exported, imported into another
    account: the same scores and labels, `entered_by`, the same-spot miss with what it hit,
    and the round followed: complete, it takes no more arrows."""
    s = await open_round(client, archer, distance_m=18, round_code="wa18_triple")
    (t,) = await targets(client, archer, s["id"])
    values = ["10", "8", "9"] * 20
    body = [by_value(s["id"], t, v, spot_index=i % 3) for i, v in enumerate(values)]
    body[1]["spot_index"] = 0  # end 1: the 10 and the 8 in the top spot: the 10 is an M
    await ok(await post(client, archer, body[:57]), 201)
    await shoot(client, archer, s["id"], t, ["X", "9", "9"])  # plotted, the last end
    await ok(await client.post(f"{API}/session/{s['id']}/close", headers=archer.headers))
    exported = await client.get(f"{API}/export/shots.csv", headers=archer.headers)
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["entered_by"] for r in rows] == ["value"] * 57 + ["plot"] * 3
    assert (rows[0]["label"], rows[0]["hit_label"], rows[0]["x_mm"]) == ("M", "10", "")

    newcomer = await make_archer("Nia")
    r = await client.post(
        f"{API}/import/shots.csv",
        content=exported.content,
        headers={**newcomer.headers, "content-type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    (imported,) = await ok(await client.get(f"{API}/session", headers=newcomer.headers))
    assert imported["round"]["code"] == "wa18_triple"
    again = await client.get(f"{API}/export/shots.csv", headers=newcomer.headers)
    rows_again = list(csv.DictReader(io.StringIO(again.text)))
    keep = ("seq", "end_no", "end_place", "score", "label", "is_x", "entered_by", "hit_label",
            "spot_index", "face_index", "first_end", "last_end")  # fmt: skip
    assert [[r[k] for k in keep] for r in rows_again] == [[r[k] for k in keep] for r in rows]
    ours = await ok(await client.get(f"{API}/session/{imported['id']}", headers=newcomer.headers))
    (their_target,) = await targets(client, newcomer, imported["id"])
    assert ours["round"]["passes"][0]["target_id"] == their_target["id"]
    assert ours["progress"]["complete"] is True
    await ok(await client.post(f"{API}/session/{imported['id']}/reopen", headers=newcomer.headers))
    r = await post(client, newcomer, by_value(imported["id"], their_target, "9"))
    assert r.status_code == 409 and r.json()["errors"] == ["round complete: 60 of 60 arrows shot"]

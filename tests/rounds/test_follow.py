"""A session follows its round (issue 20): the round's passes and their targets made at once,
where the archer is, each pass's arrows at its own target, corrections on their own face, and
a round that ends: no arrow past its last, whoever posts."""

from __future__ import annotations

import random
from typing import Any

import httpx

from arch_stats.core.database import Connection
from tests.conftest import ArcherCtx
from tests.rounds.helpers import API, ok, open_round, post, session, shoot, targets

LABELS = ["X", "10", "10", "9", "9", "9", "8", "8", "7", "6", "5", "M"]
SCORES = {"X": 10, "M": 0} | {str(v): v for v in range(1, 12)}


async def test_a_wa1440_is_planned_pass_by_pass_with_its_targets(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    s = await open_round(client, archer, distance_m=90, round_code="wa1440_90")
    plan = s["round"]
    assert (plan["code"], plan["name"], plan["n_arrows"], plan["arrows_per_end"], plan["ends"]) == (
        "wa1440_90",
        "WA 1440 (90m)",
        144,
        6,
        24,
    )
    passes = [
        (p["distance_label"], p["face_label"], p["first_end"], p["last_end"])
        for p in plan["passes"]
    ]
    assert passes == [
        ("90 m", "122 cm", 1, 6),
        ("70 m", "122 cm", 7, 12),
        ("50 m", "80 cm", 13, 18),
        ("30 m", "80 cm", 19, 24),
    ]
    made = await targets(client, archer, s["id"])
    assert [
        (t["distance_m"], t["faces"][0]["face_type"], t["first_end"], t["last_end"]) for t in made
    ] == [
        (90, "wa_122", 1, 6),
        (70, "wa_122", 7, 12),
        (50, "wa_80", 13, 18),
        (30, "wa_80", 19, 24),
    ]
    assert [p["target_id"] for p in plan["passes"]] == [t["id"] for t in made]
    assert s["progress"] == {
        "arrows_shot": 0,
        "arrows_total": 144,
        "arrows_left": 144,
        "complete": False,
        "pass_no": 1,
        "passes": 4,
        "distance_label": "90 m",
        "face_type": "wa_122",
        "face_label": "122 cm",
        "target_id": made[0]["id"],
        "end_no": 1,
        "end_of_pass": 1,
        "ends_in_pass": 6,
        "arrow_of_end": 1,
        "arrows_per_end": 6,
    }
    # A WA 720's two halves at 70 m share one target; the session list has no progress.
    await ok(await client.post(f"{API}/session/{s['id']}/close", headers=archer.headers))
    s720 = await open_round(client, archer, round_code="wa720_70")
    assert len({p["target_id"] for p in s720["round"]["passes"]}) == 1
    listed = await ok(await client.get(f"{API}/session", headers=archer.headers))
    assert listed[0]["round"] == s720["round"] and listed[0]["progress"] is None


async def test_a_wa1440_shot_through_pass_by_pass_ends_at_its_144th_arrow(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    s = await open_round(client, archer, distance_m=90, round_code="wa1440_90")
    made = await targets(client, archer, s["id"])
    rng = random.Random(20)
    shot_labels: list[list[str]] = []
    for k, target in enumerate(made):
        labels = [rng.choice(LABELS) for _ in range(36)]
        # The first 30 arrows of the pass; then where the archer is: its last end.
        await shoot(client, archer, s["id"], target, labels[:30])
        now = (await session(client, archer, s["id"]))["progress"]
        assert (now["pass_no"], now["end_of_pass"], now["ends_in_pass"], now["target_id"]) == (
            k + 1,
            6,
            6,
            target["id"],
        )
        assert (now["arrows_shot"], now["arrows_left"]) == (30 + 36 * k, 114 - 36 * k)
        await shoot(client, archer, s["id"], target, labels[30:])
        shot_labels.append(labels)
        if k < 3:
            # The pass is full: its target takes no more, and the answer names the current one.
            r = await post(client, archer, s["id"], target, ["9"])
            assert r.status_code == 409, r.text
            assert made[k + 1]["id"] in r.json()["errors"][0]
    done = await session(client, archer, s["id"])
    assert done["progress"]["complete"] is True
    assert (done["progress"]["arrows_shot"], done["progress"]["arrows_left"]) == (144, 0)
    assert done["is_open"] is True  # open until the next session: mistakes can be corrected
    # The 145th arrow is refused, at any target, and says why.
    for target in (made[-1], made[0]):
        r = await post(client, archer, s["id"], target, ["10"])
        assert r.status_code == 409
        assert r.json()["errors"] == ["round complete: 144 of 144 arrows shot"]
    card = await ok(await client.get(f"{API}/session/{s['id']}/scorecard", headers=archer.headers))
    totals = [sum(SCORES[label] for label in labels) for labels in shot_labels]
    assert [(st["label"], st["arrows"], st["total"]) for st in card["subtotals"]] == [
        ("90 m", 36, totals[0]),
        ("70 m", 36, totals[1]),
        ("50 m", 36, totals[2]),
        ("30 m", 36, totals[3]),
    ]
    assert (card["total"], card["arrows"], card["progress"]["complete"]) == (sum(totals), 144, True)
    stats = await ok(await client.get(f"{API}/session/{s['id']}/stats", headers=archer.headers))
    figures = stats["round"]
    assert (figures["complete"], figures["score"]) == (True, sum(totals))
    assert figures["handicap"] is not None
    assert figures["classification_name"]
    assert figures["classification_meaning"].startswith(figures["classification_name"])
    assert "Archery GB's outdoor classification" in figures["classification_meaning"]


async def test_an_earlier_end_is_corrected_on_its_own_face_and_a_freed_place_refilled(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    """In ends of 3 on a custom round of 2 × 6 arrows at two distances."""
    r = await client.post(
        f"{API}/round/custom",
        json={
            "name": "Short 2",
            "location": "outdoor",
            "arrows_per_end": 3,
            "passes": [
                {"n_arrows": 6, "distance": 50, "face_type": "wa_80"},
                {"n_arrows": 6, "distance": 30, "face_type": "wa_80"},
            ],
        },
        headers=archer.headers,
    )
    rnd = await ok(r, 201)
    s = await open_round(client, archer, custom_round_id=rnd["id"])
    far, near = await targets(client, archer, s["id"])
    first = await shoot(client, archer, s["id"], far, ["9"] * 6)
    second = await shoot(client, archer, s["id"], near, ["8"] * 6)
    # An arrow of end 2 (50 m) moved: scored again on its own 80 cm face at 50 m.
    x, y = first[3]["x_mm"], first[3]["y_mm"]
    moved = await ok(
        await client.patch(
            f"{API}/shot/{first[3]['id']}", json={"x_mm": x, "y_mm": y - 40}, headers=archer.headers
        )
    )
    assert (moved["target_id"], moved["end_no"], moved["label"]) == (far["id"], 2, "X")
    # Deleted: the round is not complete any more; the next arrow fills its place, at 50 m.
    await ok(await client.delete(f"{API}/shot/{first[4]['id']}", headers=archer.headers))
    progress = (await session(client, archer, s["id"]))["progress"]
    assert (progress["complete"], progress["end_no"], progress["arrow_of_end"]) == (False, 2, 2)
    assert (progress["distance_label"], progress["target_id"]) == ("50 m", far["id"])
    # An arrow shot at 30 m cannot move into the free place at 50 m (another target, face).
    r = await client.patch(
        f"{API}/shot/{second[0]['id']}", json={"end_no": 2}, headers=archer.headers
    )
    assert r.status_code == 409, r.text
    r = await post(client, archer, s["id"], near, ["10"])
    assert r.status_code == 409  # at 30 m: not where the next arrow goes
    (refilled,) = await shoot(client, archer, s["id"], far, ["10"])
    assert (refilled["end_no"], refilled["end_place"]) == (2, 2)
    assert (await session(client, archer, s["id"]))["progress"]["complete"] is True


async def test_a_york_is_scored_9_7_5_3_1_with_hits_and_golds(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    s = await open_round(client, archer, distance_m=91.44, round_code="york")
    assert [(p["distance_label"], p["n_arrows"]) for p in s["round"]["passes"]] == [
        ("100 yd", 72),
        ("80 yd", 48),
        ("60 yd", 24),
    ]
    target = (await targets(client, archer, s["id"]))[0]
    assert target["faces"][0]["face_type"] == "agb_122_5zone"
    shot = await shoot(client, archer, s["id"], target, ["9", "7", "5", "3", "1", "M"])
    assert [x["label"] for x in shot] == ["9", "7", "5", "3", "1", "M"]
    card = await ok(await client.get(f"{API}/session/{s['id']}/scorecard", headers=archer.headers))
    assert (card["imperial"], card["hits"], card["golds"], card["total"]) == (True, 5, 1, 25)


async def test_opening_the_next_session_closes_a_complete_round(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    r = await client.post(
        f"{API}/round/custom",
        json={
            "name": "Six",
            "arrows_per_end": 6,
            "passes": [{"n_arrows": 6, "distance": 18, "face_type": "wa_40"}],
        },
        headers=archer.headers,
    )
    rnd = await ok(r, 201)
    earlier = await open_round(client, archer)
    await ok(await client.post(f"{API}/session/{earlier['id']}/close", headers=archer.headers))
    s = await open_round(client, archer, custom_round_id=rnd["id"])
    (target,) = await targets(client, archer, s["id"])
    await shoot(client, archer, s["id"], target, ["9"] * 5)
    # Not complete: it stays in the way, as any open session does.
    r = await client.post(f"{API}/session", json={"distance_m": 18}, headers=archer.headers)
    assert r.status_code == 409
    r = await client.post(f"{API}/session/{earlier['id']}/reopen", headers=archer.headers)
    assert r.status_code == 409
    await shoot(client, archer, s["id"], target, ["9"])
    # Complete: reopening another session, or opening a new one, closes it by itself.
    await ok(await client.post(f"{API}/session/{earlier['id']}/reopen", headers=archer.headers))
    closed = await session(client, archer, s["id"])
    assert (closed["is_open"], closed["progress"]["complete"]) == (False, True)
    await ok(await client.post(f"{API}/session/{earlier['id']}/close", headers=archer.headers))
    await ok(await client.post(f"{API}/session/{s['id']}/reopen", headers=archer.headers))
    nxt = await open_round(client, archer)
    assert nxt["round"] is None and nxt["progress"] is None
    assert (await session(client, archer, s["id"]))["is_open"] is False


async def test_changing_the_round_of_a_session(
    client: httpx.AsyncClient, archer: ArcherCtx, db: Connection
) -> None:
    s = await open_round(client, archer, round_code="wa720_70")
    # Without shots: the round and its targets are made again.
    changed = await ok(
        await client.patch(
            f"{API}/session/{s['id']}", json={"round_code": "wa1440_90"}, headers=archer.headers
        )
    )
    assert changed["round"]["code"] == "wa1440_90" and changed["progress"]["arrows_total"] == 144
    assert len(await targets(client, archer, s["id"])) == 4
    r = await client.patch(
        f"{API}/session/{s['id']}", json={"arrows_per_end": 5}, headers=archer.headers
    )
    assert r.status_code == 422 and "choose 1, 2, 3, 4, 6, 9, 12" in r.json()["errors"][0]
    made = await targets(client, archer, s["id"])
    await shoot(client, archer, s["id"], made[0], ["9"])
    # With shots: the round stays (or goes: the session becomes practice, its shots kept).
    for body in ({"round_code": "wa720_70"}, {"arrows_per_end": 3}):
        r = await client.patch(f"{API}/session/{s['id']}", json=body, headers=archer.headers)
        assert r.status_code == 400, r.text
    practice = await ok(
        await client.patch(
            f"{API}/session/{s['id']}", json={"round_code": None}, headers=archer.headers
        )
    )
    assert (practice["round"], practice["progress"], practice["shot_count"]) == (None, None, 1)
    assert {t["first_end"] for t in await targets(client, archer, s["id"])} == {None}
    # The round's targets keep the round's faces while it is followed.
    s2 = await ok(await client.post(f"{API}/session/{s['id']}/close", headers=archer.headers))
    assert s2["is_open"] is False
    s3 = await open_round(client, archer, round_code="wa18")
    (t18,) = await targets(client, archer, s3["id"])
    r = await client.patch(
        f"{API}/target/{t18['id']}",
        json={"faces": [{"face_type": "wa_60"}]},
        headers=archer.headers,
    )
    assert r.status_code == 409
    assert (
        await client.delete(f"{API}/target/{t18['id']}", headers=archer.headers)
    ).status_code == 409


async def test_a_triple_spot_round_on_the_face_the_archer_prefers(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    s = await open_round(
        client,
        archer,
        distance_m=18,
        round_code="wa18_triple",
        preferred_faces=["wa_40_triple_triangular"],
    )
    (target,) = await targets(client, archer, s["id"])
    assert target["faces"][0]["face_type"] == "wa_40_triple_triangular"
    assert s["arrows_per_end"] == 3 and s["round"]["passes"][0]["face_label"] == "40 cm triple"


async def test_a_round_without_a_face_keeps_its_code_and_is_not_followed(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    s = await open_round(client, archer, round_code="worcester")
    assert (s["round_code"], s["round"], s["arrows_per_end"]) == ("worcester", None, 5)
    assert await targets(client, archer, s["id"]) == []


async def test_rounds_cannot_both_be_given_and_unknown_ones_404(
    client: httpx.AsyncClient, archer: ArcherCtx, other: ArcherCtx
) -> None:
    r = await client.post(
        f"{API}/round/custom",
        json={"name": "Mine", "passes": [{"n_arrows": 6, "distance": 18, "face_type": "wa_40"}]},
        headers=other.headers,
    )
    theirs = await ok(r, 201)
    body: dict[str, Any] = {"distance_m": 18, "custom_round_id": theirs["id"]}
    r = await client.post(f"{API}/session", json=body, headers=archer.headers)
    assert r.status_code == 404
    body["round_code"] = "wa18"
    r = await client.post(f"{API}/session", json=body, headers=other.headers)
    assert r.status_code == 422

"""GET /session/{id}/scoresheet.pdf: the score sheet a judge signs. Its text (read back with
pypdf) holds the archer, the round, every end with its arrows high to low, end and running
totals, the subtotals and the total, equal to the API's scorecard; a complete WA 1440 fits one
A4 sheet (two pages at most); a coach who is shared with gets it, anyone else 404; odd names
print (never a 500)."""

from __future__ import annotations

import io
import random
import re
from typing import Any
from uuid import UUID

import httpx
import pytest
from pypdf import PdfReader

from arch_stats.faces.catalog import FACES
from arch_stats.stats.handicap import classification_name
from tests.clubs.helpers import make_club, session_with_shots
from tests.conftest import ArcherCtx, MakeArcher

API = "/api/v0"
# Scores a round is shot with: mostly golds and reds, some blues and a miss now and then.
LABELS = ["X", "10", "10", "9", "9", "9", "8", "8", "7", "6", "5", "M"]


async def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()["data"]


async def new_session(client: httpx.AsyncClient, who: ArcherCtx, **body: Any) -> UUID:
    data = await ok(await client.post(f"{API}/session", json=body, headers=who.headers), 201)
    return UUID(data["id"])


async def new_target(
    client: httpx.AsyncClient, who: ArcherCtx, session_id: UUID, face_type: str
) -> dict[str, Any]:
    r = await client.post(
        f"{API}/session/{session_id}/target",
        json={"faces": [{"face_type": face_type}]},
        headers=who.headers,
    )
    target: dict[str, Any] = await ok(r, 201)
    return target


async def round_targets(
    client: httpx.AsyncClient, who: ArcherCtx, session_id: UUID
) -> list[dict[str, Any]]:
    """The targets the server made from the session's round, in the round's order."""
    targets = await ok(await client.get(f"{API}/session/{session_id}/target", headers=who.headers))
    return sorted((t for t in targets if t["first_end"]), key=lambda t: t["first_end"])


def position(target: dict[str, Any], label: str) -> tuple[float | None, float | None]:
    """Where an arrow scoring `label` lands on the target's face: in the middle of its ring
    (X: inside the X ring), straight up from the centre; M: no landing."""
    face = target["faces"][0]
    spec = FACES[face["face_type"]]
    if label == "M":
        return None, None
    inner = {r.value: 0.0 for r in spec.rings}
    radii = [0.0, *(r.outer_radius_mm for r in spec.rings)]
    for i, ring in enumerate(spec.rings):
        inner[ring.value] = radii[i]
    if label == "X":
        assert spec.x_radius_mm is not None
        dy = spec.x_radius_mm / 2
    else:
        ring = next(r for r in spec.rings if r.value == int(label))
        dy = (inner[ring.value] + ring.outer_radius_mm) / 2
        if ring.value == spec.rings[0].value and spec.x_radius_mm is not None:
            dy = (spec.x_radius_mm + ring.outer_radius_mm) / 2  # a 10, not an X
    return face["center_x_mm"], face["center_y_mm"] + dy


async def shoot(
    client: httpx.AsyncClient,
    who: ArcherCtx,
    session_id: UUID,
    target: dict[str, Any],
    labels: list[str],
) -> None:
    """Post the arrows through the API, as one list (all or nothing)."""
    shots = []
    for label in labels:
        x, y = position(target, label)
        shots.append(
            {"session_id": str(session_id), "target_id": target["id"], "x_mm": x, "y_mm": y}
        )
    await ok(await client.post(f"{API}/shot", json=shots, headers=who.headers), 201)


async def shoot_1440(client: httpx.AsyncClient, who: ArcherCtx, **session: Any) -> UUID:
    """A complete WA 1440 (90 m): 144 arrows in ends of 6, 72 on a 122 cm face (90 and 70 m)
    and 72 on an 80 cm face (50 and 30 m), each distance at the target the server made for
    it from the round."""
    body = {"distance_m": 90, "round_code": "wa1440_90", "location": "Lilleshall", **session}
    session_id = await new_session(client, who, **body)
    rng = random.Random(1440)
    targets = await round_targets(client, who, session_id)
    assert [t["faces"][0]["face_type"] for t in targets] == ["wa_122", "wa_122", "wa_80", "wa_80"]
    for target in targets:
        await shoot(client, who, session_id, target, [rng.choice(LABELS) for _ in range(36)])
    return session_id


async def card_of(client: httpx.AsyncClient, who: ArcherCtx, session_id: UUID) -> Any:
    return await ok(await client.get(f"{API}/session/{session_id}/scorecard", headers=who.headers))


async def fetch_sheet(
    client: httpx.AsyncClient, who: ArcherCtx, session_id: UUID, query: str = ""
) -> httpx.Response:
    return await client.get(
        f"{API}/session/{session_id}/scoresheet.pdf{query}", headers=who.headers
    )


async def sheet(
    client: httpx.AsyncClient, who: ArcherCtx, session_id: UUID, query: str = ""
) -> PdfReader:
    r = await fetch_sheet(client, who, session_id, query)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(r.content))


def text_of(pdf: PdfReader) -> str:
    """The text as laid out on the page, one printed line per line."""
    return "\n".join(page.extract_text(extraction_mode="layout") for page in pdf.pages)


def counts(figures: dict[str, Any], imperial: bool) -> list[int]:
    keys = ["hits", "golds"] if imperial else ["hits", "ten_x_count", "x_count"]
    return [figures[k] for k in keys]


def line(*cells: object) -> re.Pattern[str]:
    """A printed line of these cells, in order, nothing else on it."""
    return re.compile(r"^\s*" + r"\s+".join(re.escape(str(c)) for c in cells) + r"\s*$", re.M)


def assert_card_printed(text: str, card: dict[str, Any]) -> None:
    """Every end (its arrows high to low, end total, running total, counts), every subtotal
    (blank while none of its arrows is shot) and the total of the API's scorecard are lines
    of the sheet."""
    imperial = card["imperial"]
    for end in card["ends"]:
        labels = [a["label"] for a in end["arrows"]]
        cells = [end["total"], end["running_total"], *counts(end, imperial)]
        assert line(end["end_no"], *labels, *cells).search(text), f"end {end['end_no']}"
    for st in card["subtotals"]:
        label = f"{st['label']} (ends {st['end_from']}–{st['end_to']})"
        figures = [st["total"], *counts(st, imperial)] if st["arrows"] else []  # blank: to come
        assert line(label, *figures).search(text), label
    assert line("Total", card["total"], *counts(card, imperial)).search(text)


async def test_wa1440_sheet_holds_the_scorecard_on_one_a4_sheet(
    client: httpx.AsyncClient, make_archer: MakeArcher
) -> None:
    archer = await make_archer("Zoë Ångström-Łukasiewicz", bowstyle="compound", gender="female")
    session_id = await shoot_1440(client, archer)
    card = await card_of(client, archer, session_id)
    assert card["arrows"] == 144 and len(card["ends"]) == 24 and len(card["subtotals"]) == 4
    stats = await ok(await client.get(f"{API}/session/{session_id}/stats", headers=archer.headers))
    rnd = stats["round"]
    assert rnd["complete"] and rnd["classification"] is not None

    pdf = await sheet(client, archer, session_id)
    assert len(pdf.pages) <= 2  # front and back of one A4 sheet at most
    assert all(round(float(p.mediabox.width)) == 595 for p in pdf.pages)  # A4: 595 × 842 pt
    text = text_of(pdf)
    assert "Zoë Ångström-Łukasiewicz" in text
    assert line("Category", "Compound · Female · Adult").search(text)
    assert line("Round", "WA 1440 (90m)").search(text)
    assert "90 m (122 cm) · 70 m (122 cm) · 50 m (80 cm) · 30 m (80 cm)" in text
    assert line("Venue", "Lilleshall · outdoor").search(text)
    assert_card_printed(text, card)
    # The handicap and the classification as the session's statistics give them, named.
    assert rnd["classification_name"] == classification_name(rnd["classification"])
    assert f"{rnd['classification_name']} ({rnd['classification']})" in text
    results = line(card["total"], *counts(card, False), 144, f"{rnd['handicap']:g}")
    assert results.search(
        text.replace(f"{rnd['classification_name']} ", "").replace(f"({rnd['classification']})", "")
    )
    assert "Archer's signature" in text and "Scorer's signature" in text


async def test_imperial_round_prints_hits_and_golds_and_empty_ends_to_come(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    """A York begun: 9-7-5-3-1 on the 5-zone face, 12 arrows of 144. Hits and golds (the 9s),
    no 10+X or X; the round's 24 ends are all printed, those to come empty."""
    session_id = await new_session(client, archer, distance_m=91.44, round_code="york")
    target = (await round_targets(client, archer, session_id))[0]
    assert target["faces"][0]["face_type"] == "agb_122_5zone"
    labels = ["9", "9", "7", "5", "M", "3", "9", "7", "7", "1", "M", "5"]
    await shoot(client, archer, session_id, target, labels)
    card = await card_of(client, archer, session_id)
    assert card["imperial"] is True
    assert [e["golds"] for e in card["ends"]] == [2, 1]
    assert (card["golds"], card["hits"], card["total"]) == (3, 10, 62)
    assert card["subtotals"][0]["golds"] == 3

    text = text_of(await sheet(client, archer, session_id))
    assert line("End", 1, 2, 3, 4, 5, 6, "End", "Total", "Hits", "Golds").search(text)
    assert "10+X" not in text
    assert_card_printed(text, card)
    for end_no in range(3, 25):
        assert line(end_no).search(text), f"end {end_no} printed empty"
    assert "100 yd (122 cm) · 80 yd (122 cm) · 60 yd (122 cm)" in text
    assert "Round not complete: 12 of 144 arrows shot" in text


async def test_metric_card_counts_no_golds(client: httpx.AsyncClient, archer: ArcherCtx) -> None:
    """A 9 on a 10-zone face is no gold: golds are an imperial count."""
    session_id = await new_session(client, archer, distance_m=70, round_code="wa720_70")
    (target,) = await round_targets(client, archer, session_id)
    await shoot(client, archer, session_id, target, ["9", "9", "X"])
    card = await card_of(client, archer, session_id)
    assert (card["imperial"], card["golds"], card["ends"][0]["golds"]) == (False, 0, 0)


async def test_practice_sheet_without_round_parts(
    client: httpx.AsyncClient, archer: ArcherCtx
) -> None:
    session_id = await new_session(
        client,
        archer,
        distance_m=18,
        is_indoor=True,
        location="Club hall <b>&amp;</b>",
        start_time="2026-05-01T23:30:00Z",
    )
    target = await new_target(client, archer, session_id, "wa_40")
    await shoot(client, archer, session_id, target, ["X", "10", "9", "8", "M", "7", "10"])
    card = await card_of(client, archer, session_id)
    r = await fetch_sheet(client, archer, session_id, "?utc_offset_minutes=120")
    assert r.headers["content-disposition"] == 'inline; filename="score-sheet-2026-05-02.pdf"'
    text = text_of(await sheet(client, archer, session_id, "?utc_offset_minutes=120"))
    assert "Score sheet · Practice session" in text
    assert line("Distance", "18 m").search(text)
    assert line("Venue", "Club hall <b>&amp;</b> · indoor").search(text)  # as typed
    # In the reader's offset: 23:30 UTC is 01:30 the next day at UTC+2.
    assert "Sat 2 May 2026, 01:30" in text and "(UTC+02:00)" in text
    assert_card_printed(text, card)
    assert len(card["ends"]) == 2  # the ends shot, no more
    assert not line(3).search(text)
    for round_only in ("Round", "Distances", "Handicap", "Classification", "ends 1–"):
        assert round_only not in text


@pytest.mark.parametrize(
    ("name", "readable"),
    [
        ("Ægir Ðórðarson-Nuñez", True),
        ("Ψυχή Дмитриевна Đặng", True),
        ("李小龍", True),
        ("山田 はなこ", True),
        ("김민지", True),
        ("محمد عبد الله", False),  # no Arabic in the embedded font: boxes, but a sheet
        ("🏹 Robin\u0007 Hood\u200f", False),
        ("<script>&lt;x</font>", True),
    ],
)
async def test_any_name_prints(
    client: httpx.AsyncClient, make_archer: MakeArcher, name: str, readable: bool
) -> None:
    archer = await make_archer(name)
    session_id = await new_session(client, archer, distance_m=18)
    target = await new_target(client, archer, session_id, "wa_40")
    await shoot(client, archer, session_id, target, ["10", "9"])
    pdf = await sheet(client, archer, session_id)
    text = text_of(pdf)
    if readable:
        assert name in text
    assert line("Total", 19, 2, 1, 0).search(text)


async def test_coach_with_consent_gets_the_sheet_others_404(
    client: httpx.AsyncClient, make_archer: MakeArcher, other: ArcherCtx
) -> None:
    club = await make_club(client, make_archer)
    shared = UUID(await session_with_shots(client, club.sharing))
    private = UUID(await session_with_shots(client, club.private))
    text = text_of(await sheet(client, club.coach, shared))
    assert "Sam Sharing" in text
    assert_card_printed(text, await card_of(client, club.sharing, shared))
    for who, session_id in ((club.coach, private), (other, shared), (club.sharing, private)):
        r = await fetch_sheet(client, who, session_id)
        assert r.status_code == 404, r.text
        assert r.json() == {"code": 404, "data": None, "errors": r.json()["errors"]}
    r = await client.get(f"{API}/session/{shared}/scoresheet.pdf")
    assert r.status_code == 401


@pytest.mark.parametrize(
    "query", ["?utc_offset_minutes=900", "?utc_offset_minutes=1.5", "?scheme=WA", "?x=1"]
)
async def test_bad_query_422(client: httpx.AsyncClient, archer: ArcherCtx, query: str) -> None:
    session_id = await new_session(client, archer, distance_m=18)
    r = await fetch_sheet(client, archer, session_id, query)
    assert r.status_code == 422, r.text
    assert r.json()["data"] is None and r.json()["errors"]


def test_classification_names() -> None:
    assert classification_name("B1") == "Bowman 1st Class"
    assert classification_name("EMB") == "Elite Master Bowman"
    assert classification_name("I-MB") == "Indoor Master Bowman"
    assert classification_name("UC") == "Unclassified"
    assert classification_name(None) is None

"""GET /stats/history: a handicap per session (checked against archeryutils) and the series
per round and per distance, each with its own regression; 18 m and 70 m never in one line."""

from __future__ import annotations

import warnings
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from archeryutils import Pass, Round, Target, handicaps, load_rounds

from arch_stats.core.database import Connection
from arch_stats.stats.handicap import partial_round
from arch_stats.stats.schemas import HistoryOut
from tests.conftest import ArcherCtx
from tests.stats import data
from tests.stats.data import T0, Shot

URL = "/api/v0/stats/history"
WA18 = load_rounds.WA_indoor.wa18
WA720 = load_rounds.WA_outdoor.wa720_70


def au_handicap(score: float, rnd: Round, scheme: str = "AGB", *, whole: bool = True) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(handicaps.handicap_from_score(score, rnd, scheme, int_prec=whole))


async def history(client: httpx.AsyncClient, archer: ArcherCtx, query: str = "") -> Any:
    r = await client.get(URL + query, headers=archer.headers)
    assert r.status_code == 200, r.text
    HistoryOut.model_validate(r.json()["data"])  # exactly the documented shape
    return r.json()["data"]


def scores(total: int, arrows: int, top: int = 10) -> list[int]:
    """`arrows` scores adding up to `total`, as even as possible."""
    base, extra = divmod(total, arrows)
    out = [base + 1] * extra + [base] * (arrows - extra)
    assert max(out) <= top
    return out


class Archive:
    ids: dict[str, UUID]


@pytest.fixture
async def archive(db: Connection, archer: ArcherCtx) -> Archive:
    """| name | day | session                             | arrows | total |
    | a    | 0   | WA 18 m, complete, 18 m indoor      | 60     | 540   |
    | b    | 10  | WA 18 m, complete                   | 60     | 560   |
    | c    | 5   | WA 720 (70 m), complete, 70 m       | 72     | 600   |
    | d    | 20  | WA 720 (70 m), 36 arrows shot       | 36     | 300   |
    | e    | 3   | practice 18 m indoor, wa_40         | 30     | 250   |
    | f    | 7   | practice 70 m, 12 arrows            | 12     | 100   |
    | g    | 12  | WA 1440 (90 m), 40 arrows           | 40     | 300   |
    | h    | 15  | practice 50 m, wa_122 and wa_80     | 36     | 288   |
    """
    out = Archive()
    out.ids = {}

    async def add(
        name: str,
        day: int,
        total: int,
        arrows: int,
        *,
        round_code: str | None = None,
        distance_m: float = 70,
        indoor: bool = False,
        faces: tuple[str, ...] = ("wa_122",),
    ) -> None:
        s = await data.session(
            db,
            archer.id,
            start=T0 + timedelta(days=day),
            round_code=round_code,
            distance_m=distance_m,
            is_indoor=indoor,
            per_end=6,
        )
        values = scores(total, arrows)
        first = 1
        # One target per face type, the arrows shared out between them.
        share = -(-arrows // len(faces))
        for i, face in enumerate(faces):
            t = await data.target(
                db, archer.id, s, faces=((face, data.C, data.C),), distance_m=distance_m
            )
            mine = values[i * share : (i + 1) * share]
            await data.shots(
                db, archer.id, s, t, [Shot(0, 0, v) for v in mine], per_end=6, first_seq=first
            )
            first += len(mine)
        out.ids[name] = s

    await add("a", 0, 540, 60, round_code="wa18", distance_m=18, indoor=True, faces=("wa_40",))
    await add("b", 10, 560, 60, round_code="wa18", distance_m=18, indoor=True, faces=("wa_40",))
    await add("c", 5, 600, 72, round_code="wa720_70")
    await add("d", 20, 300, 36, round_code="wa720_70")
    await add("e", 3, 250, 30, distance_m=18, indoor=True, faces=("wa_40",))
    await add("f", 7, 100, 12)
    await add("g", 12, 300, 40, round_code="wa1440_90", distance_m=90)
    await add("h", 15, 288, 36, distance_m=50, faces=("wa_122", "wa_80"))
    return out


def by_session(h: dict[str, Any], archive: Archive) -> dict[str, dict[str, Any]]:
    names = {str(v): k for k, v in archive.ids.items()}
    return {names[r["session_id"]]: r for r in h["rows"]}


async def test_handicap_per_session_as_archeryutils_computes_it(
    client: httpx.AsyncClient, archer: ArcherCtx, archive: Archive
) -> None:
    rows = by_session(await history(client, archer), archive)
    # Complete standard rounds: the table handicap of the score.
    assert (rows["a"]["handicap"], rows["a"]["handicap_basis"]) == (au_handicap(540, WA18), "round")
    assert rows["b"]["handicap"] == au_handicap(560, WA18)
    assert rows["c"]["handicap"] == au_handicap(600, WA720)
    assert (rows["a"]["round_name"], rows["c"]["round_name"]) == (WA18.name, WA720.name)
    # An unfinished round: the decimal handicap of the arrows shot, as a partial round.
    assert rows["d"]["handicap_basis"] == "partial_round"
    expected = au_handicap(300, partial_round(WA720, 36), whole=False)
    assert rows["d"]["handicap"] == pytest.approx(expected, abs=0.1)
    # Practice on one face at one distance: a round of its own, one pass of its arrows.
    practice = Round("practice", [Pass(30, Target("10_zone", 40, 18.0, True))])
    assert rows["e"]["handicap_basis"] == "face_distance"
    assert rows["e"]["handicap"] == pytest.approx(au_handicap(250, practice, whole=False), abs=0.1)
    # Too few arrows, or two faces: no handicap.
    for name in ("f", "h"):
        assert (rows[name]["handicap"], rows[name]["handicap_basis"]) == (None, None)
    assert rows["g"]["handicap_basis"] == "partial_round"  # 40 arrows of a WA 1440


async def test_aa_scheme_handicaps(
    client: httpx.AsyncClient, archer: ArcherCtx, archive: Archive
) -> None:
    h = await history(client, archer, "?scheme=AA")
    rows = by_session(h, archive)
    assert h["scheme"] == "AA"
    assert rows["a"]["handicap"] == au_handicap(540, WA18, "AA")
    assert rows["b"]["handicap"] > rows["a"]["handicap"]  # AA: higher is better


async def test_series_never_mix_rounds_or_distances(
    client: httpx.AsyncClient, archer: ArcherCtx, archive: Archive
) -> None:
    h = await history(client, archer)
    names = {str(v): k for k, v in archive.ids.items()}

    def members(series: dict[str, Any]) -> list[str]:
        return [names[p["session_id"]] for p in series["points"]]

    rounds = h["series"]["by_round"]
    assert [(r["key"], r["label"], members(r)) for r in rounds] == [
        ("round:wa1440_90", "WA 1440 (90m)", ["g"]),
        ("round:wa18", WA18.name, ["a", "b"]),
        ("round:wa720_70", WA720.name, ["c", "d"]),
    ]
    distances = h["series"]["by_distance"]
    assert [(d["key"], d["label"], members(d)) for d in distances] == [
        ("distance:50:outdoor", "50 m outdoor", ["h"]),
        ("distance:70:outdoor", "70 m outdoor", ["c", "f", "d"]),  # WA 720s: one distance
        ("distance:18:indoor", "18 m indoor", ["a", "e", "b"]),
    ]
    # The WA 1440 (four distances) is in no distance series.
    assert "g" not in [m for d in distances for m in members(d)]
    assert [(d["distance_m"], d["is_indoor"]) for d in distances] == [
        (50, False),
        (70, False),
        (18, True),
    ]


async def test_each_series_has_its_own_regression(
    client: httpx.AsyncClient, archer: ArcherCtx, archive: Archive
) -> None:
    h = await history(client, archer)
    wa18 = next(r for r in h["series"]["by_round"] if r["round_code"] == "wa18")
    a, b = wa18["points"]
    assert (a["arrows"], a["total"], a["score"], a["average_per_arrow"]) == (60, 540, 540, 9)
    assert b["score"] == 560
    # Two points 10 days apart: the line through both.
    assert wa18["trend"]["points"] == 2
    assert wa18["trend"]["slope_per_day"] == pytest.approx((560 / 60 - 9) / 10)
    assert wa18["trend"]["slope_per_year"] == pytest.approx((560 / 60 - 9) / 10 * 365.25)
    assert wa18["trend"]["r2"] == pytest.approx(1)
    assert wa18["trend"]["first_fitted"] == pytest.approx(9)
    assert wa18["trend"]["last_fitted"] == pytest.approx(560 / 60)
    ha, hb = au_handicap(540, WA18), au_handicap(560, WA18)
    assert [p["handicap"] for p in wa18["points"]] == [ha, hb]
    assert wa18["handicap_trend"]["slope_per_day"] == pytest.approx((hb - ha) / 10)
    # 18 m indoor: a (day 0, 9.0), e (day 3, 250/30), b (day 10, 560/60) — least squares.
    indoor = next(d for d in h["series"]["by_distance"] if d["is_indoor"])
    days, averages = [0, 3, 10], [9, 250 / 30, 560 / 60]
    mx, my = sum(days) / 3, sum(averages) / 3
    slope = sum((x - mx) * (y - my) for x, y in zip(days, averages, strict=True)) / sum(
        (x - mx) ** 2 for x in days
    )
    assert indoor["trend"]["slope_per_day"] == pytest.approx(slope)
    assert indoor["trend"]["points"] == 3
    assert indoor["handicap_trend"]["points"] == 3  # all three have a handicap
    assert [p["score"] for p in indoor["points"]] == [540, None, 560]  # complete rounds
    # The top-level trend still runs over every row (compatibility).
    assert h["trend"]["points"] == 8


async def test_by_month_rows_and_points_carry_the_mean_handicap(
    client: httpx.AsyncClient, archer: ArcherCtx, archive: Archive
) -> None:
    h = await history(client, archer, "?group=month")
    rows = h["rows"]
    assert [r["period"] for r in rows] == ["2026-05-01"]  # T0 is 1 May, the last day 21 May
    session_rows = by_session(await history(client, archer), archive)
    rated = [r["handicap"] for r in session_rows.values() if r["handicap"] is not None]
    assert rows[0]["handicap"] == pytest.approx(round(sum(rated) / len(rated), 1))
    assert rows[0]["handicap_basis"] == "sessions"
    wa18 = next(r for r in h["series"]["by_round"] if r["round_code"] == "wa18")
    (point,) = wa18["points"]
    assert (point["session_id"], point["period"], point["sessions"]) == (None, "2026-05-01", 2)
    assert (point["arrows"], point["total"], point["score"]) == (120, 1100, None)
    assert point["handicap"] == pytest.approx(
        round((au_handicap(540, WA18) + au_handicap(560, WA18)) / 2, 1)
    )


async def test_one_arrows_history_has_no_handicaps(
    client: httpx.AsyncClient, db: Connection, archer: ArcherCtx, archive: Archive
) -> None:
    arrow = await data.arrow(db, archer.id, "A1")
    await db.execute("UPDATE shot SET arrow_id = $1 WHERE session_id = $2", arrow, archive.ids["a"])
    h = await history(client, archer, f"?arrow_id={arrow}")
    (row,) = h["rows"]
    assert (row["arrows"], row["handicap"], row["handicap_basis"]) == (60, None, None)
    (series,) = h["series"]["by_round"]
    assert series["points"][0]["handicap"] is None


async def test_filters_apply_to_the_series(
    client: httpx.AsyncClient, archer: ArcherCtx, archive: Archive
) -> None:
    h = await history(client, archer, "?is_indoor=true")
    assert [r["key"] for r in h["series"]["by_round"]] == ["round:wa18"]
    assert [d["key"] for d in h["series"]["by_distance"]] == ["distance:18:indoor"]

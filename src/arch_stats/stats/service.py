"""Statistics rules: a session's numbers, the history across sessions, an arrow's history.

The definitions are in `arch_stats.stats.maths`, handicaps and classifications in
`arch_stats.stats.handicap`.

`session_stats_json(conn, session_id, archer_id)` is the entry point for the live channel:
after each shot it sends the result as the `stats.updated` frame.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from arch_stats.core.database import Executor
from arch_stats.core.errors import InvalidInput, NotFound
from arch_stats.faces.rounds import ROUNDS
from arch_stats.faces.scoring import FACES, max_score
from arch_stats.stats import handicap, history, maths, scorecard
from arch_stats.stats import repository as repo
from arch_stats.stats.handicap import Scheme
from arch_stats.stats.schemas import ArrowStatsQuery, HistoryQuery, SessionFilter

# Round codes and their arrow counts, for the personal bests (complete rounds only).
_ROUND_CODES = list(ROUNDS)
_ROUND_ARROWS = [ROUNDS[c].n_arrows for c in _ROUND_CODES]


def label(score: int, is_x: bool) -> str:
    if is_x:
        return "X"
    return "M" if score == 0 else str(score)


def _group_out(g: maths.Group) -> dict[str, Any]:
    return {
        "impacts": g.n,
        "centre_x_mm": g.centre_x,
        "centre_y_mm": g.centre_y,
        "sigma_x_mm": g.sigma_x,
        "sigma_y_mm": g.sigma_y,
        "mean_radius_mm": g.mean_radius,
        "cep50_mm": g.cep50,
        "extreme_spread_mm": g.extreme_spread,
    }


def _ends(
    end_nos: Sequence[int], scores: Sequence[int], labels: Sequence[str]
) -> list[dict[str, Any]]:
    by_end: dict[int, list[int]] = {}
    for i, end_no in enumerate(end_nos):
        by_end.setdefault(end_no, []).append(i)
    out = []
    running = 0
    for end_no in sorted(by_end):
        idx = by_end[end_no]
        total = sum(scores[i] for i in idx)
        running += total
        out.append(
            {
                "end_no": end_no,
                "arrows": len(idx),
                "labels": [labels[i] for i in idx],
                "total": total,
                "running_total": running,
                "average_per_arrow": total / len(idx),
            }
        )
    return out


def _distribution(scores: Sequence[int], labels: Sequence[str]) -> list[dict[str, Any]]:
    counts: dict[tuple[int, bool, str], int] = {}
    for s, lab in zip(scores, labels, strict=True):
        key = (s, lab == "X", lab)
        counts[key] = counts.get(key, 0) + 1
    # Best first: an X before a plain 10 (an X that scores 11 before everything).
    ordered = sorted(counts, key=lambda k: (k[0], k[1]), reverse=True)
    return [{"label": k[2], "score": k[0], "count": counts[k]} for k in ordered]


def _timing(
    draw: Sequence[float | None], flight: Sequence[float | None], distance: Sequence[float]
) -> dict[str, Any]:
    draws = [d for d in draw if d is not None]
    flights = [f for f in flight if f is not None]
    speeds = [
        dist / (f / 1000)
        for f, dist in zip(flight, distance, strict=True)
        if f is not None and f > 0
    ]
    return {
        "draw_count": len(draws),
        "draw_ms_mean": maths.mean(draws),
        "draw_ms_sd": maths.sample_sd(draws),
        "flight_count": len(flights),
        "flight_ms_mean": maths.mean(flights),
        "flight_ms_sd": maths.sample_sd(flights),
        "speed_mps": maths.mean(speeds),
    }


def _fatigue(ends: list[dict[str, Any]], scores: Sequence[int]) -> dict[str, Any]:
    half = len(scores) // 2
    first, second = scores[:half], scores[half:]
    return {
        "slope_per_end": maths.slope(
            [float(e["end_no"]) for e in ends], [e["average_per_arrow"] for e in ends]
        ),
        "first_half_average": sum(first) / len(first) if first else None,
        "second_half_average": sum(second) / len(second) if second else None,
    }


def _per_arrow(
    arrow_ids: Sequence[str | None],
    identifiers: Sequence[str | None],
    scores: Sequence[int],
    points: Sequence[tuple[float, float] | None],
    session_group: maths.Group,
) -> list[dict[str, Any]]:
    shots: dict[str | None, list[int]] = {}
    names: dict[str | None, str | None] = {}
    for i, arrow_id in enumerate(arrow_ids):
        shots.setdefault(arrow_id, []).append(i)
        names[arrow_id] = identifiers[i]
    rows: list[dict[str, Any]] = []
    tested: list[int] = []  # indexes into rows
    p_values: list[float] = []
    for arrow_id, idx in shots.items():
        mine = [p for i in idx if (p := points[i]) is not None]
        xs, ys = [p[0] for p in mine], [p[1] for p in mine]
        total = sum(scores[i] for i in idx)
        row: dict[str, Any] = {
            "arrow_id": arrow_id,
            "identifier": names[arrow_id],
            "shots": len(idx),
            "impacts": len(mine),
            "total": total,
            "mean_score": total / len(idx),
            "centre_x_mm": maths.mean(xs),
            "centre_y_mm": maths.mean(ys),
            "offset_x_mm": None,
            "offset_y_mm": None,
            "offset_mm": None,
            "p_value": None,
            "p_adjusted": None,
            "flagged": False,
        }
        if xs and session_group.centre_x is not None and session_group.centre_y is not None:
            ox = row["centre_x_mm"] - session_group.centre_x
            oy = row["centre_y_mm"] - session_group.centre_y
            row.update(offset_x_mm=ox, offset_y_mm=oy, offset_mm=math.hypot(ox, oy))
        if arrow_id is not None:
            # Against every other impact of the session, shots without an arrow included.
            others = [p for i, p in enumerate(points) if p is not None and arrow_ids[i] != arrow_id]
            p_value = maths.hotelling_p((xs, ys), ([p[0] for p in others], [p[1] for p in others]))
            if p_value is not None:
                row["p_value"] = p_value
                tested.append(len(rows))
                p_values.append(p_value)
        rows.append(row)
    for k, adjusted in zip(tested, maths.holm(p_values), strict=True):
        rows[k]["p_adjusted"] = adjusted
        rows[k]["flagged"] = adjusted < maths.FLAG_ALPHA
    # Known arrows by identifier, then the shots without an arrow.
    rows.sort(key=lambda r: (r["identifier"] is None, r["identifier"] or "", r["arrow_id"] or ""))
    return rows


def _round(
    code: str | None, scheme: Scheme, scores: Sequence[int], category: tuple[str, str, str]
) -> dict[str, Any] | None:
    spec = ROUNDS.get(code) if code else None
    if spec is None or handicap.get_round(code) is None:
        return None
    assert code is not None
    counted = list(scores[: spec.n_arrows])
    score = sum(counted)
    complete = len(counted) == spec.n_arrows
    out: dict[str, Any] = {
        "code": code,
        "name": spec.name,
        "n_arrows": spec.n_arrows,
        "max_score": spec.max_score,
        "arrows_counted": len(counted),
        "score": score,
        "complete": complete,
        "scheme": scheme,
        "handicap": None,
        "classification_scheme": handicap.CLASSIFICATION_SCHEME,
        "classification": None,
        "predicted_score": None,
        "prediction_method": None,
        "handicap_so_far": None,
        "predicted_classification": None,
    }
    if complete:
        out["handicap"] = handicap.round_handicap(scheme, code, score)
        out["classification"] = handicap.classification(code, *category, score)
        out["predicted_score"] = score
        out["prediction_method"] = "final"
        out["predicted_classification"] = out["classification"]
    elif counted:
        prediction = handicap.predict(scheme, code, len(counted), score)
        if prediction is not None:
            out["predicted_score"] = prediction.score
            out["prediction_method"] = prediction.method
            out["handicap_so_far"] = prediction.handicap
            out["predicted_classification"] = handicap.classification(
                code, *category, prediction.score
            )
    return out


def compute_session_stats(row: asyncpg.Record, scheme: Scheme) -> dict[str, Any]:
    """Every number of one session, from its row of shot arrays (see the repository)."""
    scores: list[int] = row["score"]
    is_x: list[bool] = row["is_x"]
    dx: list[float | None] = row["dx"]
    dy: list[float | None] = row["dy"]
    labels = [label(s, x) for s, x in zip(scores, is_x, strict=True)]
    n = len(scores)
    total = sum(scores)
    hits = sum(1 for s in scores if s > 0)
    points = [None if x is None or y is None else (x, y) for x, y in zip(dx, dy, strict=True)]
    impacts = [p for p in points if p is not None]
    xs, ys = [p[0] for p in impacts], [p[1] for p in impacts]
    session_group = maths.group(xs, ys)
    ends = _ends(row["end_no"], scores, labels)
    return {
        "session_id": row["id"],
        "is_open": row["is_open"],
        "start_time": row["start_time"],
        "distance_m": row["distance_m"],
        "is_indoor": row["is_indoor"],
        "round_code": row["round_code"],
        "arrows": n,
        "hits": hits,
        "misses": n - hits,
        "no_landing": n - len(xs),
        "total": total,
        # A face unknown to the catalogue (none should be) counts as a 10-zone face.
        "max_possible": sum(max_score(f) if f in FACES else 10 for f in row["face_type"]),
        "average_per_arrow": total / n if n else None,
        "x_count": sum(1 for x in is_x if x),
        "ten_count": sum(1 for s in scores if s >= 10),
        "ends": ends,
        "distribution": _distribution(scores, labels),
        "group": _group_out(session_group),
        "timing": _timing(row["draw_ms"], row["flight_ms"], row["distance"]),
        "fatigue": _fatigue(ends, scores),
        "per_arrow": _per_arrow(row["arrow_id"], row["identifier"], scores, points, session_group),
        "round": _round(
            row["round_code"],
            scheme,
            scores,
            (row["bowstyle"], row["gender"], row["age_group"]),
        ),
    }


async def session_stats(
    conn: Executor, archer_id: UUID, session_id: UUID, scheme: Scheme = "AGB"
) -> dict[str, Any]:
    row = await repo.session_shots(conn, session_id, archer_id)
    if row is None:
        raise NotFound("session", session_id)
    return compute_session_stats(row, scheme)


async def session_stats_json(
    conn: Executor, session_id: UUID, archer_id: UUID, scheme: Scheme = "AGB"
) -> str | None:
    """The session's statistics as JSON text (the `data` of GET /session/{id}/stats), or None
    when the session is not the archer's. For the live channel's `stats.updated` frame."""
    row = await repo.session_shots(conn, session_id, archer_id)
    if row is None:
        return None
    return orjson.dumps(compute_session_stats(row, scheme)).decode()


async def scorecard_json(conn: Executor, archer_id: UUID, session_id: UUID) -> bytes:
    """The session's scorecard (`arch_stats.stats.scorecard`) as JSON, from one query."""
    rows = await repo.scorecard_rows(conn, session_id, archer_id)
    if not rows:
        raise NotFound("session", session_id)
    first = rows[0]
    arrows = [
        scorecard.CardArrow(
            id=r["id"],
            seq=r["seq"],
            end_no=r["end_no"],
            end_place=r["end_place"],
            arrow_id=r["arrow_id"],
            score=r["score"],
            is_x=r["is_x"],
            is_miss=r["is_miss"],
            same_spot_miss=r["same_spot_miss"],
            hit_label=r["hit_label"],
        )
        for r in rows
        if r["id"] is not None
    ]
    return orjson.dumps(scorecard.build(first["round_code"], first["arrows_per_end"], arrows))


def _check_face(face_type: str | None) -> None:
    if face_type is not None and face_type not in FACES:
        raise InvalidInput(f"face_type: unknown face {face_type!r} (GET /api/v0/face lists them)")


def filter_kwargs(f: SessionFilter) -> dict[str, Any]:
    _check_face(f.face_type)
    return {
        "start_from": f.start_from,
        "start_to": f.start_to,
        "distance_m": f.distance_m,
        "face_type": f.face_type,
        "round_code": f.round_code,
        "is_indoor": f.is_indoor,
    }


# Above this many sessions the history's Python part (handicaps, series, JSON) runs in a
# worker thread, so that the event loop keeps answering others meanwhile.
HISTORY_INLINE_SESSIONS = 300


def _history_body(row: asyncpg.Record, query: HistoryQuery) -> bytes:
    sessions = history.sessions_of(orjson.loads(row["sessions"]))
    if query.arrow_id is None:
        history.add_handicaps(query.scheme, sessions)
    rows = orjson.loads(row["rows"])
    history.patch_rows(rows, sessions, query.group)
    # The bests by round are few: their handicaps are added here (archeryutils, memoised).
    by_round = orjson.loads(row["by_round"])
    for best in by_round:
        spec = ROUNDS.get(best["round_code"])
        best["name"] = spec.name if spec else None
        best["handicap"] = handicap.round_handicap(query.scheme, best["round_code"], best["score"])
    return orjson.dumps(
        {
            "group": query.group,
            "scheme": query.scheme,
            "rows": rows,
            "trend": orjson.Fragment(row["trend"]),
            "series": history.series(sessions, query.group),
            "personal_bests": {
                "by_round": by_round,
                "by_distance": orjson.Fragment(row["by_distance"]),
            },
        }
    )


async def history_json(conn: Executor, archer_id: UUID, query: HistoryQuery) -> bytes:
    if query.arrow_id is not None and not await repo.arrow_exists(conn, query.arrow_id, archer_id):
        raise NotFound("arrow", query.arrow_id)
    row = await repo.history(
        conn,
        archer_id,
        group=query.group,
        filters=filter_kwargs(query),
        arrow_id=query.arrow_id,
        round_codes=_ROUND_CODES,
        round_arrows=_ROUND_ARROWS,
        pb_min_arrows=query.pb_min_arrows,
    )
    if len(row["sessions"]) < HISTORY_INLINE_SESSIONS * 200:  # ≈ 200 bytes a session
        return _history_body(row, query)
    return await asyncio.to_thread(_history_body, row, query)


async def arrow_stats_json(
    conn: Executor, archer_id: UUID, arrow_id: UUID, query: ArrowStatsQuery
) -> str:
    json = await repo.arrow_history(
        conn,
        arrow_id,
        archer_id,
        group=query.group,
        start_from=query.start_from,
        start_to=query.start_to,
    )
    if json is None:
        raise NotFound("arrow", arrow_id)
    return json

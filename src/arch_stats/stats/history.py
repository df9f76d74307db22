"""The history's handicaps and series: what the SQL of `repository.history` does not do.

**A handicap per session** (`scheme`: AGB by default, or AA), where one is meaningful:

* `round`: a standard round shot complete (its first n arrows): archeryutils' table
  handicap of that score, the whole number of the published tables (`handicap.table_handicap`,
  equal to archeryutils' `handicap_from_score(int_prec=True)`);
* `partial_round`: a standard round not finished, with at least `MIN_ARROWS` arrows: the
  decimal handicap at which archeryutils expects the score shot on the round's first arrows
  (as for the prediction of `GET /session/{id}/stats`);
* `face_distance`: a session without a standard round, with at least `MIN_ARROWS` arrows, all
  of its targets with shots at one distance and carrying one face type (of the same compound
  scoring): the decimal handicap at which archeryutils expects its average per arrow on that
  face at that distance (indoors or out as the session says), i.e. the handicap of a round of
  its own, one pass of those arrows;
* none otherwise (fewer arrows, mixed faces or distances, a score of 0, the maximum score
  where the handicap would be decimal, a history of one arrow's shots only). Decimal
  handicaps are rounded to 0.1.

A week or month row has the mean handicap of its sessions that have one (`sessions`).

**Series** that never mix apples and pears: `by_round` has one series per standard round
(only its sessions); `by_distance` one per distance and indoor/outdoor, with every session
shot at one distance (practice, and standard rounds of a single distance; a multi-distance
round such as a WA 1440 is in no distance series). Each has its points (per session, or per
week or month of its own sessions), the least-squares trend of the average per arrow over
time, and the trend of the handicap over the points that have one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any, Literal

import asyncpg
import numpy as np
import orjson

from arch_stats.faces.catalog import FACES
from arch_stats.faces.rounds import ROUNDS, distance_label
from arch_stats.stats import handicap
from arch_stats.stats.handicap import Scheme, ScoreCurve

MIN_ARROWS = 30
DAY_S = 86_400.0
YEAR_DAYS = 365.25

Basis = Literal["round", "partial_round", "face_distance", "sessions"]


@dataclass(slots=True)
class Session:
    """One session of the history (from the columns of the statement's `packed`)."""

    session_id: str
    start_time: datetime
    period: date | None  # by week or month: its first day
    round_code: str | None
    distance_m: float
    is_indoor: bool
    arrows: int
    total: int
    round_score: int | None  # the first n arrows of a complete standard round
    face_type: str | None  # the one face type of its targets with shots, else null
    compound_scoring: bool | None
    target_distance_m: float | None
    handicap: float | None = None
    basis: Basis | None = None
    day: float = 0.0  # days since 1970 (UTC): of the period by week or month, else of the start

    def __post_init__(self) -> None:
        at = self.start_time
        if self.period is not None:
            at = datetime.combine(self.period, time(), UTC)
        self.day = at.timestamp() / DAY_S


def sessions_of(row: asyncpg.Record) -> list[Session]:
    if not row["n_sessions"]:
        return []
    columns = (
        "session_ids", "start_times", "periods", "round_codes", "distances", "indoor",
        "arrows", "totals", "round_scores", "face_types", "compound", "target_distances",
    )  # fmt: skip
    sessions = [Session(*values) for values in zip(*(row[c] for c in columns), strict=True)]
    sessions.sort(key=lambda s: (s.start_time, s.session_id))
    return sessions


# --- handicaps --------------------------------------------------------------------------


def _face_key(s: Session) -> handicap.TargetKey | None:
    face = FACES.get(s.face_type) if s.face_type else None
    if face is None or s.target_distance_m is None:
        return None
    scoring = face.au_scoring
    if s.compound_scoring and face.compound_applies and face.au_compound_scoring:
        scoring = face.au_compound_scoring
    return handicap.face_target(scoring, face.au_diameter_cm, s.target_distance_m, s.is_indoor)


def add_handicaps(scheme: Scheme, sessions: Sequence[Session]) -> None:
    """Set each session's handicap and its basis (see the module's docstring)."""
    # Decimal handicaps are interpolated in one numpy call per curve.
    pending: dict[tuple[Any, ...], tuple[ScoreCurve, list[tuple[Session, float]]]] = {}

    def later(key: tuple[Any, ...], curve: ScoreCurve | None, s: Session, value: float) -> None:
        if curve is not None:
            pending.setdefault(key, (curve, []))[1].append((s, value))

    for s in sessions:
        spec = ROUNDS.get(s.round_code) if s.round_code else None
        if spec is not None and handicap.get_round(spec.code) is not None:
            if s.round_score is not None:
                s.handicap = handicap.table_handicap(scheme, spec.code, s.round_score)
                s.basis = "round" if s.handicap is not None else None
            elif s.arrows >= MIN_ARROWS:
                s.basis = "partial_round"
                key = ("round", spec.code, s.arrows)
                later(key, handicap.round_curve(scheme, spec.code, s.arrows), s, s.total)
        elif s.arrows >= MIN_ARROWS and (face := _face_key(s)) is not None:
            s.basis = "face_distance"
            later(("face", face), handicap.per_arrow_curve(scheme, face), s, s.total / s.arrows)
    for curve, items in pending.values():
        values = curve.handicaps_for([v for _, v in items])
        for (s, _), h in zip(items, values.tolist(), strict=True):
            s.handicap = round(h, 1) if math.isfinite(h) else None
            if s.handicap is None:
                s.basis = None


def mean_handicap(sessions: Iterable[Session]) -> float | None:
    values = [s.handicap for s in sessions if s.handicap is not None]
    return round(sum(values) / len(values), 1) if values else None


_NULL = "null"
_BASIS_JSON = {None: _NULL, "round": '"round"', "partial_round": '"partial_round"',
               "face_distance": '"face_distance"', "sessions": '"sessions"'}  # fmt: skip


@lru_cache(maxsize=1024)
def _round_name_json(code: str | None) -> str:
    spec = ROUNDS.get(code) if code else None
    return orjson.dumps(spec.name if spec else None).decode()


def _number_json(value: float | None) -> str:
    return _NULL if value is None else repr(value)


def rows_json(
    texts: Sequence[str], keys: Sequence[str], sessions: Sequence[Session], group: str
) -> str:
    """The rows of the history (JSON texts from PostgreSQL, one per row, keyed by session id
    or period) with `round_name`, `handicap` and `handicap_basis` added to each text."""
    extra: dict[str, str] = {}
    if group == "session":
        for s in sessions:
            extra[s.session_id] = (
                f',"round_name":{_round_name_json(s.round_code)},'
                f'"handicap":{_number_json(s.handicap)},"handicap_basis":{_BASIS_JSON[s.basis]}}}'
            )
    else:
        by_period: dict[str, list[Session]] = {}
        for s in sessions:
            if s.period is not None:
                by_period.setdefault(s.period.isoformat(), []).append(s)
        for key, members in by_period.items():
            h = mean_handicap(members)
            basis = _BASIS_JSON["sessions" if h is not None else None]
            extra[key] = (
                f',"round_name":null,"handicap":{_number_json(h)},"handicap_basis":{basis}}}'
            )
    return (
        "[" + ",".join(text[:-1] + extra[key] for text, key in zip(texts, keys, strict=True)) + "]"
    )


# --- series -----------------------------------------------------------------------------


def fit(xs: Sequence[float], ys: Sequence[float]) -> dict[str, Any]:
    """Least squares of ys on xs (days): the slope per day and per year, r² (as PostgreSQL's
    regr_r2: null without two distinct xs, 1 when the ys do not vary), and the fitted value
    at the first and the last x, to draw the line."""
    n = len(xs)
    out: dict[str, Any] = {
        "points": n,
        "slope_per_day": None,
        "slope_per_year": None,
        "r2": None,
        "first_fitted": None,
        "last_fitted": None,
    }
    if n < 2:
        return out
    x = np.asarray(xs, dtype=np.float64)
    y = np.asarray(ys, dtype=np.float64)
    mx, my = float(x.mean()), float(y.mean())
    dx, dy = x - mx, y - my
    sxx = float(dx @ dx)
    if sxx == 0:
        return out
    syy, sxy = float(dy @ dy), float(dx @ dy)
    slope = sxy / sxx
    out.update(
        slope_per_day=slope,
        slope_per_year=slope * YEAR_DAYS,
        r2=1.0 if syy == 0 else sxy * sxy / (sxx * syy),
        first_fitted=my + slope * (xs[0] - mx),
        last_fitted=my + slope * (xs[-1] - mx),
    )
    return out


def _session_point(s: Session) -> dict[str, Any]:
    return {
        "session_id": s.session_id,
        "period": None,
        "start_time": s.start_time,
        "sessions": 1,
        "arrows": s.arrows,
        "total": s.total,
        "average_per_arrow": s.total / s.arrows,
        "score": s.round_score,
        "handicap": s.handicap,
    }


def _period_point(members: Sequence[Session]) -> dict[str, Any]:
    arrows = sum(s.arrows for s in members)
    total = sum(s.total for s in members)
    return {
        "session_id": None,
        "period": members[0].period,
        "start_time": members[0].start_time,
        "sessions": len(members),
        "arrows": arrows,
        "total": total,
        "average_per_arrow": total / arrows,
        "score": None,
        "handicap": mean_handicap(members),
    }


def _series(
    key: str,
    kind: str,
    label: str,
    members: list[Session],
    points_of: dict[str, dict[str, Any]] | None,
    **fields: Any,
) -> dict[str, Any]:
    """`members`: sessions with arrows, in time order; `points_of`: by session, each
    session's point (shared by the series it is in); None: by week or month."""
    if points_of is not None:
        points = [points_of[s.session_id] for s in members]
        days = [s.day for s in members]
    else:
        by_period: dict[date | None, list[Session]] = {}
        for s in members:
            by_period.setdefault(s.period, []).append(s)
        points = [_period_point(b) for b in by_period.values()]
        days = [b[0].day for b in by_period.values()]
    rated = [(d, p["handicap"]) for d, p in zip(days, points, strict=True)
             if p["handicap"] is not None]  # fmt: skip
    return {
        "key": key,
        "kind": kind,
        "label": label,
        **fields,
        "sessions": len(members),
        "arrows": sum(s.arrows for s in members),
        "points": points,
        "trend": fit(days, [p["average_per_arrow"] for p in points]),
        "handicap_trend": fit([d for d, _ in rated], [h for _, h in rated]),
    }


@lru_cache(maxsize=1024)
def _single_distance(code: str) -> bool:
    return len({distance_label(p) for p in ROUNDS[code].passes}) == 1


def series(sessions: Sequence[Session], group: str) -> dict[str, list[dict[str, Any]]]:
    """The series by round and by distance (sessions in time order)."""
    by_round: dict[str, list[Session]] = {}
    by_distance: dict[tuple[bool, float], list[Session]] = {}
    for s in sessions:
        if s.arrows == 0:
            continue
        known = s.round_code is not None and s.round_code in ROUNDS
        if s.round_code is not None:
            by_round.setdefault(s.round_code, []).append(s)
        if s.round_code is None or (known and _single_distance(s.round_code)):
            by_distance.setdefault((s.is_indoor, s.distance_m), []).append(s)
    points_of = (
        {s.session_id: _session_point(s) for s in sessions if s.arrows}
        if group == "session"
        else None
    )
    rounds = []
    for code, members in by_round.items():
        spec = ROUNDS.get(code)
        name = spec.name if spec else None
        rounds.append(
            _series(f"round:{code}", "round", name or code, members, points_of,
                    round_code=code, round_name=name, distance_m=None, is_indoor=None)
        )  # fmt: skip
    rounds.sort(key=lambda r: (r["label"].lower(), r["round_code"]))
    distances = []
    for (indoor, metres), members in sorted(by_distance.items()):
        where = "indoor" if indoor else "outdoor"
        distances.append(
            _series(f"distance:{metres:g}:{where}", "distance", f"{metres:g} m {where}", members,
                    points_of, round_code=None, round_name=None, distance_m=metres,
                    is_indoor=indoor)
        )  # fmt: skip
    return {"by_round": rounds, "by_distance": distances}

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

Everything here works on the sessions as columns (numpy arrays and lists) and writes the
points as JSON text: a history of thousands of sessions costs a few milliseconds and creates
no object per session for the garbage collector to walk.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any, Literal

import asyncpg
import numpy as np
import numpy.typing as npt
import orjson

from arch_stats.faces.catalog import FACES
from arch_stats.faces.rounds import ROUNDS, distance_label
from arch_stats.stats import handicap
from arch_stats.stats.handicap import Scheme, ScoreCurve

MIN_ARROWS = 30
DAY_S = 86_400.0
YEAR_DAYS = 365.25

Basis = Literal["round", "partial_round", "face_distance", "sessions"]
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Index = npt.NDArray[np.intp]


@dataclass(slots=True)
class Sessions:
    """The history's sessions as columns, in time order (from the statement's `packed`)."""

    ids: list[str]
    start_times: list[datetime]
    periods: list[date | None]  # by week or month: the first day of its period
    round_codes: list[str | None]
    distances: list[float]
    indoor: list[bool]
    arrows: Ints
    totals: Ints
    round_scores: list[int | None]  # the first n arrows of a complete standard round
    face_types: list[str | None]  # the one face type of its targets with shots, else null
    compound: list[bool | None]
    target_distances: list[float | None]
    days: Floats  # days since 1970 (UTC): of the period by week or month, else of the start
    handicap: Floats  # NaN: none
    basis: list[Basis | None]

    def __len__(self) -> int:
        return len(self.ids)


def _day(at: datetime) -> float:
    return at.timestamp() / DAY_S


def sessions_of(row: asyncpg.Record) -> Sessions:
    n = row["n_sessions"]
    columns = (
        "session_ids", "start_times", "periods", "round_codes", "distances", "indoor",
        "arrows", "totals", "round_scores", "face_types", "compound", "target_distances",
    )  # fmt: skip
    values = [row[c] or [] for c in columns]
    ids, starts = values[0], values[1]
    order = sorted(range(n), key=lambda i: (starts[i], ids[i]))
    (ids, starts, periods, codes, distances, indoor, arrows, totals, scores, faces, compound,
     target_distances) = ([column[i] for i in order] for column in values)  # fmt: skip
    days = [
        _day(datetime.combine(p, time(), UTC) if p is not None else at)
        for at, p in zip(starts, periods, strict=True)
    ]
    return Sessions(
        ids=ids,
        start_times=starts,
        periods=periods,
        round_codes=codes,
        distances=distances,
        indoor=indoor,
        arrows=np.asarray(arrows, dtype=np.int64),
        totals=np.asarray(totals, dtype=np.int64),
        round_scores=scores,
        face_types=faces,
        compound=compound,
        target_distances=target_distances,
        days=np.asarray(days, dtype=np.float64),
        handicap=np.full(n, np.nan),
        basis=[None] * n,
    )


# --- handicaps --------------------------------------------------------------------------


def _face_key(s: Sessions, i: int) -> handicap.TargetKey | None:
    face_type, distance = s.face_types[i], s.target_distances[i]
    face = FACES.get(face_type) if face_type else None
    if face is None or distance is None:
        return None
    scoring = face.au_scoring
    if s.compound[i] and face.compound_applies and face.au_compound_scoring:
        scoring = face.au_compound_scoring
    return handicap.face_target(scoring, face.au_diameter_cm, distance, s.indoor[i])


def add_handicaps(scheme: Scheme, s: Sessions) -> None:
    """Set each session's handicap and its basis (see the module's docstring)."""
    # Decimal handicaps: one numpy interpolation per curve.
    pending: dict[tuple[Any, ...], tuple[ScoreCurve, list[int], list[float]]] = {}

    def later(key: tuple[Any, ...], curve: ScoreCurve | None, i: int, value: float) -> None:
        if curve is not None:
            entry = pending.setdefault(key, (curve, [], []))
            entry[1].append(i)
            entry[2].append(value)

    for i, code in enumerate(s.round_codes):
        arrows, total = int(s.arrows[i]), int(s.totals[i])
        spec = ROUNDS.get(code) if code else None
        if spec is not None and handicap.get_round(spec.code) is not None:
            score = s.round_scores[i]
            if score is not None:
                h = handicap.table_handicap(scheme, spec.code, score)
                if h is not None:
                    s.handicap[i], s.basis[i] = h, "round"
            elif arrows >= MIN_ARROWS:
                curve = handicap.round_curve(scheme, spec.code, arrows)
                later(("round", spec.code, arrows), curve, i, total)
        elif arrows >= MIN_ARROWS and (face := _face_key(s, i)) is not None:
            later(("face", face), handicap.per_arrow_curve(scheme, face), i, total / arrows)
    for key, (curve, index, values) in pending.items():
        found = curve.handicaps_for(values)
        basis: Basis = "partial_round" if key[0] == "round" else "face_distance"
        for i, h in zip(index, found.tolist(), strict=True):
            if math.isfinite(h):
                s.handicap[i], s.basis[i] = round(h, 1), basis


# --- JSON text --------------------------------------------------------------------------

_NULL = "null"
_BASIS_JSON = {None: _NULL, "round": '"round"', "partial_round": '"partial_round"',
               "face_distance": '"face_distance"', "sessions": '"sessions"'}  # fmt: skip


@lru_cache(maxsize=1024)
def _round_name_json(code: str | None) -> str:
    spec = ROUNDS.get(code) if code else None
    return orjson.dumps(spec.name if spec else None).decode()


def _number(value: float) -> str:
    """A float as JSON (NaN: null; a numpy scalar as a plain float)."""
    return repr(float(value)) if math.isfinite(value) else _NULL


def _runs(days: Floats) -> Index:
    """Where each run of equal values starts (the sessions of a period are consecutive)."""
    if not len(days):
        return np.zeros(0, dtype=np.intp)
    return np.concatenate(([0], np.flatnonzero(np.diff(days)) + 1)).astype(np.intp)


def _mean_handicaps(handicaps: Floats, starts: Index) -> list[float]:
    """Per run: the mean of the handicaps that exist, rounded to 0.1 (NaN: none)."""
    if not len(starts):
        return []
    known = np.isfinite(handicaps)
    sums = np.add.reduceat(np.where(known, handicaps, 0.0), starts).tolist()
    counts = np.add.reduceat(known.astype(np.int64), starts).tolist()
    return [round(t / c, 1) if c else math.nan for t, c in zip(sums, counts, strict=True)]


def rows_json(texts: Sequence[str], keys: Sequence[str], s: Sessions, group: str) -> str:
    """The rows of the history (JSON texts from PostgreSQL, one per row, keyed by session id
    or period) with `round_name`, `handicap` and `handicap_basis` added to each text."""
    extra: dict[str, str] = {}
    if group == "session":
        for i, key in enumerate(s.ids):
            extra[key] = (
                f',"round_name":{_round_name_json(s.round_codes[i])},'
                f'"handicap":{_number(s.handicap[i])},"handicap_basis":{_BASIS_JSON[s.basis[i]]}}}'
            )
    else:
        starts = _runs(s.days)
        for start, h in zip(starts.tolist(), _mean_handicaps(s.handicap, starts), strict=True):
            period = s.periods[start]
            basis = _BASIS_JSON["sessions" if math.isfinite(h) else None]
            extra[period.isoformat() if period else ""] = (
                f',"round_name":null,"handicap":{_number(h)},"handicap_basis":{basis}}}'
            )
    return (
        "[" + ",".join(text[:-1] + extra[key] for text, key in zip(texts, keys, strict=True)) + "]"
    )


# --- series -----------------------------------------------------------------------------


def fit(xs: Floats, ys: Floats) -> dict[str, Any]:
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
    mx, my = float(xs.mean()), float(ys.mean())
    dx, dy = xs - mx, ys - my
    sxx = float(dx @ dx)
    if sxx == 0:
        return out
    syy, sxy = float(dy @ dy), float(dx @ dy)
    slope = sxy / sxx
    out.update(
        slope_per_day=slope,
        slope_per_year=slope * YEAR_DAYS,
        r2=1.0 if syy == 0 else sxy * sxy / (sxx * syy),
        first_fitted=my + slope * (float(xs[0]) - mx),
        last_fitted=my + slope * (float(xs[-1]) - mx),
    )
    return out


def _session_points(s: Sessions) -> list[str]:
    """Each session's point as JSON text (shared by the series it is in)."""
    out = []
    for i, sid in enumerate(s.ids):
        arrows, total = int(s.arrows[i]), int(s.totals[i])
        score = s.round_scores[i]
        out.append(
            f'{{"session_id":"{sid}","period":null,'
            f'"start_time":"{s.start_times[i].isoformat()}","sessions":1,"arrows":{arrows},'
            f'"total":{total},"average_per_arrow":{_number(total / arrows)},'
            f'"score":{_NULL if score is None else score},"handicap":{_number(s.handicap[i])}}}'
        )
    return out


def _series(
    key: str, kind: str, label: str, s: Sessions, index: Index, points: list[str] | None,
    **fields: Any,
) -> dict[str, Any]:  # fmt: skip
    """The series of the sessions at `index` (time order); `points`: each session's point
    text by session, None by week or month."""
    arrows, totals = s.arrows[index], s.totals[index]
    if points is not None:
        days, handicaps = s.days[index], s.handicap[index]
        averages = totals / arrows
        text = ",".join(points[i] for i in index.tolist())
    else:
        starts = _runs(s.days[index])
        days = s.days[index][starts]
        arrow_sums = np.add.reduceat(arrows, starts)
        total_sums = np.add.reduceat(totals, starts)
        averages = total_sums / arrow_sums
        handicaps = np.asarray(_mean_handicaps(s.handicap[index], starts), dtype=np.float64)
        first = index[starts].tolist()
        text = ",".join(
            f'{{"session_id":null,"period":"{s.periods[i].isoformat() if s.periods[i] else ""}",'
            f'"start_time":"{s.start_times[i].isoformat()}","sessions":{n},"arrows":{a},'
            f'"total":{t},"average_per_arrow":{_number(avg)},"score":null,'
            f'"handicap":{_number(h)}}}'
            for i, n, a, t, avg, h in zip(
                first, np.diff(np.append(starts, len(index))).tolist(), arrow_sums.tolist(),
                total_sums.tolist(), averages.tolist(), handicaps.tolist(), strict=True,
            )
        )  # fmt: skip
    rated = np.isfinite(handicaps)
    return {
        "key": key,
        "kind": kind,
        "label": label,
        **fields,
        "sessions": len(index),
        "arrows": int(arrows.sum()),
        "points": orjson.Fragment(f"[{text}]"),
        "trend": fit(days, averages),
        "handicap_trend": fit(days[rated], handicaps[rated]),
    }


@lru_cache(maxsize=1024)
def _single_distance(code: str) -> bool:
    return len({distance_label(p) for p in ROUNDS[code].passes}) == 1


def series(s: Sessions, group: str) -> dict[str, list[dict[str, Any]]]:
    """The series by round and by distance."""
    by_round: dict[str, list[int]] = {}
    by_distance: dict[tuple[bool, float], list[int]] = {}
    for i, code in enumerate(s.round_codes):
        if code is not None:
            by_round.setdefault(code, []).append(i)
        if code is None or (code in ROUNDS and _single_distance(code)):
            by_distance.setdefault((s.indoor[i], s.distances[i]), []).append(i)
    points = _session_points(s) if group == "session" else None
    rounds = []
    for code, members in by_round.items():
        spec = ROUNDS.get(code)
        name = spec.name if spec else None
        rounds.append(
            _series(f"round:{code}", "round", name or code, s, np.asarray(members, dtype=np.intp),
                    points, round_code=code, round_name=name, distance_m=None, is_indoor=None)
        )  # fmt: skip
    rounds.sort(key=lambda r: (r["label"].lower(), r["round_code"]))
    distances = []
    for (indoor, metres), members in sorted(by_distance.items()):
        where = "indoor" if indoor else "outdoor"
        distances.append(
            _series(f"distance:{metres:g}:{where}", "distance", f"{metres:g} m {where}", s,
                    np.asarray(members, dtype=np.intp), points, round_code=None,
                    round_name=None, distance_m=metres, is_indoor=indoor)
        )  # fmt: skip
    return {"by_round": rounds, "by_distance": distances}

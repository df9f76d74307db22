"""A session's statistics, computed over its shots as numpy columns.

The definitions are those of `arch_stats.stats.maths` (its docstring says what each number
is); this module computes them over arrays, so that a session of 100,000 shots costs tens of
milliseconds instead of seconds, and can run in a worker thread (`service.session_stats_json`)
while the event loop answers other requests. The tests check it against `maths` on the same
data.

The shots come from `repository.SESSION_COLUMNS` as packed big-endian columns in shot order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import asyncpg
import numpy as np
import numpy.typing as npt
import orjson

from arch_stats.faces.rounds import ROUNDS, RoundSpec
from arch_stats.rounds.plan import spec_of
from arch_stats.stats import handicap, maths
from arch_stats.stats.handicap import Scheme

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


def label(score: int, is_x: bool) -> str:
    if is_x:
        return "X"
    return "M" if score == 0 else str(score)


# Every (score, is_x) label as a JSON string, indexed by score · 2 + is_x (scores 0 … 11).
_QUOTED = np.array([f'"{label(k // 2, bool(k % 2))}"' for k in range(24)], dtype=object)


@dataclass(frozen=True, slots=True)
class Columns:
    """The shots of a session, one array per column, in shot order."""

    end_no: Ints
    score: Ints
    is_x: Bools
    dx: Floats  # NaN: no landing
    dy: Floats
    draw_ms: Floats  # NaN: no engage or release time
    flight_ms: Floats
    distance: Floats  # the target's distance in m
    arrow: Ints  # 1-based index into the session's arrows, 0: no arrow
    by_value: Bools  # scored by value: no position

    @classmethod
    def of(cls, row: asyncpg.Record) -> Columns:
        def ints(name: str, dtype: str) -> Ints:
            return np.frombuffer(row[name], dtype=dtype).astype(np.int64)

        def floats(name: str) -> Floats:
            return np.frombuffer(row[name], dtype=">f8").astype(np.float64)

        return cls(
            end_no=ints("end_no", ">i4"),
            score=ints("score", ">i2"),
            is_x=np.frombuffer(row["is_x"], dtype=np.uint8).astype(np.bool_),
            dx=floats("dx"),
            dy=floats("dy"),
            draw_ms=floats("draw_ms"),
            flight_ms=floats("flight_ms"),
            distance=floats("distance"),
            arrow=ints("arrow", ">i2"),
            by_value=np.frombuffer(row["by_value"], dtype=np.uint8).astype(np.bool_),
        )


def _float(value: Any) -> float | None:
    v = float(value)
    return v if math.isfinite(v) else None


def _mean(values: Floats) -> float | None:
    return float(values.mean()) if len(values) else None


def _sd(values: Floats) -> float | None:
    return float(values.std(ddof=1)) if len(values) >= 2 else None


def _scatter(xs: Floats, ys: Floats) -> maths.Moments:
    mx, my = float(xs.mean()), float(ys.mean())
    cx, cy = xs - mx, ys - my
    return maths.Moments(
        len(xs), mx, my, float(cx @ cx), float(cy @ cy), float(cx @ cy)
    )  # fmt: skip


def hull_candidates(xs: Floats, ys: Floats) -> list[tuple[float, float]]:
    """The points that can be vertices of the convex hull (Akl–Toussaint): every point
    strictly inside the polygon of the extreme points in 8 directions is dropped."""
    if len(xs) <= 8:
        return list(zip(xs.tolist(), ys.tolist(), strict=True))
    directions = (xs, xs + ys, ys, ys - xs, -xs, -xs - ys, -ys, xs - ys)  # counter-clockwise
    corners: list[int] = []
    for d in directions:
        i = int(np.argmax(d))
        if not corners or (xs[i], ys[i]) != (xs[corners[-1]], ys[corners[-1]]):
            corners.append(i)
    if len(corners) > 1 and (xs[corners[0]], ys[corners[0]]) == (
        xs[corners[-1]],
        ys[corners[-1]],
    ):
        corners.pop()
    inside = np.ones(len(xs), dtype=np.bool_)
    if len(corners) >= 3:
        for a, b in zip(corners, corners[1:] + corners[:1], strict=True):
            ax, ay, bx, by = xs[a], ys[a], xs[b], ys[b]
            inside &= (bx - ax) * (ys - ay) - (by - ay) * (xs - ax) > 0
    else:
        inside[:] = False
    keep = ~inside
    return list(zip(xs[keep].tolist(), ys[keep].tolist(), strict=True))


def group(xs: Floats, ys: Floats) -> maths.Group:
    """`maths.group` over arrays."""
    n = len(xs)
    if n == 0:
        return maths.Group(0, None, None, None, None, None, None, None)
    cx, cy = float(xs.mean()), float(ys.mean())
    radii = np.hypot(xs - cx, ys - cy)
    return maths.Group(
        n=n,
        centre_x=cx,
        centre_y=cy,
        sigma_x=_sd(xs),
        sigma_y=_sd(ys),
        mean_radius=float(radii.mean()),
        cep50=float(np.median(radii)),
        extreme_spread=maths.extreme_spread(hull_candidates(xs, ys)),
    )


def group_out(g: maths.Group) -> dict[str, Any]:
    """A group as the answers carry it (`GroupOut`)."""
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


@dataclass(frozen=True, slots=True)
class Ends:
    """Per end (by number): how many arrows, their total, the running total, and the `ends`
    of the answer as JSON text (strings are not tracked by the garbage collector: tens of
    thousands of dicts for a large session would set off full collections that hold the
    GIL, and so the event loop, for a tenth of a second)."""

    end_no: Ints
    count: Ints
    total: Ints
    json: str


def _ends(c: Columns) -> Ends:
    """Each end's arrows' labels in shot order, total, running total, average."""
    if not len(c.score):
        empty = np.zeros(0, dtype=np.int64)
        return Ends(empty, empty, empty, "[]")
    order = np.argsort(c.end_no, kind="stable")  # shot order kept within each end
    end_nos, starts, counts = np.unique(c.end_no[order], return_index=True, return_counts=True)
    totals = np.add.reduceat(c.score[order], starts)
    ordered = _QUOTED[(c.score * 2 + c.is_x)[order]].tolist()
    parts = [
        f'{{"end_no":{e},"arrows":{n},"labels":[{",".join(ordered[i : i + n])}],'
        f'"total":{t},"running_total":{r},"average_per_arrow":{t / n!r}}}'
        for e, i, n, t, r in zip(
            end_nos.tolist(), starts.tolist(), counts.tolist(), totals.tolist(),
            np.cumsum(totals).tolist(), strict=True,
        )
    ]  # fmt: skip
    return Ends(end_nos.astype(np.int64), counts.astype(np.int64), totals, f"[{','.join(parts)}]")


def _distribution(c: Columns) -> list[dict[str, Any]]:
    # Best first: an X before a plain 10 (an X that scores 11 before everything).
    keys = c.score * 2 + c.is_x.astype(np.int64)
    values, counts = np.unique(keys, return_counts=True)
    return [
        {"label": label(k // 2, bool(k % 2)), "score": k // 2, "count": n}
        for k, n in sorted(zip(values.tolist(), counts.tolist(), strict=True), reverse=True)
    ]


def _timing(c: Columns) -> dict[str, Any]:
    draws = c.draw_ms[np.isfinite(c.draw_ms)]
    has_flight = np.isfinite(c.flight_ms)
    flights = c.flight_ms[has_flight]
    positive = has_flight & (np.where(has_flight, c.flight_ms, 0) > 0)
    speeds = c.distance[positive] / (c.flight_ms[positive] / 1000)
    return {
        "draw_count": len(draws),
        "draw_ms_mean": _mean(draws),
        "draw_ms_sd": _sd(draws),
        "flight_count": len(flights),
        "flight_ms_mean": _mean(flights),
        "flight_ms_sd": _sd(flights),
        "speed_mps": _mean(speeds),
    }


def _fatigue(ends: Ends, scores: Ints) -> dict[str, Any]:
    half = len(scores) // 2
    first, second = scores[:half], scores[half:]
    return {
        "slope_per_end": maths.slope(
            ends.end_no.astype(np.float64).tolist(), (ends.total / ends.count).tolist()
        ),
        "first_half_average": int(first.sum()) / len(first) if len(first) else None,
        "second_half_average": int(second.sum()) / len(second) if len(second) else None,
    }


def _per_arrow(
    c: Columns, arrow_ids: list[str], identifiers: list[str], session: maths.Group
) -> list[dict[str, Any]]:
    impact = np.isfinite(c.dx)
    rows: list[dict[str, Any]] = []
    tested: list[int] = []  # indexes into rows
    p_values: list[float] = []
    for k in np.unique(c.arrow).tolist():
        mine = c.arrow == k
        hit = mine & impact
        xs, ys = c.dx[hit], c.dy[hit]
        shots = int(mine.sum())
        total = int(c.score[mine].sum())
        row: dict[str, Any] = {
            "arrow_id": arrow_ids[k - 1] if k else None,
            "identifier": identifiers[k - 1] if k else None,
            "shots": shots,
            "impacts": len(xs),
            "by_value": int((mine & c.by_value).sum()),
            "total": total,
            "mean_score": total / shots,
            "centre_x_mm": _mean(xs),
            "centre_y_mm": _mean(ys),
            "offset_x_mm": None,
            "offset_y_mm": None,
            "offset_mm": None,
            "p_value": None,
            "p_adjusted": None,
            "flagged": False,
        }
        if len(xs) and session.centre_x is not None and session.centre_y is not None:
            ox = row["centre_x_mm"] - session.centre_x
            oy = row["centre_y_mm"] - session.centre_y
            row.update(offset_x_mm=ox, offset_y_mm=oy, offset_mm=math.hypot(ox, oy))
        if k:
            # Against every other impact of the session, shots without an arrow included.
            others = ~mine & impact
            n_a, n_b = len(xs), int(others.sum())
            if min(n_a, n_b) >= maths.MIN_IMPACTS_TO_TEST:
                p_value = maths.hotelling_p_from(
                    _scatter(xs, ys), _scatter(c.dx[others], c.dy[others])
                )
                if p_value is not None:
                    row["p_value"] = p_value
                    tested.append(len(rows))
                    p_values.append(p_value)
        rows.append(row)
    for i, adjusted in zip(tested, maths.holm(p_values), strict=True):
        rows[i]["p_adjusted"] = adjusted
        rows[i]["flagged"] = adjusted < maths.FLAG_ALPHA
    # Known arrows by identifier, then the shots without an arrow.
    rows.sort(key=lambda r: (r["identifier"] is None, r["identifier"] or "", r["arrow_id"] or ""))
    return rows


def round_figures(
    spec: RoundSpec | None, scheme: Scheme, scores: Ints, category: tuple[str, str, str]
) -> dict[str, Any] | None:
    """The round's figures of a session's scores in shooting order: its score so far and,
    complete, its handicap and classification (standard rounds: Archery GB's; a custom
    round has a handicap, from its passes, and no classification); else a prediction."""
    if spec is None or handicap.au_round(spec) is None:
        return None
    code = spec.code or None
    counted = scores[: spec.n_arrows]
    score = int(counted.sum())
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
        "classification_name": None,
        "classification_meaning": None,
        "predicted_score": None,
        "prediction_method": None,
        "handicap_so_far": None,
        "predicted_classification": None,
    }
    if complete:
        out["handicap"] = handicap.spec_handicap(scheme, spec, score)
        if code is not None:
            out["classification"] = handicap.classification(code, *category, score)
            out["classification_meaning"] = handicap.classification_meaning(
                code, out["classification"], category
            )
        out["classification_name"] = handicap.classification_name(out["classification"])
        out["predicted_score"] = score
        out["prediction_method"] = "final"
        out["predicted_classification"] = out["classification"]
    elif len(counted):
        prediction = handicap.spec_predict(scheme, spec, len(counted), score)
        if prediction is not None:
            out["predicted_score"] = prediction.score
            out["prediction_method"] = prediction.method
            out["handicap_so_far"] = prediction.handicap
            if code is not None:
                out["predicted_classification"] = handicap.classification(
                    code, *category, prediction.score
                )
    return out


def session_round(round_code: str | None, plan: str | None) -> RoundSpec | None:
    """The round a session is shot to: the one it follows (`session.round_plan`, JSON), else
    its standard round's code."""
    if plan is not None:
        return spec_of(orjson.loads(plan))
    return ROUNDS.get(round_code) if round_code else None


def compute(row: asyncpg.Record, scheme: Scheme) -> dict[str, Any]:
    """Every number of one session (the `data` of GET /session/{id}/stats)."""
    c = Columns.of(row)
    n = len(c.score)
    total = int(c.score.sum())
    hits = int((c.score > 0).sum())
    impact = np.isfinite(c.dx)
    session_group = group(c.dx[impact], c.dy[impact])
    by_value = int(c.by_value.sum())
    ends = _ends(c)
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
        "no_landing": n - session_group.n - by_value,
        "by_value": by_value,
        "by_value_seqs": row["by_value_seqs"],
        "total": total,
        "max_possible": row["max_possible"],
        "average_per_arrow": total / n if n else None,
        "x_count": int(c.is_x.sum()),
        "ten_count": int((c.score >= 10).sum()),
        "ends": orjson.Fragment(ends.json),
        "distribution": _distribution(c),
        "group": group_out(session_group),
        "timing": _timing(c),
        "fatigue": _fatigue(ends, c.score),
        "per_arrow": _per_arrow(c, row["arrow_ids"], row["identifiers"], session_group),
        "round": round_figures(
            session_round(row["round_code"], row["plan"]),
            scheme,
            c.score,
            (row["bowstyle"], row["gender"], row["age_group"]),
        ),
    }

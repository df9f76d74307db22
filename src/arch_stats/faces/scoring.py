"""Scoring an impact by World Archery rules (SPEC §2).

The server, never the client, computes every score with `score_impact`. It runs once per
shot on the hot path, so everything it needs is precomputed here at import: per face type,
the spot centres and the ascending outer radii with their values, for normal and compound
scoring. A call allocates nothing but its result.

Rules, as SPEC §2 states them:

* the nearest spot centre over all the faces placed on the target is the one scored on
  (ties: lowest face index, then lowest spot index); `d` is the distance to it;
* `r` is half the arrow's shaft diameter (5.5 mm diameter when unknown);
* the score is the value of the innermost zone whose outer radius `R` has `d - r <= R`:
  an arrow touching a line scores the higher zone;
* X when `d - r <= R_X`; outside every zone: 0 ("M"), never X.

Compound scoring (`compound=True`) changes only faces where it applies (the indoor faces,
`FaceSpec.compound_applies`): the X ring is the 10 and the rest of the old 10 scores 9.
`is_x` keeps its geometric meaning everywhere (the arrow touches the X ring), so under
compound scoring on those faces `is_x` is exactly "scored the (inner) 10".

Boundaries are compared with a tolerance of 1e-9 mm so that an arrow exactly on a line
(up to floating-point rounding) gets the higher score.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

from arch_stats.faces.catalog import FACE_TYPES, FACES, FaceSpec, Ring, UnknownFace, get_face

__all__ = [
    "DEFAULT_ARROW_DIAMETER_MM",
    "FACES",
    "FACE_TYPES",
    "FaceSpec",
    "PlacedFace",
    "Score",
    "UnknownFace",
    "get_face",
    "max_score",
    "score_impact",
]

DEFAULT_ARROW_DIAMETER_MM = 5.5
BOUNDARY_TOLERANCE_MM = 1e-9


@dataclass(frozen=True, slots=True)
class PlacedFace:
    """A face placed on a target, its centre in target-view millimetres (y up)."""

    face_type: str
    center_x_mm: float
    center_y_mm: float


@dataclass(frozen=True, slots=True)
class Score:
    score: int  # 0 for M (inside the view, outside every zone)
    is_x: bool
    face_index: int  # index into the target's faces
    spot_index: int  # index of the spot on that face (0 for single-spot faces)
    dx_mm: float  # from the centre of the spot scored on, x to the right
    dy_mm: float  # y up


@dataclass(frozen=True, slots=True)
class _Table:
    spots: tuple[tuple[float, float], ...]
    radii: tuple[float, ...]  # ascending outer radii
    values: tuple[int, ...]
    compound_radii: tuple[float, ...]
    compound_values: tuple[int, ...]
    x_radius: float  # -inf when the face has no X ring


def _table(face: FaceSpec) -> _Table:
    rings: tuple[Ring, ...] = face.rings
    compound: tuple[Ring, ...] = face.compound_rings or rings
    return _Table(
        spots=face.spots,
        radii=tuple(r.outer_radius_mm for r in rings),
        values=tuple(r.value for r in rings),
        compound_radii=tuple(r.outer_radius_mm for r in compound),
        compound_values=tuple(r.value for r in compound),
        x_radius=-math.inf if face.x_radius_mm is None else face.x_radius_mm,
    )


_TABLES: dict[str, _Table] = {face_type: _table(face) for face_type, face in FACES.items()}


def score_impact(
    faces: Sequence[PlacedFace],
    x_mm: float,
    y_mm: float,
    *,
    arrow_diameter_mm: float | None = None,
    compound: bool = False,
) -> Score:
    """Score an impact at (`x_mm`, `y_mm`) in target-view mm (y up) on the faces placed there.

    Raises `UnknownFace` (a `KeyError`) for a face type not in the catalogue and
    `ValueError` when there is no face, a coordinate is not finite, or the arrow diameter
    is negative or not finite.
    """
    if not faces:
        raise ValueError("a target without faces cannot score")
    if not (math.isfinite(x_mm) and math.isfinite(y_mm)):
        raise ValueError("impact coordinates must be finite")
    if arrow_diameter_mm is None:
        arrow_radius = DEFAULT_ARROW_DIAMETER_MM / 2
    elif math.isfinite(arrow_diameter_mm) and arrow_diameter_mm >= 0:
        arrow_radius = arrow_diameter_mm / 2
    else:
        raise ValueError("arrow diameter must be a finite number >= 0")

    best_d2 = math.inf
    best_table: _Table | None = None
    best_face = best_spot = 0
    best_dx = best_dy = 0.0
    for face_index, face in enumerate(faces):
        table = _TABLES.get(face.face_type)
        if table is None:
            raise UnknownFace(face.face_type)
        fx = x_mm - face.center_x_mm
        fy = y_mm - face.center_y_mm
        for spot_index, (sx, sy) in enumerate(table.spots):
            dx = fx - sx
            dy = fy - sy
            d2 = dx * dx + dy * dy
            if d2 < best_d2:  # strict: the first of equally near spots wins
                best_d2 = d2
                best_table = table
                best_face, best_spot, best_dx, best_dy = face_index, spot_index, dx, dy
    if best_table is None:  # only when a face centre is not finite
        raise ValueError("face centres must be finite")

    reach = math.hypot(best_dx, best_dy) - arrow_radius - BOUNDARY_TOLERANCE_MM
    if compound:
        radii, values = best_table.compound_radii, best_table.compound_values
    else:
        radii, values = best_table.radii, best_table.values
    zone = bisect_left(radii, reach)  # the first ring with reach <= R
    score = values[zone] if zone < len(values) else 0
    return Score(
        score=score,
        is_x=reach <= best_table.x_radius,
        face_index=best_face,
        spot_index=best_spot,
        dx_mm=best_dx,
        dy_mm=best_dy,
    )


def max_score(face_type: str, compound: bool = False) -> int:
    """The most one arrow can score on `face_type` (compound scoring does not change it)."""
    del compound  # the inner 10 is still a 10
    return get_face(face_type).max_score

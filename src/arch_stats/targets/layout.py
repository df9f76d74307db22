"""The view of a hand-scored target: where its faces go and how large the view is.

A target sensor fixes the view (what it sees); an archer scoring by hand has none, so the
server derives one that holds the faces:

* a face's *extent* is the box around every ring of every spot: the spots' centres
  (`FaceSpec.spots`) ± the radius of the outermost scoring ring (a triple spot is three
  20 cm spots, not a 40 cm disc);
* the *margin* is a tenth of the largest nominal face diameter on the target (122 mm around
  a 122 cm face, 40 mm around a 40 cm or triple-spot face), at least `MIN_MARGIN_MM`: room
  for an arrow that lands off the rings, which scores M with its position;
* faces given without centres are laid out left to right in their order, `margin` apart,
  their centres on one line; the view is the row plus the margin on every side;
* faces given with centres keep them; the view reaches from the origin to the farthest
  extent plus the margin (a face reaching left of or below the origin is refused: the view's
  origin is its bottom-left corner).

Sizes and centres are whole millimetres (rounded up), so every ring stays inside.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from arch_stats.core.errors import InvalidInput
from arch_stats.faces.catalog import FACES

MARGIN_SHARE = 0.1
MIN_MARGIN_MM = 20.0


@dataclass(frozen=True, slots=True)
class Extent:
    """How far the rings reach from the face centre, each a distance ≥ 0 in mm."""

    left: float
    right: float
    bottom: float
    top: float


def extent(face_type: str) -> Extent:
    face = FACES[face_type]
    r = face.rings[-1].outer_radius_mm
    xs = [x for x, _ in face.spots]
    ys = [y for _, y in face.spots]
    return Extent(r - min(xs), max(xs) + r, r - min(ys), max(ys) + r)


def margin(face_types: Sequence[str]) -> float:
    return max(MIN_MARGIN_MM, MARGIN_SHARE * max(FACES[t].diameter_mm for t in face_types))


@dataclass(frozen=True, slots=True)
class View:
    width_mm: float
    height_mm: float
    centres: tuple[tuple[float, float], ...]  # per face, in the order given


def lay_out(face_types: Sequence[str]) -> View:
    """Faces in a row, left to right, `margin` apart and around."""
    m = margin(face_types)
    extents = [extent(t) for t in face_types]
    below = max(e.bottom for e in extents)
    above = max(e.top for e in extents)
    cy = math.ceil(m + below)
    centres = []
    x = m
    for e in extents:
        cx = math.ceil(x + e.left)
        centres.append((float(cx), float(cy)))
        x = cx + e.right + m
    return View(float(math.ceil(x)), float(math.ceil(cy + above + m)), tuple(centres))


def around(faces: Sequence[tuple[str, float, float]]) -> View:
    """The view from the origin to the faces' farthest rings, plus the margin."""
    m = margin([t for t, _, _ in faces])
    errors = []
    width = height = 0.0
    for i, (face_type, x, y) in enumerate(faces):
        e = extent(face_type)
        if x - e.left < 0 or y - e.bottom < 0:
            errors.append(
                f"faces.{i}: its rings reach left of or below the view's origin (centre "
                f"({x:g}, {y:g}) mm, rings {e.left:g} mm left and {e.bottom:g} mm down): move "
                "it, give the view size, or omit the centres to have the faces laid out"
            )
        width = max(width, x + e.right)
        height = max(height, y + e.top)
    if errors:
        raise InvalidInput(*errors)
    centres = tuple((x, y) for _, x, y in faces)
    return View(float(math.ceil(width + m)), float(math.ceil(height + m)), centres)

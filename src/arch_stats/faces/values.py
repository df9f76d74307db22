"""The values a face can score, as an archer calls them: what a score given by value may be.

From the catalogue's rings, highest first: "X" when the face has an X ring (it scores the
innermost ring's value: 10, or 11 on the 11-zone faces, and under compound scoring the inner
10, which is then the only 10), then every other ring's value, then "M". A WA 122 cm face:
X 10 9 … 1 M; a triple spot: X 10 9 8 7 6 M (X 9 8 7 6 M under compound scoring); an imperial
5-zone face: 9 7 5 3 1 M; a WA field face: 6 5 4 3 2 1 M.

Built once at import; immutable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from arch_stats.faces.catalog import FACES, FaceSpec, Ring

MISS = "M"
X = "X"
# Every label a score may have on some face, highest first (for validation messages).
LABELS = (X, "11", "10", "9", "8", "7", "6", "5", "4", "3", "2", "1", MISS)


@dataclass(frozen=True, slots=True)
class Value:
    label: str
    score: int
    is_x: bool


def _values(face: FaceSpec, rings: tuple[Ring, ...]) -> tuple[Value, ...]:
    out: list[Value] = []
    x = face.x_radius_mm
    if x is not None:
        out.append(Value(X, rings[0].value, True))
    for ring in rings:
        if x is not None and ring.outer_radius_mm <= x + 1e-9:
            continue  # the X ring itself (11-zone; the inner 10 under compound scoring)
        out.append(Value(str(ring.value), ring.value, False))
    out.append(Value(MISS, 0, False))
    return tuple(out)


def _build() -> dict[tuple[str, bool], tuple[Value, ...]]:
    table: dict[tuple[str, bool], tuple[Value, ...]] = {}
    for face_type, face in FACES.items():
        table[(face_type, False)] = _values(face, face.rings)
        table[(face_type, True)] = _values(face, face.compound_rings or face.rings)
    return table


_VALUES: Mapping[tuple[str, bool], tuple[Value, ...]] = MappingProxyType(_build())


def face_values(face_type: str, *, compound: bool = False) -> tuple[Value, ...]:
    """The values of `face_type` (compound scoring where it applies), highest first."""
    return _VALUES[(face_type, compound)]


def labels(face_type: str, *, compound: bool = False) -> list[str]:
    return [v.label for v in face_values(face_type, compound=compound)]


def value_of(face_type: str, label: str, *, compound: bool = False) -> Value | None:
    """The value `label` scores on the face, or None when the face has no such value."""
    for v in face_values(face_type, compound=compound):
        if v.label == label:
            return v
    return None

"""The catalogue of scoring faces: rings, their radii, values and colours, X ring, spot layout.

Ring radii are not typed in here: they come from `archeryutils.Target.gen_face_spec`, the
same face specifications archeryutils uses for handicaps (SPEC §2: zones of equal width,
X diameter = half the 10-ring diameter, which is archeryutils' 11-zone inner ring).

Everything here is immutable and built once at import.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from archeryutils import Target


class UnknownFace(KeyError):
    """No face of that type in the catalogue."""

    def __init__(self, face_type: str) -> None:
        super().__init__(face_type)
        self.face_type = face_type

    def __str__(self) -> str:  # KeyError would print the repr of its argument
        return f"unknown face type {self.face_type!r}"


@dataclass(frozen=True, slots=True)
class Ring:
    """One scoring zone: everything within `outer_radius_mm` of the spot centre (and outside
    the next ring in) scores `value`."""

    outer_radius_mm: float
    value: int
    colour: str  # WA colour name
    colour_hex: str


@dataclass(frozen=True, slots=True)
class FaceSpec:
    face_type: str
    name: str
    # Nominal size of the face, as archeryutils and the rules name it (a 40 cm triple spot
    # is a "40 cm" face although each spot is 20 cm across).
    diameter_mm: float
    rings: tuple[Ring, ...]  # innermost first; values strictly decreasing
    # None when the face has no X ring (WA field, 5-zone faces).
    x_radius_mm: float | None
    # Spot centres in mm from the face centre, x to the right, y up.
    spots: tuple[tuple[float, float], ...]
    # Compound scoring: the X ring becomes the 10 and the rest of the old 10 scores 9.
    compound_applies: bool
    compound_rings: tuple[Ring, ...] | None
    au_scoring: str  # archeryutils scoring system of the face
    au_compound_scoring: str | None
    au_diameter_cm: float

    @property
    def spot_diameter_mm(self) -> float:
        return 2 * self.rings[-1].outer_radius_mm

    @property
    def max_score(self) -> int:
        return self.rings[0].value


# WA colours (Book 3: gold, red, light blue, black, white), as commonly rendered on screen.
GOLD = ("gold", "#FFE552")
RED = ("red", "#F65058")
BLUE = ("light blue", "#00B4E4")
BLACK = ("black", "#000000")
WHITE = ("white", "#FFFFFF")

_TARGET_COLOURS = {
    11: GOLD, 10: GOLD, 9: GOLD, 8: RED, 7: RED,
    6: BLUE, 5: BLUE, 4: BLACK, 3: BLACK, 2: WHITE, 1: WHITE,
}  # fmt: skip
# WA field faces: a yellow centre split into 6 and 5, then four black rings.
_FIELD_COLOURS = {6: GOLD, 5: GOLD, 4: BLACK, 3: BLACK, 2: BLACK, 1: BLACK}
# Imperial 5-zone scoring counts one colour band per zone.
_FIVE_ZONE_COLOURS = {9: GOLD, 7: RED, 5: BLUE, 3: BLACK, 1: WHITE}


def au_rings(system: str, diameter_cm: float) -> tuple[tuple[float, int], ...]:
    """(outer radius mm, value) of archeryutils' face spec, innermost first."""
    spec = Target.gen_face_spec(system, diameter_cm / 100)
    return tuple(sorted((round(float(d) * 500, 6), int(v)) for d, v in spec.items()))


def _rings(
    system: str, diameter_cm: float, colours: Mapping[int, tuple[str, str]]
) -> tuple[Ring, ...]:
    return tuple(
        Ring(outer_radius_mm=r, value=v, colour=colours[v][0], colour_hex=colours[v][1])
        for r, v in au_rings(system, diameter_cm)
    )


def _x_radius(system_11: str, diameter_cm: float) -> float:
    """The X ring is archeryutils' 11-zone inner ring (half the 10-ring diameter)."""
    return next(r for r, v in au_rings(system_11, diameter_cm) if v == 11)


# Spot layout of the WA 40 cm triple faces (World Archery Rulebook, Book 3 "Target Archery",
# the article on target faces and its figures of the 40 cm triple faces): three spots of
# 20 cm (the 6-ring), their scoring zones 2 cm apart, so spot centres are 22 cm apart;
#   vertical:   one column, centres at +22, 0, -22 cm;
#   triangular: an equilateral triangle of 22 cm sides, one spot on top, two below.
# Offsets are from the centre of the spots' bounding box (the centre of the printed sheet).
# The 22 cm pitch could not be checked against the rulebook text while writing this:
# TRIPLE_SPOT_PITCH_MM is the one number to change should the current figure differ.
TRIPLE_SPOT_PITCH_MM = 220.0
_TRIANGLE_HALF_HEIGHT_MM = TRIPLE_SPOT_PITCH_MM * math.sqrt(3) / 4
TRIPLE_VERTICAL_SPOTS: tuple[tuple[float, float], ...] = (
    (0.0, TRIPLE_SPOT_PITCH_MM),
    (0.0, 0.0),
    (0.0, -TRIPLE_SPOT_PITCH_MM),
)  # top, middle, bottom
TRIPLE_TRIANGULAR_SPOTS: tuple[tuple[float, float], ...] = (
    (0.0, _TRIANGLE_HALF_HEIGHT_MM),
    (-TRIPLE_SPOT_PITCH_MM / 2, -_TRIANGLE_HALF_HEIGHT_MM),
    (TRIPLE_SPOT_PITCH_MM / 2, -_TRIANGLE_HALF_HEIGHT_MM),
)  # top, bottom left, bottom right
SINGLE_SPOT: tuple[tuple[float, float], ...] = ((0.0, 0.0),)


def _target_face(
    face_type: str,
    name: str,
    diameter_cm: float,
    *,
    removed: str = "",
    spots: tuple[tuple[float, float], ...] = SINGLE_SPOT,
    compound: bool = False,
    eleven: bool = False,
) -> FaceSpec:
    """A WA target face; `removed` is archeryutils' suffix for faces without the outer rings
    ("_6_ring": 10…5, "_5_ring": 10…6)."""
    system = ("11_zone" if eleven else "10_zone") + removed
    compound_system = f"10_zone{removed}_compound" if compound else None
    return FaceSpec(
        face_type=face_type,
        name=name,
        diameter_mm=diameter_cm * 10,
        rings=_rings(system, diameter_cm, _TARGET_COLOURS),
        x_radius_mm=_x_radius("11_zone" + removed, diameter_cm),
        spots=spots,
        compound_applies=compound,
        compound_rings=(
            _rings(compound_system, diameter_cm, _TARGET_COLOURS) if compound_system else None
        ),
        au_scoring=system,
        au_compound_scoring=compound_system,
        au_diameter_cm=diameter_cm,
    )


def _field_face(diameter_cm: float) -> FaceSpec:
    # WA field (Book 4): a yellow centre split into 6 (inner) and 5, then four black rings.
    # The inner yellow was the X ring until 2008; it now scores 6 and there is no X ring
    # (ties go by the number of 6s, then 5s), so field shots are never X.
    return FaceSpec(
        face_type=f"wa_field_{diameter_cm:g}",
        name=f"WA field {diameter_cm:g} cm",
        diameter_mm=diameter_cm * 10,
        rings=_rings("WA_field", diameter_cm, _FIELD_COLOURS),
        x_radius_mm=None,
        spots=SINGLE_SPOT,
        compound_applies=False,
        compound_rings=None,
        au_scoring="WA_field",
        au_compound_scoring=None,
        au_diameter_cm=diameter_cm,
    )


def _five_zone_face(diameter_cm: float) -> FaceSpec:
    # The WA face scored by colour (9, 7, 5, 3, 1): Archery GB imperial rounds.
    return FaceSpec(
        face_type=f"agb_{diameter_cm:g}_5zone",
        name=f"AGB {diameter_cm:g} cm, 5-zone (imperial)",
        diameter_mm=diameter_cm * 10,
        rings=_rings("5_zone", diameter_cm, _FIVE_ZONE_COLOURS),
        x_radius_mm=None,
        spots=SINGLE_SPOT,
        compound_applies=False,
        compound_rings=None,
        au_scoring="5_zone",
        au_compound_scoring=None,
        au_diameter_cm=diameter_cm,
    )


def _wa_faces(*, eleven: bool) -> list[FaceSpec]:
    suffix = "_11zone" if eleven else ""
    label = ", 11-zone (X scores 11)" if eleven else ""
    # Inner-10 compound scoring is what indoor rounds use (WA 18 m/25 m, AGB Portsmouth,
    # Stafford on the 80 cm face); the 122 cm and the 6-ring faces are outdoor faces.
    # archeryutils' 11-zone schemes (WA experimental rounds) already score the X ring 11.
    faces = [
        _target_face(
            f"wa_{diameter}{suffix}",
            f"WA {diameter} cm{label}",
            diameter,
            compound=compound and not eleven,
            eleven=eleven,
        )
        for diameter, compound in ((122, False), (80, True), (60, True), (40, True))
    ]
    faces += [
        _target_face(
            f"wa_{diameter}_6ring{suffix}",
            f"WA {diameter} cm 6-ring (10…5){label}",
            diameter,
            removed="_6_ring",
            eleven=eleven,
        )
        for diameter in (80, 122)
    ]
    faces += [
        _target_face(
            f"wa_40_triple_{layout}{suffix}",
            f"WA 40 cm triple spot, {layout} (10…6){label}",
            40,
            removed="_5_ring",
            spots=spots,
            compound=not eleven,
            eleven=eleven,
        )
        for layout, spots in (
            ("vertical", TRIPLE_VERTICAL_SPOTS),
            ("triangular", TRIPLE_TRIANGULAR_SPOTS),
        )
    ]
    return faces


def _build() -> dict[str, FaceSpec]:
    faces = _wa_faces(eleven=False)
    faces += [_field_face(d) for d in (80, 60, 40, 20)]
    faces += _wa_faces(eleven=True)
    faces += [_five_zone_face(d) for d in (122, 80, 60, 40)]
    return {f.face_type: f for f in faces}


FACES: Mapping[str, FaceSpec] = MappingProxyType(_build())
FACE_TYPES: frozenset[str] = frozenset(FACES)


def get_face(face_type: str) -> FaceSpec:
    try:
        return FACES[face_type]
    except KeyError:
        raise UnknownFace(face_type) from None

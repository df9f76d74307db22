"""The face catalogue agrees with archeryutils' face specs and with SPEC §2."""

from __future__ import annotations

import math

import pytest
from archeryutils import Target

from arch_stats.faces.catalog import FACE_TYPES, FACES, FaceSpec, UnknownFace, get_face

REQUIRED = {
    "wa_122": (10, 1),
    "wa_80": (10, 1),
    "wa_60": (10, 1),
    "wa_40": (10, 1),
    "wa_80_6ring": (10, 5),
    "wa_122_6ring": (10, 5),
    "wa_40_triple_vertical": (10, 6),
    "wa_40_triple_triangular": (10, 6),
    "wa_field_80": (6, 1),
    "wa_field_60": (6, 1),
    "wa_field_40": (6, 1),
    "wa_field_20": (6, 1),
}


def au_spec(system: str, diameter_cm: float) -> list[tuple[float, int]]:
    """archeryutils' face spec as (outer radius mm, value), innermost first."""
    spec = Target.gen_face_spec(system, diameter_cm / 100)
    return sorted((d * 1000 / 2, v) for d, v in spec.items())


@pytest.mark.parametrize(("face_type", "values"), REQUIRED.items())
def test_required_face_types_present_with_their_zones(
    face_type: str, values: tuple[int, int]
) -> None:
    face = FACES[face_type]
    assert face.face_type == face_type
    top, bottom = values
    assert [r.value for r in face.rings] == list(range(top, bottom - 1, -1))


@pytest.mark.parametrize("face_type", sorted(FACE_TYPES))
def test_rings_match_archeryutils_face_spec(face_type: str) -> None:
    face = FACES[face_type]
    expected = au_spec(face.au_scoring, face.au_diameter_cm)
    assert [r.value for r in face.rings] == [v for _, v in expected]
    for ring, (radius, _) in zip(face.rings, expected, strict=True):
        assert ring.outer_radius_mm == pytest.approx(radius, abs=1e-6)
    assert face.diameter_mm == pytest.approx(face.au_diameter_cm * 10)


@pytest.mark.parametrize("face_type", sorted(FACE_TYPES))
def test_compound_rings_match_archeryutils_compound_spec(face_type: str) -> None:
    face = FACES[face_type]
    if not face.compound_applies:
        assert face.compound_rings is None
        assert face.au_compound_scoring is None
        return
    assert face.au_compound_scoring is not None
    assert face.compound_rings is not None
    expected = au_spec(face.au_compound_scoring, face.au_diameter_cm)
    got = [(r.outer_radius_mm, r.value) for r in face.compound_rings]
    assert [v for _, v in got] == [v for _, v in expected]
    assert [r for r, _ in got] == pytest.approx([r for r, _ in expected], abs=1e-6)
    # The compound 10 is exactly the X ring.
    assert face.compound_rings[0].outer_radius_mm == face.x_radius_mm


@pytest.mark.parametrize("face_type", sorted(FACE_TYPES))
def test_zones_equal_width_and_x_half_the_ten(face_type: str) -> None:
    face = FACES[face_type]
    radii = [r.outer_radius_mm for r in face.rings]
    assert radii == sorted(radii)
    assert [r.value for r in face.rings] == sorted((r.value for r in face.rings), reverse=True)
    if face.au_scoring.startswith("10_zone"):
        width = face.diameter_mm / 20
        assert radii == pytest.approx([width * (i + 1) for i in range(len(radii))])
        ten_radius = next(r.outer_radius_mm for r in face.rings if r.value == 10)
        assert face.x_radius_mm == pytest.approx(ten_radius / 2)
    if face.au_scoring.startswith("11_zone"):
        eleven, ten = face.rings[0], face.rings[1]
        assert (eleven.value, ten.value) == (11, 10)
        assert face.x_radius_mm == eleven.outer_radius_mm == pytest.approx(ten.outer_radius_mm / 2)


@pytest.mark.parametrize("face_type", [t for t in sorted(FACE_TYPES) if "field" in t])
def test_field_faces_inner_six_then_equal_rings_no_x(face_type: str) -> None:
    face = FACES[face_type]
    radii = [r.outer_radius_mm for r in face.rings]
    d = face.diameter_mm
    assert radii == pytest.approx([d / 20, d / 10, 2 * d / 10, 3 * d / 10, 4 * d / 10, d / 2])
    assert face.x_radius_mm is None
    assert not face.compound_applies
    assert [r.colour for r in face.rings] == ["gold", "gold", "black", "black", "black", "black"]


def test_wa_colours_by_zone() -> None:
    colours = [r.colour for r in FACES["wa_122"].rings]
    pairs = ["gold", "red", "light blue", "black", "white"]
    assert colours == [c for c in pairs for _ in (0, 1)]
    assert {r.colour_hex for r in FACES["wa_122"].rings} == {
        "#FFE552",
        "#F65058",
        "#00B4E4",
        "#000000",
        "#FFFFFF",
    }


def test_triple_vertical_spots_22cm_apart_in_a_column() -> None:
    spots = FACES["wa_40_triple_vertical"].spots
    assert spots == ((0.0, 220.0), (0.0, 0.0), (0.0, -220.0))
    assert FACES["wa_40_triple_vertical"].spot_diameter_mm == 200


def test_triple_triangular_spots_equilateral_22cm_centred() -> None:
    face = FACES["wa_40_triple_triangular"]
    (x0, y0), (x1, y1), (x2, y2) = face.spots
    for a, b in (((x0, y0), (x1, y1)), ((x1, y1), (x2, y2)), ((x0, y0), (x2, y2))):
        assert math.dist(a, b) == pytest.approx(220.0)
    assert y0 > 0 > y1 == y2  # one on top, two below
    assert x0 == 0 and x1 == -x2 < 0
    # Centred on the spots' bounding box.
    assert max(y0, y1) + 100 == pytest.approx(-(min(y0, y1) - 100))


@pytest.mark.parametrize("face_type", sorted(FACE_TYPES))
def test_spots_never_overlap(face_type: str) -> None:
    face: FaceSpec = FACES[face_type]
    for i, a in enumerate(face.spots):
        for b in face.spots[i + 1 :]:
            assert math.dist(a, b) > face.spot_diameter_mm


def test_compound_applies_on_indoor_faces_only() -> None:
    applies = {t for t, f in FACES.items() if f.compound_applies}
    assert applies == {
        "wa_80",
        "wa_60",
        "wa_40",
        "wa_40_triple_vertical",
        "wa_40_triple_triangular",
    }


def test_get_face_unknown_raises_keyerror_subclass() -> None:
    with pytest.raises(UnknownFace) as err:
        get_face("wa_999")
    assert isinstance(err.value, KeyError)
    assert str(err.value) == "unknown face type 'wa_999'"
    assert get_face("wa_40") is FACES["wa_40"]

"""Scoring by WA rules (SPEC §2): every face, every ring boundary, X, M, spots, compound."""

from __future__ import annotations

import math

import pytest
from archeryutils import Target
from hypothesis import given
from hypothesis import strategies as st

from arch_stats.faces.catalog import FACE_TYPES, FACES
from arch_stats.faces.scoring import (
    DEFAULT_ARROW_DIAMETER_MM,
    PlacedFace,
    Score,
    UnknownFace,
    max_score,
    score_impact,
)

STEP = 0.01  # mm: "just beyond" a line
ANGLES = (0.0, 90.0, 217.5)  # degrees: along x, along y, and off both axes
ARROWS = (None, 0.0, 9.3)  # default 5.5 mm, a point, a fat indoor arrow


def arrow_radius(arrow: float | None) -> float:
    return (DEFAULT_ARROW_DIAMETER_MM if arrow is None else arrow) / 2


def reference(face_type: str, d: float, r: float, *, compound: bool = False) -> int:
    """The score straight from archeryutils' face spec: the best ring with d - r <= R."""
    face = FACES[face_type]
    system = face.au_compound_scoring if compound and face.compound_applies else face.au_scoring
    assert system is not None
    spec = Target.gen_face_spec(system, face.au_diameter_cm / 100)
    return max((v for diam, v in spec.items() if d - r <= diam * 1000 / 2 + 1e-9), default=0)


def shoot(
    face_type: str,
    spot: int,
    d: float,
    angle: float,
    *,
    arrow: float | None = None,
    compound: bool = False,
    centre: tuple[float, float] = (0.0, 0.0),
) -> Score:
    sx, sy = FACES[face_type].spots[spot]
    theta = math.radians(angle)
    x = centre[0] + sx + d * math.cos(theta)
    y = centre[1] + sy + d * math.sin(theta)
    face = PlacedFace(face_type, centre[0], centre[1])
    return score_impact([face], x, y, arrow_diameter_mm=arrow, compound=compound)


@pytest.mark.parametrize("face_type", sorted(FACE_TYPES))
@pytest.mark.parametrize("arrow", ARROWS)
def test_every_ring_boundary_line_cutter_scores_higher(face_type: str, arrow: float | None) -> None:
    face = FACES[face_type]
    r = arrow_radius(arrow)
    values = [ring.value for ring in face.rings]
    for spot in range(len(face.spots)):
        for angle in ANGLES:
            for k, ring in enumerate(face.rings):
                outside = values[k + 1] if k + 1 < len(values) else 0
                on_line = ring.outer_radius_mm + r  # the arrow's edge touches the line
                at = shoot(face_type, spot, on_line, angle, arrow=arrow)
                beyond = shoot(face_type, spot, on_line + STEP, angle, arrow=arrow)
                inside = shoot(face_type, spot, max(on_line - STEP, 0.0), angle, arrow=arrow)
                assert (at.score, at.spot_index) == (ring.value, spot), (spot, angle, k)
                assert inside.score == ring.value
                assert beyond.score == outside, (spot, angle, k)
                assert at.score == reference(face_type, on_line, r)
                assert beyond.score == reference(face_type, on_line + STEP, r)


@pytest.mark.parametrize("face_type", sorted(FACE_TYPES))
@pytest.mark.parametrize("arrow", ARROWS)
def test_x_boundary(face_type: str, arrow: float | None) -> None:
    face = FACES[face_type]
    r = arrow_radius(arrow)
    for spot in range(len(face.spots)):
        centre = shoot(face_type, spot, 0.0, 0.0, arrow=arrow)
        if face.x_radius_mm is None:
            assert not centre.is_x
            assert centre.score == face.rings[0].value
            continue
        at = shoot(face_type, spot, face.x_radius_mm + r, 45.0, arrow=arrow)
        beyond = shoot(face_type, spot, face.x_radius_mm + r + STEP, 45.0, arrow=arrow)
        assert centre.is_x and at.is_x
        assert not beyond.is_x
        assert at.score == face.rings[0].value  # 10, or 11 on the 11-zone faces
        assert beyond.score == (10 if face.rings[0].value == 11 else face.rings[0].value)


@pytest.mark.parametrize("face_type", sorted(FACE_TYPES))
def test_outside_every_zone_is_m(face_type: str) -> None:
    face = FACES[face_type]
    edge = face.rings[-1].outer_radius_mm
    for arrow in ARROWS:
        out = shoot(face_type, 0, edge + arrow_radius(arrow) + STEP, 0.0, arrow=arrow)
        assert (out.score, out.is_x) == (0, False)
    # On a single face, far away is still M and still relative to the face centre.
    if len(face.spots) == 1:
        far = score_impact([PlacedFace(face_type, 0, 0)], -5000.0, 3000.0)
        assert far == Score(0, False, 0, 0, -5000.0, 3000.0)


def test_default_arrow_is_5_5_mm() -> None:
    ten = FACES["wa_122"].rings[0].outer_radius_mm
    assert shoot("wa_122", 0, ten + 2.75, 0.0).score == 10
    assert shoot("wa_122", 0, ten + 2.76, 0.0).score == 9
    assert shoot("wa_122", 0, ten + 2.75, 0.0, arrow=0.0).score == 9


def test_eleven_zone_x_scores_eleven() -> None:
    assert shoot("wa_122_11zone", 0, 0.0, 0.0) == Score(11, True, 0, 0, 0.0, 0.0)
    assert shoot("wa_122_11zone", 0, 40.0, 0.0).score == 10
    assert max_score("wa_122_11zone") == 11


# -- nearest spot ------------------------------------------------------------------------


def test_vertical_triple_scores_on_nearest_spot() -> None:
    faces = [PlacedFace("wa_40_triple_vertical", 1000.0, 500.0)]
    top = score_impact(faces, 1003.0, 724.0)
    assert (top.spot_index, top.score, top.dx_mm, top.dy_mm) == (0, 10, 3.0, 4.0)
    middle = score_impact(faces, 1000.0, 430.0)
    assert (middle.spot_index, middle.score, middle.dy_mm) == (1, 7, -70.0)
    bottom = score_impact(faces, 990.0, 280.0)
    assert (bottom.spot_index, bottom.score, bottom.dx_mm, bottom.dy_mm) == (2, 10, -10.0, 0.0)
    # Halfway between two spots: a tie goes to the lower spot index; a hair off decides.
    assert score_impact(faces, 1000.0, 610.0).spot_index == 0
    assert score_impact(faces, 1000.0, 609.99).spot_index == 1
    # The gap between spots is M.
    assert score_impact(faces, 1000.0, 610.0).score == 0


def test_triangular_triple_scores_on_nearest_spot() -> None:
    spots = FACES["wa_40_triple_triangular"].spots
    faces = [PlacedFace("wa_40_triple_triangular", 0.0, 0.0)]
    for index, (sx, sy) in enumerate(spots):
        s = score_impact(faces, sx + 24.0, sy - 7.0)
        assert (s.spot_index, s.score, s.is_x) == (index, 9, False)
        assert s.dx_mm == pytest.approx(24.0) and s.dy_mm == pytest.approx(-7.0)
    # Between the two bottom spots: equidistant, the lower index (bottom left) wins.
    between = score_impact(faces, 0.0, spots[1][1])
    assert between.spot_index == 1 and between.dx_mm == pytest.approx(110.0)
    assert score_impact(faces, 0.01, spots[1][1]).spot_index == 2


def test_several_faces_nearest_centre_and_tie_to_lowest_index() -> None:
    faces = [PlacedFace("wa_80", -500.0, 0.0), PlacedFace("wa_80", 500.0, 0.0)]
    assert score_impact(faces, 0.0, 0.0).face_index == 0
    right = score_impact(faces, 1.0, 0.0)
    assert (right.face_index, right.dx_mm, right.dy_mm) == (1, -499.0, 0.0)
    on_right = score_impact(faces, 530.0, -40.0)
    assert (on_right.face_index, on_right.score, on_right.dx_mm, on_right.dy_mm) == (
        1,
        9,
        30.0,
        -40.0,
    )


def test_several_faces_nearest_centre_wins_even_if_its_face_is_missed() -> None:
    # SPEC §2 scores on the nearest face centre: a small face nearer than a big one.
    faces = [PlacedFace("wa_40", 0.0, 0.0), PlacedFace("wa_122", 1000.0, 0.0)]
    s = score_impact(faces, 450.0, 0.0)
    assert (s.face_index, s.score) == (0, 0)


def test_several_triple_faces_on_one_target() -> None:
    faces = [
        PlacedFace("wa_40_triple_vertical", 150.0, 400.0),
        PlacedFace("wa_40_triple_vertical", 450.0, 400.0),
        PlacedFace("wa_40_triple_triangular", 300.0, -300.0),
    ]
    s = score_impact(faces, 455.0, 178.0)  # bottom spot of the second face
    assert (s.face_index, s.spot_index, s.score, s.dx_mm, s.dy_mm) == (1, 2, 10, 5.0, -2.0)
    tri = FACES["wa_40_triple_triangular"].spots
    s = score_impact(faces, 300.0 + tri[2][0], -300.0 + tri[2][1])
    assert (s.face_index, s.spot_index, s.score, s.is_x) == (2, 2, 10, True)


# -- compound -------------------------------------------------------------------------


@pytest.mark.parametrize("face_type", sorted(FACE_TYPES))
def test_compound_scoring_on_and_off(face_type: str) -> None:
    face = FACES[face_type]
    r = arrow_radius(None)
    d = (face.x_radius_mm or 0.0) + r + 1.0  # outside the X ring, inside the old 10
    normal = shoot(face_type, 0, d, 30.0)
    compound = shoot(face_type, 0, d, 30.0, compound=True)
    assert normal.score == reference(face_type, d, r)
    assert compound.score == reference(face_type, d, r, compound=True)
    if face.compound_applies:
        assert (normal.score, compound.score) == (10, 9)
        inner = shoot(face_type, 0, face.x_radius_mm or 0.0, 30.0, compound=True)
        assert (inner.score, inner.is_x) == (10, True)
    else:
        assert compound == normal
    assert not compound.is_x


def test_compound_only_changes_the_ten() -> None:
    for d in range(0, 220, 3):
        normal = shoot("wa_40", 0, float(d), 10.0)
        compound = shoot("wa_40", 0, float(d), 10.0, compound=True)
        if normal.score != 10 or normal.is_x:
            assert compound == normal


# -- conventions and errors ------------------------------------------------------------


def test_dx_dy_relative_to_spot_x_right_y_up() -> None:
    faces = [PlacedFace("wa_122", 800.0, 600.0)]
    for x, y in ((810.0, 620.0), (790.0, 620.0), (790.0, 580.0), (810.0, 580.0)):
        s = score_impact(faces, x, y)
        assert (s.dx_mm, s.dy_mm) == (x - 800.0, y - 600.0)
    up_right = score_impact(faces, 830.0, 640.0)
    assert up_right.dx_mm > 0 and up_right.dy_mm > 0


def test_unknown_face_raises_keyerror() -> None:
    with pytest.raises(UnknownFace) as err:
        score_impact([PlacedFace("wa_40", 0, 0), PlacedFace("dartboard", 0, 0)], 1.0, 1.0)
    assert isinstance(err.value, KeyError)
    assert err.value.face_type == "dartboard"


@pytest.mark.parametrize(
    ("faces", "x", "y", "arrow"),
    [
        ([], 0.0, 0.0, None),
        ([PlacedFace("wa_40", 0, 0)], math.nan, 0.0, None),
        ([PlacedFace("wa_40", 0, 0)], 0.0, math.inf, None),
        ([PlacedFace("wa_40", 0, 0)], 0.0, 0.0, -1.0),
        ([PlacedFace("wa_40", 0, 0)], 0.0, 0.0, math.nan),
        ([PlacedFace("wa_40", math.nan, 0)], 0.0, 0.0, None),
    ],
)
def test_invalid_input_raises_value_error(
    faces: list[PlacedFace], x: float, y: float, arrow: float | None
) -> None:
    with pytest.raises(ValueError, match=r"."):
        score_impact(faces, x, y, arrow_diameter_mm=arrow)


@pytest.mark.parametrize(
    ("face_type", "expected"),
    [
        ("wa_122", 10),
        ("wa_40_triple_vertical", 10),
        ("wa_80_6ring", 10),
        ("wa_field_20", 6),
        ("wa_40_11zone", 11),
        ("agb_122_5zone", 9),
    ],
)
def test_max_score(face_type: str, expected: int) -> None:
    assert max_score(face_type, False) == expected
    assert max_score(face_type, True) == expected


def test_max_score_unknown_face() -> None:
    with pytest.raises(UnknownFace):
        max_score("nope", False)


# -- properties -------------------------------------------------------------------------

face_types = st.sampled_from(sorted(FACE_TYPES))
arrows = st.one_of(st.none(), st.floats(min_value=0.0, max_value=12.0))
angles = st.floats(min_value=0.0, max_value=360.0)


def _max_reach(face_type: str) -> float:
    # Stay in the spot's own half-way zone on multi-spot faces, so the spot doesn't change.
    return 109.0 if len(FACES[face_type].spots) > 1 else 800.0


@given(
    face_type=face_types,
    spot=st.integers(min_value=0, max_value=2),
    angle=angles,
    a=st.floats(min_value=0.0, max_value=1.0),
    b=st.floats(min_value=0.0, max_value=1.0),
    arrow=arrows,
    compound=st.booleans(),
)
def test_property_score_never_rises_moving_away_from_the_centre(
    face_type: str,
    spot: int,
    angle: float,
    a: float,
    b: float,
    arrow: float | None,
    compound: bool,
) -> None:
    spot %= len(FACES[face_type].spots)
    near, far = sorted((a * _max_reach(face_type), b * _max_reach(face_type)))
    s_near = shoot(face_type, spot, near, angle, arrow=arrow, compound=compound)
    s_far = shoot(face_type, spot, far, angle, arrow=arrow, compound=compound)
    assert s_near.spot_index == s_far.spot_index == spot
    assert s_near.score >= s_far.score
    assert s_near.is_x or not s_far.is_x


@given(
    face_type=face_types,
    d_frac=st.floats(min_value=0.0, max_value=1.0),
    angle=angles,
    a=st.floats(min_value=0.0, max_value=12.0),
    b=st.floats(min_value=0.0, max_value=12.0),
    compound=st.booleans(),
)
def test_property_larger_arrow_never_scores_lower(
    face_type: str, d_frac: float, angle: float, a: float, b: float, compound: bool
) -> None:
    small, large = sorted((a, b))
    d = d_frac * _max_reach(face_type)
    s_small = shoot(face_type, 0, d, angle, arrow=small, compound=compound)
    s_large = shoot(face_type, 0, d, angle, arrow=large, compound=compound)
    assert s_large.score >= s_small.score
    assert s_large.is_x or not s_small.is_x


@given(
    face_type=face_types,
    x=st.floats(min_value=-2000, max_value=2000),
    y=st.floats(min_value=-2000, max_value=2000),
    arrow=arrows,
    compound=st.booleans(),
)
def test_property_scores_are_storable(
    face_type: str, x: float, y: float, arrow: float | None, compound: bool
) -> None:
    """What the shot table accepts: 0..11, X only with 10 or more, a real ring value or M."""
    s = score_impact(
        [PlacedFace(face_type, 0, 0)], x, y, arrow_diameter_mm=arrow, compound=compound
    )
    assert 0 <= s.score <= 11
    assert not s.is_x or s.score >= 10
    assert s.score == 0 or s.score in {ring.value for ring in FACES[face_type].rings}
    sx, sy = FACES[face_type].spots[s.spot_index]
    assert s.dx_mm == pytest.approx(x - sx) and s.dy_mm == pytest.approx(y - sy)
    d = math.hypot(s.dx_mm, s.dy_mm)
    assert s.score == reference(face_type, d, arrow_radius(arrow), compound=compound)

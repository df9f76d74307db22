"""The standard rounds catalogue, loaded from archeryutils."""

from __future__ import annotations

import pytest
from archeryutils import load_rounds

from arch_stats.faces.catalog import FACES
from arch_stats.faces.rounds import ROUND_SETS, ROUNDS, UnknownRound, get_round
from arch_stats.faces.scoring import max_score


def test_every_archeryutils_round_is_catalogued() -> None:
    codes = {code for name in ROUND_SETS for code in getattr(load_rounds, name)}
    assert codes == set(ROUNDS)
    for code in ("wa720_70", "wa1440_90", "wa18", "wa25", "portsmouth", "york"):
        assert get_round(code).code == code
    york = get_round("york")
    assert york.body == "AGB"
    assert {p.face_type for p in york.passes} == {"agb_122_5zone"}


def test_wa720_70_passes() -> None:
    r = get_round("wa720_70")
    assert (r.location, r.body, r.n_arrows, r.max_score) == ("outdoor", "WA", 72, 720)
    assert [(p.n_arrows, p.distance_m, p.face_diameter_cm, p.face_type) for p in r.passes] == [
        (36, 70.0, 122.0, "wa_122"),
        (36, 70.0, 122.0, "wa_122"),
    ]
    assert not any(p.indoor or p.compound_scoring for p in r.passes)


def test_indoor_rounds_map_to_indoor_faces() -> None:
    assert get_round("wa18").passes[0].face_type == "wa_40"
    compound = get_round("wa18_compound").passes[0]
    assert (compound.face_type, compound.compound_scoring, compound.indoor) == ("wa_40", True, True)
    triple = get_round("wa18_triple").passes[0]
    assert triple.face_type == "wa_40_triple_vertical"
    assert triple.face_types == ("wa_40_triple_vertical", "wa_40_triple_triangular")
    portsmouth = get_round("portsmouth").passes[0]
    assert (portsmouth.distance, portsmouth.distance_unit) == (20.0, "yard")
    assert portsmouth.distance_m == pytest.approx(18.288)


def test_field_rounds_map_to_field_faces() -> None:
    field = [r for r in ROUNDS.values() if r.body == "WA" and r.location == "field"]
    assert field
    for r in field:
        assert all(
            p.face_type is not None and p.face_type.startswith("wa_field_") for p in r.passes
        )


def test_rounds_without_a_face_have_null_face_type() -> None:
    worcester = [p for r in ROUNDS.values() for p in r.passes if p.scoring == "Worcester"]
    assert worcester
    assert all(p.face_type is None and p.face_types == () for p in worcester)


@pytest.mark.parametrize("code", sorted(ROUNDS))
def test_pass_faces_score_exactly_like_archeryutils(code: str) -> None:
    r = ROUNDS[code]
    assert r.n_arrows == sum(p.n_arrows for p in r.passes)
    assert r.max_score == sum(p.max_score for p in r.passes)
    for p in r.passes:
        if p.face_type is None:
            continue
        assert p.face_types[0] == p.face_type
        for face_type in p.face_types:
            face = FACES[face_type]
            systems = {face.au_scoring, face.au_compound_scoring}
            assert p.scoring in systems
            assert face.au_diameter_cm == pytest.approx(p.face_diameter_cm)
            assert p.max_score == p.n_arrows * max_score(face_type, p.compound_scoring)


def test_unknown_round_raises_keyerror() -> None:
    with pytest.raises(UnknownRound) as err:
        get_round("nope")
    assert isinstance(err.value, KeyError)
    assert str(err.value) == "unknown round 'nope'"

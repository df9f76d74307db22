"""The faces domain's data is static: serialised to JSON bytes once, at import.

The output models validate the catalogues on the way (so a response always matches its
documented schema) and orjson turns them into the bytes every request then reuses.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import orjson
from pydantic import BaseModel

from arch_stats.core.errors import NotFound
from arch_stats.faces import values
from arch_stats.faces.catalog import FACES, FaceSpec, Ring
from arch_stats.faces.rounds import ROUNDS, RoundSpec, distance_label
from arch_stats.faces.schemas import (
    Body,
    FaceOut,
    Location,
    RingOut,
    RoundOut,
    RoundSummaryOut,
    SpotOut,
)


def _ring(ring: Ring) -> RingOut:
    return RingOut(
        outer_radius_mm=ring.outer_radius_mm,
        value=ring.value,
        colour=ring.colour,
        colour_hex=ring.colour_hex,
    )


def face_out(face: FaceSpec) -> FaceOut:
    return FaceOut(
        face_type=face.face_type,
        name=face.name,
        diameter_mm=face.diameter_mm,
        spot_diameter_mm=face.spot_diameter_mm,
        rings=[_ring(r) for r in face.rings],
        x_radius_mm=face.x_radius_mm,
        spots=[SpotOut(x_mm=x, y_mm=y) for x, y in face.spots],
        max_score=face.max_score,
        compound_applies=face.compound_applies,
        compound_rings=(
            None if face.compound_rings is None else [_ring(r) for r in face.compound_rings]
        ),
        au_scoring=face.au_scoring,
        au_compound_scoring=face.au_compound_scoring,
        au_diameter_cm=face.au_diameter_cm,
        values=values.labels(face.face_type),
        compound_values=(
            values.labels(face.face_type, compound=True) if face.compound_applies else None
        ),
    )


def round_out(spec: RoundSpec) -> RoundOut:
    return RoundOut.model_validate(
        {
            "code": spec.code,
            "name": spec.name,
            "location": spec.location,
            "body": spec.body,
            "family": spec.family,
            "n_arrows": spec.n_arrows,
            "max_score": spec.max_score,
            "face_types": _distinct(p.face_type for p in spec.passes),
            "distances": _distinct(distance_label(p) for p in spec.passes),
            "supported": all(p.face_type is not None for p in spec.passes),
            "passes": [
                {
                    "n_arrows": p.n_arrows,
                    "distance_m": p.distance_m,
                    "distance": p.distance,
                    "distance_unit": p.distance_unit,
                    "face_diameter_cm": p.face_diameter_cm,
                    "scoring": p.scoring,
                    "indoor": p.indoor,
                    "compound_scoring": p.compound_scoring,
                    "face_type": p.face_type,
                    "face_types": list(p.face_types),
                    "max_score": p.max_score,
                }
                for p in spec.passes
            ],
        }
    )


def _distinct(face_types: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(t for t in face_types if t is not None))


def round_summary(spec: RoundSpec) -> RoundSummaryOut:
    full = round_out(spec)
    return RoundSummaryOut.model_validate(full.model_dump(exclude={"passes"}))


def _dump(model: BaseModel) -> bytes:
    return orjson.dumps(model.model_dump(mode="json"))


def _array(items: list[bytes]) -> bytes:
    return b"[" + b",".join(items) + b"]"


_FACE_JSON: dict[str, bytes] = {t: _dump(face_out(f)) for t, f in FACES.items()}
_FACE_LIST_JSON = _array(list(_FACE_JSON.values()))
_ROUND_JSON: dict[str, bytes] = {c: _dump(round_out(r)) for c, r in ROUNDS.items()}
_ROUND_SUMMARY_JSON: dict[str, bytes] = {c: _dump(round_summary(r)) for c, r in ROUNDS.items()}


def face_list_json() -> bytes:
    return _FACE_LIST_JSON


def face_json(face_type: str) -> bytes:
    try:
        return _FACE_JSON[face_type]
    except KeyError:
        raise NotFound("face type", face_type) from None


@cache  # bounded: both arguments are validated enums
def round_list_json(location: Location | None = None, body: Body | None = None) -> bytes:
    return _array(
        [
            _ROUND_SUMMARY_JSON[code]
            for code, spec in ROUNDS.items()
            if (location is None or spec.location == location)
            and (body is None or spec.body == body)
        ]
    )


def round_json(code: str) -> bytes:
    try:
        return _ROUND_JSON[code]
    except KeyError:
        raise NotFound("round", code) from None

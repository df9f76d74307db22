"""A session shot to a round: its plan, and where the archer is in it.

The *plan* is what a session follows, fixed when it starts (`session.round_plan`): the round's
passes (archeryutils' for a standard round, the archer's or club's own for a custom one), each
with the session's ends it takes and the target it is shot at. Every pass takes whole ends of
the session's end size, so a pass boundary is an end boundary. Consecutive passes at one
distance on one face (a WA 720's two halves) share a target; a new distance or face is a new
target, made from the round (distance, face, compound scoring), so that every arrow is scored
on the face it was shot at and stays so when it is corrected later.

*Where the archer is* follows the writer's rule (definitions/shot_insert.sql): the next arrow
goes to the first free place of the session's current end (its highest), else to the next end;
past the round's last end, to the first end that has a free place (an arrow deleted earlier).
The round is complete when every place holds an arrow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from arch_stats.core.errors import InvalidInput
from arch_stats.faces.catalog import FACES
from arch_stats.faces.rounds import PassSpec, RoundSpec, distance_label

YARD_M = 0.9144


def face_label(face_type: str) -> str:
    """The face's size as archers name it: "122 cm" (a triple spot: "40 cm triple")."""
    face = FACES[face_type]
    size = f"{face.diameter_mm / 10:g} cm"
    return f"{size} triple" if len(face.spots) > 1 else size


def custom_spec(
    name: str,
    location: str,
    compound_scoring: bool,
    passes: Iterable[tuple[int, float, str, str]],
) -> RoundSpec:
    """A custom round as a RoundSpec: `passes` are (arrows, distance, unit, face type)."""
    specs = []
    for n_arrows, distance, unit, face_type in passes:
        face = FACES[face_type]
        compound = compound_scoring and face.compound_applies
        scoring = face.au_compound_scoring if compound and face.au_compound_scoring else None
        specs.append(
            PassSpec(
                n_arrows=n_arrows,
                distance_m=round(distance * YARD_M if unit == "yard" else distance, 4),
                distance=distance,
                distance_unit=unit,
                face_diameter_cm=face.au_diameter_cm,
                scoring=scoring or face.au_scoring,
                indoor=location == "indoor",
                compound_scoring=compound,
                face_type=face_type,
                face_types=(face_type,),
                max_score=n_arrows * face.max_score,
            )
        )
    return RoundSpec(
        code="",
        name=name,
        location=location,
        body="custom",
        family=None,
        n_arrows=sum(p.n_arrows for p in specs),
        max_score=sum(p.max_score for p in specs),
        passes=tuple(specs),
    )


def followable(spec: RoundSpec) -> bool:
    """Every pass has a face of the catalogue to be scored on (a Worcester has none: a
    session with such a round keeps its code but is not followed)."""
    return all(p.face_type is not None for p in spec.passes)


def check_end_size(spec: RoundSpec, per_end: int) -> None:
    """422 unless every pass of `spec` takes whole ends of `per_end` arrows."""
    sizes = {p.n_arrows for p in spec.passes}
    if any(n % per_end for n in sizes):
        fits = [k for k in range(1, 25) if all(n % k == 0 for n in sizes)]
        raise InvalidInput(
            f"arrows_per_end: the passes of {spec.name} ({', '.join(map(str, sorted(sizes)))} "
            f"arrows) do not divide into ends of {per_end}: choose "
            f"{', '.join(map(str, fits))}"
        )


def choose_face(p: PassSpec, preferred: Sequence[str]) -> str:
    """The first preferred face that scores the pass exactly, else the round's own."""
    for face_type in preferred:
        if face_type in p.face_types:
            return face_type
    assert p.face_type is not None
    return p.face_type


def build(
    spec: RoundSpec,
    per_end: int,
    *,
    preferred_faces: Sequence[str] = (),
    custom_round_id: str | None = None,
) -> dict[str, Any]:
    """The plan of a session shooting `spec` in ends of `per_end` (targets still to be made:
    `target_id` null; `stages` says which passes share one)."""
    check_end_size(spec, per_end)
    passes = []
    end = 0
    for p in spec.passes:
        face_type = choose_face(p, preferred_faces)
        ends = p.n_arrows // per_end
        passes.append(
            {
                "n_arrows": p.n_arrows,
                "distance": p.distance,
                "distance_unit": p.distance_unit,
                "distance_m": p.distance_m,
                "distance_label": distance_label(p),
                "face_type": face_type,
                "face_label": face_label(face_type),
                "scoring": p.scoring,
                "indoor": p.indoor,
                "compound_scoring": p.compound_scoring,
                "first_end": end + 1,
                "last_end": end + ends,
                "target_id": None,
            }
        )
        end += ends
    return {
        "code": spec.code or None,
        "custom_round_id": custom_round_id,
        "name": spec.name,
        "location": spec.location,
        "n_arrows": spec.n_arrows,
        "max_score": spec.max_score,
        "arrows_per_end": per_end,
        "ends": end,
        "passes": passes,
    }


@dataclass(frozen=True, slots=True)
class Stage:
    """Consecutive passes shot at one target: the ends they take and how it scores."""

    passes: tuple[int, ...]  # indexes into the plan's passes
    first_end: int
    last_end: int
    distance_m: float
    face_type: str
    compound_scoring: bool


def stages(plan: Mapping[str, Any]) -> list[Stage]:
    out: list[Stage] = []
    for i, p in enumerate(plan["passes"]):
        key = (p["distance_m"], p["face_type"], p["compound_scoring"])
        last = out[-1] if out else None
        if last and (last.distance_m, last.face_type, last.compound_scoring) == key:
            out[-1] = Stage((*last.passes, i), last.first_end, p["last_end"], *key)
        else:
            out.append(Stage((i,), p["first_end"], p["last_end"], *key))
    return out


def spec_of(plan: Mapping[str, Any]) -> RoundSpec:
    """The round a plan was made from (a standard round's own spec, a custom one rebuilt)."""
    from arch_stats.faces.rounds import ROUNDS

    standard = ROUNDS.get(plan["code"]) if plan.get("code") else None
    if standard is not None:
        return standard
    return custom_spec(
        plan["name"],
        plan["location"] or "outdoor",
        any(p["compound_scoring"] for p in plan["passes"]),
        [
            (p["n_arrows"], p["distance"], p["distance_unit"], p["face_type"])
            for p in plan["passes"]
        ],
    )


# --- where the archer is ----------------------------------------------------------------------


def next_position(
    per_end: int, last_end: int | None, taken: Mapping[int, int]
) -> tuple[int, int] | None:
    """(end, place) of the next arrow, by the writer's rule; `taken`: end → mask of its places
    (place p: bit p - 1). None when a round (`last_end`) has no free place left."""
    full = (1 << per_end) - 1
    cur = max(taken, default=0)
    if cur and taken[cur] & full != full:
        return cur, _first_free(taken[cur], per_end)
    end = cur + 1
    if last_end is None or end <= last_end:
        return end, 1
    for end in range(1, last_end + 1):
        mask = taken.get(end, 0)
        if mask & full != full:
            return end, _first_free(mask, per_end)
    return None


def _first_free(mask: int, per_end: int) -> int:
    return next(p for p in range(1, per_end + 1) if not mask & (1 << (p - 1)))


def masks(positions: Iterable[tuple[int, int]]) -> dict[int, int]:
    """end → mask of the places taken, from (end, place) pairs."""
    taken: dict[int, int] = {}
    for end, place in positions:
        taken[end] = taken.get(end, 0) | (1 << (place - 1))
    return taken


def progress(plan: Mapping[str, Any], arrows_shot: int, taken: Mapping[int, int]) -> dict[str, Any]:
    """Where the archer is in the round: the next arrow's pass, end of the pass and place in
    the end, with the pass's distance, face and target; how many arrows are shot and left."""
    per_end = int(plan["arrows_per_end"])
    total = int(plan["n_arrows"])
    nxt = next_position(per_end, int(plan["ends"]), taken)
    out: dict[str, Any] = {
        "arrows_shot": arrows_shot,
        "arrows_total": total,
        "arrows_left": max(total - arrows_shot, 0),
        "complete": nxt is None,
        "pass_no": None,
        "passes": len(plan["passes"]),
        "distance_label": None,
        "face_type": None,
        "face_label": None,
        "target_id": None,
        "end_no": None,
        "end_of_pass": None,
        "ends_in_pass": None,
        "arrow_of_end": None,
        "arrows_per_end": per_end,
    }
    if nxt is None:
        return out
    end, place = nxt
    for i, p in enumerate(plan["passes"]):
        if p["first_end"] <= end <= p["last_end"]:
            out.update(
                pass_no=i + 1,
                distance_label=p["distance_label"],
                face_type=p["face_type"],
                face_label=p["face_label"],
                target_id=p["target_id"],
                end_no=end,
                end_of_pass=end - p["first_end"] + 1,
                ends_in_pass=p["last_end"] - p["first_end"] + 1,
                arrow_of_end=place,
            )
            break
    return out

"""Request and response bodies of custom rounds (an archer's or a club's own rounds)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal, Self, TypeAlias
from uuid import UUID

from pydantic import MISSING, BaseModel, ConfigDict, Field, StrictBool, model_validator

from arch_stats.faces.catalog import FACES
from arch_stats.sessions.schemas import TEXT_PATTERN

if TYPE_CHECKING:
    FaceType: TypeAlias = str
else:
    FaceType = Literal[tuple(FACES)]

Location = Literal["indoor", "outdoor", "field"]
DistanceUnit = Literal["metre", "yard"]
MAX_PASSES = 48
MAX_ARROWS = 1000  # in one round: a few times a WA 1440's

Name = Annotated[str, Field(min_length=1, max_length=100, pattern=TEXT_PATTERN)]
EndSize = Annotated[
    int,
    Field(ge=1, le=24, strict=True, description="Arrows per end; each pass takes whole ends."),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class CustomPassIn(Strict):
    n_arrows: int = Field(ge=1, le=MAX_ARROWS, strict=True)
    distance: float = Field(gt=0, le=1000, strict=True, description="In `distance_unit`.")
    distance_unit: DistanceUnit = "metre"
    face_type: FaceType = Field(description="A face of the catalogue (GET /api/v0/face).")


Passes = Annotated[list[CustomPassIn], Field(min_length=1, max_length=MAX_PASSES)]


def _check(passes: list[CustomPassIn], per_end: int) -> None:
    total = sum(p.n_arrows for p in passes)
    if total > MAX_ARROWS:
        raise ValueError(f"passes: {total} arrows in all, at most {MAX_ARROWS}")
    for i, p in enumerate(passes):
        if p.n_arrows % per_end:
            raise ValueError(
                f"passes.{i}.n_arrows: {p.n_arrows} arrows do not make whole ends of {per_end}"
            )


class CustomRoundIn(Strict):
    """A round of your own (or, with `club_id`, of a club you own): its passes in order, each
    at one distance on one face, in ends of `arrows_per_end`."""

    name: Name
    location: Location = "outdoor"
    arrows_per_end: EndSize = 6
    compound_scoring: StrictBool = Field(
        default=False, description="Inner-10 scoring on the faces where it applies."
    )
    club_id: UUID | None = Field(
        default=None, description="The club whose round it is (you must be one of its owners)."
    )
    passes: Passes

    @model_validator(mode="after")
    def _whole_ends(self) -> Self:
        _check(self.passes, self.arrows_per_end)
        return self


class CustomRoundPatch(Strict):
    """Only the fields sent change; `passes` replaces them all. Sessions already shot to the
    round keep the round as it was when they started."""

    name: Name | MISSING = MISSING
    location: Location | MISSING = MISSING
    arrows_per_end: EndSize | MISSING = MISSING
    compound_scoring: StrictBool | MISSING = MISSING
    passes: Passes | MISSING = MISSING


class CustomPassOut(Strict):
    n_arrows: int
    distance: float
    distance_unit: DistanceUnit
    distance_m: float
    distance_label: str = Field(examples=["50 m", "60 yd"])
    face_type: str
    face_label: str = Field(examples=["80 cm"])


class CustomRoundOut(Strict):
    id: UUID
    name: str
    location: Location
    arrows_per_end: int
    compound_scoring: bool
    archer_id: UUID | None = Field(description="Whose round it is, when it is an archer's.")
    club_id: UUID | None = Field(description="The club whose round it is, when a club's.")
    club_name: str | None
    can_edit: bool = Field(
        description="You may change or delete it (yours, or your club's as one of its owners)."
    )
    n_arrows: int
    max_score: int
    passes: list[CustomPassOut]
    created_at: datetime
    updated_at: datetime

"""Request and response bodies of the targets domain.

Positions are millimetres in the target *view* (what the target sensor sees): the origin is
the view's bottom-left corner, x to the right, y up, so a point of the view has
0 ≤ x ≤ view_width_mm and 0 ≤ y ≤ view_height_mm.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal, Self, TypeAlias
from uuid import UUID

from pydantic import MISSING, BaseModel, ConfigDict, Field, StrictBool, model_validator

from arch_stats.faces.catalog import FACES

# Every face of the catalogue (`wa_122`, `wa_40_triple_vertical`, `wa_field_80`, …), kept as
# a Literal so that OpenAPI documents the choice; mypy sees a plain str.
if TYPE_CHECKING:
    FaceType: TypeAlias = str
else:
    FaceType = Literal[tuple(FACES)]

MAX_FACES = 12

Lane = Annotated[int, Field(ge=0, le=10000, strict=True, description="Lane or butt number.")]
DistanceM = Annotated[
    float, Field(gt=0, le=1000, strict=True, description="Distance to this target in m.")
]
ViewMm = Annotated[float, Field(gt=0, le=10000, strict=True)]
PositionMm = Annotated[float, Field(ge=0, le=10000, strict=True)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class FaceIn(Strict):
    face_type: FaceType
    center_x_mm: PositionMm | MISSING = Field(
        default=MISSING,
        description="Centre of the face in the view, from the left. Omit both centres on every "
        "face (and the view) to have the server lay the faces out.",
    )
    center_y_mm: PositionMm | MISSING = Field(
        default=MISSING, description="Centre of the face in the view, from the bottom."
    )

    @model_validator(mode="after")
    def _centre_whole(self) -> Self:
        if (self.center_x_mm is MISSING) != (self.center_y_mm is MISSING):
            raise ValueError("center_x_mm and center_y_mm go together: give both or neither")
        return self


Faces = Annotated[
    list[FaceIn],
    Field(
        min_length=1,
        max_length=MAX_FACES,
        description="The faces on the butt; each centre must lie inside the view. "
        "Their order gives `face_index`. Without centres (hand scoring, no sensor), the server "
        "lays them out left to right and derives the view.",
    ),
]


VIEW_DERIVED = (
    "Omitted (with `view_height_mm`): a hand-scored target, whose view the server derives "
    "to hold every ring of every face with a margin around them (see the README)."
)


class TargetIn(Strict):
    """A target for a session, open or closed (closed ones take targets for data entry).

    A hand-scored session has no sensor and no view: omit `view_width_mm` and
    `view_height_mm` (and, if you like, the faces' centres) and the server derives them."""

    lane: Lane | None = None
    distance_m: DistanceM | MISSING = Field(
        default=MISSING, description="Defaults to the session's distance."
    )
    view_width_mm: ViewMm | MISSING = Field(default=MISSING, description=VIEW_DERIVED)
    view_height_mm: ViewMm | MISSING = Field(default=MISSING, description=VIEW_DERIVED)
    compound_scoring: StrictBool | MISSING = Field(
        default=MISSING,
        description="The X ring counts as the 10 on indoor faces. Defaults to true for an "
        "archer whose bowstyle is compound.",
    )
    faces: Faces


class TargetPatch(Strict):
    """Only the fields sent change; `faces` replaces every face (faces without centres are
    laid out again and the view derived, as when creating). Once the target has shots, its
    view, faces and compound scoring are fixed (409): the scores depend on them."""

    lane: Lane | MISSING | None = MISSING
    distance_m: DistanceM | MISSING = MISSING
    view_width_mm: ViewMm | MISSING = MISSING
    view_height_mm: ViewMm | MISSING = MISSING
    compound_scoring: StrictBool | MISSING = MISSING
    faces: Faces | MISSING = MISSING


class FaceOut(Strict):
    face_index: int
    face_type: FaceType
    center_x_mm: float
    center_y_mm: float


class TargetOut(Strict):
    id: UUID
    session_id: UUID
    lane: int | None
    distance_m: float
    view_width_mm: float
    view_height_mm: float
    compound_scoring: bool
    faces: list[FaceOut]
    first_end: int | None = Field(
        description="The first end of the session's round shot at this target (made from the "
        "round: one per distance and face); null for a target of no round."
    )
    last_end: int | None
    has_shots: bool = Field(
        description="Shots were scored on this target: its view, faces and compound scoring "
        "can no longer change, and it cannot be deleted."
    )
    created_at: datetime
    updated_at: datetime

"""Request and response bodies of the shots domain."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal, Self, TypeAlias
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from arch_stats.core.types import JsonFloat, JsonInt, Timestamp
from arch_stats.faces.values import LABELS

# An Idempotency-Key header: 1 to 200 printable ASCII characters.
IDEMPOTENCY_KEY_PATTERN = r"^[\x20-\x7e]{1,200}$"
# The most shots in one post; the body's size limit follows from it (app.py).
MAX_BATCH = 500

# A score given by value, as an archer calls it (`faces.values`): a Literal, so that OpenAPI
# documents the choice; mypy sees a plain str.
if TYPE_CHECKING:
    Label: TypeAlias = str
else:
    Label = Literal[LABELS]
EnteredBy = Literal["plot", "value", "sensor"]

VALUE = (
    "A score given by value instead of a position (entry by value): 'X', '10' … '1' or 'M', "
    "one of the values of the face it is scored on (X 10…1 M on a WA face, 9 7 5 3 1 M on an "
    "imperial 5-zone face, 6…1 M on a field face; under compound scoring the inner 10 is the "
    "X). Stored with its score and no coordinates; 'M' is a scored miss, not a shot that "
    "missed the target view (`is_miss` stays false)."
)
FACE_INDEX = "With `value`: the target's face it was scored on (default 0)."
SPOT_INDEX = (
    "With `value` on a multi-spot face: the spot it hit (0 top …), so that the one-arrow-per-"
    "spot rule applies; without it that rule cannot apply to the arrow."
)


class ShotIn(BaseModel):
    """One arrow. No coordinates means the arrow missed the target view entirely."""

    model_config = ConfigDict(extra="forbid")

    id: UUID | None = Field(
        default=None,
        description="A shot id chosen by the client. A post whose ids are all stored for this "
        "archer already answers 200 with those shots and writes nothing (safe to retry); a "
        "mix of stored and new ids, or an id used by someone else, answers 409.",
    )
    session_id: UUID
    target_id: UUID
    arrow_id: UUID | None = None
    end_no: JsonInt | None = Field(
        default=None,
        ge=1,
        le=10_000,
        description="The end to record into; by default the session's current end (its "
        "highest) while it has a free place, else the next. The shot takes the first free "
        "place of its end; a full end answers 400.",
    )
    x_mm: JsonFloat | None = Field(
        default=None,
        ge=-100_000,
        le=100_000,
        allow_inf_nan=False,
        description="Impact x in the target view, mm from the left edge.",
    )
    y_mm: JsonFloat | None = Field(
        default=None,
        ge=-100_000,
        le=100_000,
        allow_inf_nan=False,
        description="Impact y in the target view, mm up from the bottom edge.",
    )
    value: Label | None = Field(default=None, description=VALUE)
    face_index: JsonInt | None = Field(default=None, ge=0, le=11, description=FACE_INDEX)
    spot_index: JsonInt | None = Field(default=None, ge=0, le=9, description=SPOT_INDEX)
    engaged_at: Timestamp | None = None
    released_at: Timestamp | None = None
    landed_at: Timestamp | None = None

    @model_validator(mode="after")
    def _coordinates_together(self) -> Self:
        if (self.x_mm is None) != (self.y_mm is None):
            raise ValueError("x_mm and y_mm go together: give both, or neither for a miss")
        if self.value is not None and self.x_mm is not None:
            raise ValueError("value: a score by value has no coordinates (give one or the other)")
        if self.value is None and (self.face_index is not None or self.spot_index is not None):
            raise ValueError("face_index and spot_index go with a value (a position finds its own)")
        if self.x_mm is None and self.landed_at is not None:
            raise ValueError("a shot without coordinates has no landed_at")
        times = [t for t in (self.engaged_at, self.released_at, self.landed_at) if t is not None]
        if any(t.tzinfo is None for t in times):
            raise ValueError("times need a timezone (e.g. 2026-05-01T10:00:00Z)")
        if times != sorted(times):
            raise ValueError("engaged_at ≤ released_at ≤ landed_at")
        return self


# A post of shots: one, or a list of up to MAX_BATCH. A list is reported by its first shot
# that does not validate (`fail_fast`): an answer of a few lines, however long the list.
ShotsIn = ShotIn | Annotated[list[ShotIn], Field(max_length=MAX_BATCH, fail_fast=True)]


class ShotPatch(BaseModel):
    """Corrections to a shot. Coordinates change together; `null` for both makes it a miss
    (no landing); a `value` scores it by value instead (its position is dropped), coordinates
    place it again.

    `end_no` moves the shot to the first free place of that end (400 when it is full; in a
    session that follows its round, within the ends shot at its target); no other shot changes
    its end or place."""

    model_config = ConfigDict(extra="forbid")

    arrow_id: UUID | None = None
    x_mm: JsonFloat | None = Field(default=None, ge=-100_000, le=100_000, allow_inf_nan=False)
    y_mm: JsonFloat | None = Field(default=None, ge=-100_000, le=100_000, allow_inf_nan=False)
    value: Label | None = Field(default=None, description=VALUE)
    face_index: JsonInt | None = Field(default=None, ge=0, le=11, description=FACE_INDEX)
    spot_index: JsonInt | None = Field(default=None, ge=0, le=9, description=SPOT_INDEX)
    end_no: JsonInt | None = Field(default=None, ge=1, le=10_000)

    @model_validator(mode="after")
    def _coordinates_together(self) -> Self:
        given = self.model_fields_set
        if ("x_mm" in given) != ("y_mm" in given) or (self.x_mm is None) != (self.y_mm is None):
            raise ValueError("x_mm and y_mm go together: give both, or both null for a miss")
        if "value" in given and ("x_mm" in given or self.value is None):
            raise ValueError("value: give a value, or coordinates, not both (nor a null value)")
        if "value" not in given and ("face_index" in given or "spot_index" in given):
            raise ValueError("face_index and spot_index go with a value")
        if "end_no" in given and self.end_no is None:
            raise ValueError("end_no cannot be null")
        return self


class ShotOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: UUID
    session_id: UUID
    target_id: UUID
    arrow_id: UUID | None
    seq: int = Field(description="Order of the shot in its session, from 1; never reused.")
    end_no: int = Field(description="Its end, fixed when recorded (or moved by a PATCH).")
    end_place: int = Field(
        description="Its place in the end (1 … arrows per end), fixed when recorded; a "
        "deleted shot frees its place for the next one."
    )
    x_mm: float | None
    y_mm: float | None
    face_index: int | None = Field(description="Index of the target's face it scored on.")
    spot_index: int | None = Field(description="Spot of that face (multi-spot faces).")
    dx_mm: float | None = Field(description="From the centre of the spot hit, x right.")
    dy_mm: float | None = Field(description="From the centre of the spot hit, y up.")
    score: int = Field(ge=0, le=11)
    is_x: bool
    is_miss: bool = Field(
        description="No landing: the arrow missed the target view (never for a score by value)."
    )
    label: str = Field(description="'X', '10' … '1', or 'M'.")
    same_spot_miss: bool = Field(
        description="Scored M only because a lower-valued arrow of its end hit the same spot "
        "of a multi-spot face (World Archery rule); score, label and is_x are the counted ones."
    )
    hit_score: int | None = Field(description="For a same-spot miss, the value it hit (else null).")
    hit_label: str | None = Field(description="For a same-spot miss, the label of that value.")
    engaged_at: datetime | None
    released_at: datetime | None
    landed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    entered_by: EnteredBy = Field(
        description="How its score was entered: 'plot' (a position by hand), 'sensor' (the "
        "readers), 'value' (a score given by value: no position, left out of what needs one)."
    )


class ShotPage(BaseModel):
    """A page of a session's shots, in `seq` order: the envelope with `next_after`."""

    model_config = ConfigDict(extra="forbid")

    code: int
    data: list[ShotOut]
    errors: list[str]
    next_after: int | None = Field(
        description="The `after` of the next page (the last seq of this one), or null when "
        "this page is the last."
    )

"""Request and response bodies of the arrows domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import MISSING, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool

# Printable, no surrounding whitespace: what is written on the shaft ("A07", "red 3").
IDENTIFIER_PATTERN = r"^[^\s\x00-\x1f\x7f]([^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?$"

Identifier = Annotated[
    str,
    Field(
        min_length=1,
        max_length=10,
        pattern=IDENTIFIER_PATTERN,
        description="Short label on the arrow, unique among the archer's active arrows.",
        examples=["A07"],
    ),
]
LengthMm = Annotated[float, Field(gt=0, le=2000, strict=True, description="Shaft length in mm.")]
WeightGrains = Annotated[
    float, Field(gt=0, le=10000, strict=True, description="Total weight in grains.")
]
DiameterMm = Annotated[float, Field(gt=0, le=20, strict=True, description="Shaft diameter in mm.")]
Spine = Annotated[int, Field(gt=0, le=10000, strict=True, description="Static spine (e.g. 600).")]
LabelPositionMm = Annotated[
    float,
    Field(ge=0, le=2000, strict=True, description="Where the ID tag sits, mm from the nock."),
]


def _query_bool(value: object) -> object:
    """Only `true` and `false`, as OpenAPI writes a boolean in a query (not 1, yes, on…)."""
    if value is True or value == "true":
        return True
    if value is False or value == "false":
        return False
    raise ValueError("must be true or false")


QueryBool = Annotated[bool, BeforeValidator(_query_bool)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ArrowIn(Strict):
    identifier: Identifier
    length_mm: LengthMm | None = None
    weight_grains: WeightGrains | None = None
    diameter_mm: DiameterMm = 5.5
    spine: Spine | None = None
    label_position_mm: LabelPositionMm | None = None
    is_programmed: StrictBool = False


class ArrowPatch(Strict):
    """Only the fields sent change; `null` clears a measurement.

    `is_active: false` retires the arrow, `is_active: true` brings a retired one back
    (409 when another active arrow has taken its identifier meanwhile).
    """

    identifier: Identifier | MISSING = MISSING
    length_mm: LengthMm | MISSING | None = MISSING
    weight_grains: WeightGrains | MISSING | None = MISSING
    diameter_mm: DiameterMm | MISSING = MISSING
    spine: Spine | MISSING | None = MISSING
    label_position_mm: LabelPositionMm | MISSING | None = MISSING
    is_programmed: StrictBool | MISSING = MISSING
    is_active: StrictBool | MISSING = MISSING


class ArrowOut(Strict):
    id: UUID
    identifier: str
    length_mm: float | None
    weight_grains: float | None
    diameter_mm: float
    spine: int | None
    label_position_mm: float | None
    is_programmed: bool
    is_active: bool
    retired_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ArrowDeleted(Strict):
    deleted: bool = Field(description="The arrow had no shots and is gone.")
    retired: bool = Field(description="The arrow has shots: it is retired, its history kept.")
    arrow: ArrowOut = Field(description="The arrow as it was deleted, or as it is now retired.")

"""Request and response bodies of the arrows domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self
from uuid import UUID

from pydantic import (
    MISSING,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    model_validator,
)

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


MAX_SET = 100
MAX_IDENTIFIER = 10


class ArrowSetIn(Strict):
    """A numbered set of arrows of one spec, e.g. `A01` … `A12`: `prefix` then the number,
    zero-padded to `digits` (by default 2, or as many as the last number has)."""

    prefix: str = Field(
        default="",
        max_length=MAX_IDENTIFIER - 1,
        pattern=r"^([^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*)?$",
        description="Written before each number (may be empty; no leading space).",
        examples=["A"],
    )
    first: StrictInt = Field(default=1, ge=0, le=99_999, description="The first number.")
    count: StrictInt = Field(ge=1, le=MAX_SET, description="How many arrows (at most 100).")
    digits: StrictInt | MISSING = Field(
        default=MISSING,
        ge=1,
        le=MAX_IDENTIFIER - 1,
        description="Numbers are zero-padded to at least this many digits. Default: 2, or the "
        "digits of the last number when it has more (1…100 → 001…100).",
    )
    length_mm: LengthMm | None = None
    weight_grains: WeightGrains | None = None
    diameter_mm: DiameterMm = 5.5
    spine: Spine | None = None
    label_position_mm: LabelPositionMm | None = None
    is_programmed: StrictBool = False

    @property
    def identifiers(self) -> list[str]:
        last = self.first + self.count - 1
        width = self.digits if isinstance(self.digits, int) else max(2, len(str(last)))
        return [f"{self.prefix}{n:0{width}d}" for n in range(self.first, last + 1)]

    @model_validator(mode="after")
    def _identifiers_fit(self) -> Self:
        longest = max(self.identifiers, key=len)
        if len(longest) > MAX_IDENTIFIER:
            raise ValueError(
                f"identifiers such as {longest!r} would have {len(longest)} characters; "
                f"the most is {MAX_IDENTIFIER} (a shorter prefix or fewer digits)"
            )
        return self

    def spec(self) -> dict[str, object]:
        return self.model_dump(exclude={"prefix", "first", "count", "digits"})


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
    arrow_set_id: UUID | None = Field(description="The arrow set it belongs to (GET /arrow-set).")


class ArrowDeleted(Strict):
    deleted: bool = Field(description="The arrow had no shots and is gone.")
    retired: bool = Field(description="The arrow has shots: it is retired, its history kept.")
    arrow: ArrowOut = Field(description="The arrow as it was deleted, or as it is now retired.")

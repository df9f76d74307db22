"""Request and response bodies of the sensors domain."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from arch_stats.core.types import JsonFloat, Timestamp

EventKind = Literal["arrow_identified", "arrow_engaged", "arrow_released", "arrow_landed"]
# The most events in one post; the body's size limit follows from it (app.py).
MAX_EVENTS = 1000


class SensorEventIn(BaseModel):
    """One reading from one device, stamped with the device's own clock."""

    model_config = ConfigDict(extra="forbid")

    device: str = Field(min_length=1, max_length=100, description="Name of the reader.")
    kind: EventKind
    sensor_ts: Timestamp = Field(description="When the device saw it, with a timezone.")
    session_id: UUID | None = Field(default=None, description="Default: the archer's open session.")
    arrow_id: UUID | None = Field(default=None, description="Required for arrow_identified.")
    target_id: UUID | None = None
    x_mm: JsonFloat | None = Field(
        default=None,
        ge=-100_000,
        le=100_000,
        allow_inf_nan=False,
        description="arrow_landed only: x in the target view, mm from the left edge.",
    )
    y_mm: JsonFloat | None = Field(
        default=None,
        ge=-100_000,
        le=100_000,
        allow_inf_nan=False,
        description="arrow_landed only: y in the target view, mm up from the bottom edge.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.sensor_ts.tzinfo is None:
            raise ValueError("sensor_ts needs a timezone (e.g. 2026-05-01T10:00:00.123Z)")
        landed = self.kind == "arrow_landed"
        if landed and (self.x_mm is None or self.y_mm is None):
            raise ValueError("arrow_landed needs x_mm and y_mm")
        if not landed and (self.x_mm is not None or self.y_mm is not None):
            raise ValueError(f"{self.kind} has no x_mm or y_mm (only arrow_landed has)")
        if self.kind == "arrow_identified" and self.arrow_id is None:
            raise ValueError("arrow_identified needs arrow_id")
        return self


class SensorEventsStored(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stored: int = Field(description="Events stored now.")
    duplicates: int = Field(
        description="Events already stored (same archer, device, kind and sensor_ts): a retry."
    )


def _one_or_many(value: Any) -> str:
    return "events" if isinstance(value, list) else "event"


# One event or a list. Told apart by the JSON type, so that an invalid body gets the errors of
# the shape it has (`event.x_mm: …`, `events.3.kind: …`), not those of both shapes. A list
# is reported by its first event that does not validate (`fail_fast`): a short answer.
SensorEventsIn = Annotated[
    Annotated[SensorEventIn, Tag("event")]
    | Annotated[list[SensorEventIn], Field(max_length=MAX_EVENTS, fail_fast=True), Tag("events")],
    Discriminator(_one_or_many),
]

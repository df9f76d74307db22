"""Bodies of the leagues API (Pydantic v2, extra="forbid")."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

MAX_COMPETITIONS = 16  # a season's competitions (the body's list rule's default)


class LeagueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    club_id: UUID
    name: StrictStr = Field(min_length=1, max_length=100, examples=["Winter league 2026/27"])
    basis: Literal["raw", "handicap"] = Field(
        description="Points of a competition: the score, or the score plus the archer's Archery "
        "GB handicap allowance from their handicap at the time."
    )
    best_of: StrictInt = Field(ge=1, le=100, description="How many of an archer's best count.")
    competition_ids: list[UUID] = Field(min_length=1, max_length=MAX_COMPETITIONS)

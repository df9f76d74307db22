"""Bodies of the head-to-head API (Pydantic v2, extra="forbid")."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from arch_stats.core.types import JsonFloat
from arch_stats.matches.bracket import MAX_SIZE, MIN_SIZE
from arch_stats.matches.rules import END_ARROWS
from arch_stats.shots.schemas import ShotIn


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BracketIn(Strict):
    category_key: StrictStr = Field(min_length=1, max_length=100, examples=["recurve/adult/open"])
    archers: StrictInt | None = Field(
        default=None,
        ge=MIN_SIZE,
        le=MAX_SIZE,
        description="How many of the category's ranking qualify (the top ones); default: all "
        f"who shot, at most {MAX_SIZE}. Places beyond them are byes for the top seeds.",
    )


class MatchArrowIn(Strict):
    """One arrow of a match end: plotted (`x_mm`, `y_mm` in the target view) or by `value`.
    `id`: chosen by the device, so that a post sent again writes nothing."""

    id: UUID | None = None
    x_mm: JsonFloat | None = Field(default=None, ge=-100_000, le=100_000)
    y_mm: JsonFloat | None = Field(default=None, ge=-100_000, le=100_000)
    value: StrictStr | None = Field(default=None, max_length=2, examples=["X", "10", "M"])
    face_index: StrictInt | None = Field(default=None, ge=0, le=11)
    spot_index: StrictInt | None = Field(default=None, ge=0, le=9)

    def shot(self, session_id: UUID, target_id: UUID, end_no: int) -> ShotIn:
        return ShotIn.model_validate(
            {
                **self.model_dump(exclude_none=True),
                "session_id": session_id,
                "target_id": target_id,
                "end_no": end_no,
            }
        )


class MatchEndIn(Strict):
    side: StrictInt = Field(ge=0, le=1, description="0: the first (upper) archer, 1: the second.")
    end_no: StrictInt = Field(
        ge=1, le=50, description="1–5 the match's ends; 6 on: shoot-off arrows, one each."
    )
    arrows: list[MatchArrowIn] = Field(min_length=1, max_length=END_ARROWS)


class JudgeIn(Strict):
    winner: StrictInt = Field(ge=0, le=1, description="The side the judge gives the shoot-off.")

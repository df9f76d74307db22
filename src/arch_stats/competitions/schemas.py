"""Request and response bodies of the competitions domain."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from arch_stats.core.types import Day, JsonInt

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Venue = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Bowstyle = Literal["recurve", "compound", "barebow", "longbow", "traditional", "flatbow"]
AgeGroup = Literal[
    "adult", "50+", "under 21", "under 18", "under 16", "under 15", "under 14", "under 12"
]
Gender = Literal["male", "female"]
Status = Literal["planned", "running", "finished"]
# Most categories a competition may have, and most archers on one bale (details A … F).
MAX_CATEGORIES = 48
MAX_PER_BALE = 6
DETAILS = "ABCDEF"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class CategoryIn(Strict):
    """A category the club ranks separately: a bowstyle, and optionally an age class and a
    gender (left out: open to all of them)."""

    bowstyle: Bowstyle
    age_group: AgeGroup | None = None
    gender: Gender | None = None


class CompetitionIn(Strict):
    club_id: UUID
    name: Name
    venue: Venue = ""
    starts_on: Day
    ends_on: Day | None = Field(default=None, description="Default: the day it starts.")
    round_code: str | None = Field(
        default=None, max_length=100, description="A standard round (GET /round)."
    )
    custom_round_id: UUID | None = Field(default=None, description="One of the club's rounds.")
    arrows_per_end: JsonInt | None = Field(
        default=None, ge=1, le=24, description="Default: the round's (6 outdoor, 3 indoor)."
    )
    archers_per_bale: JsonInt = Field(default=4, ge=1, le=MAX_PER_BALE)
    categories: list[CategoryIn] = Field(min_length=1, max_length=MAX_CATEGORIES)

    @model_validator(mode="after")
    def _one_round(self) -> CompetitionIn:
        if (self.round_code is None) == (self.custom_round_id is None):
            raise ValueError("give one round: round_code or custom_round_id")
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        return self


class CompetitionPatch(Strict):
    name: Name | None = None
    venue: Venue | None = None
    starts_on: Day | None = None
    ends_on: Day | None = None


class EntryIn(Strict):
    """A club member (`archer_id`), or a guest by name without an account (`guest_name`, with
    the bowstyle, age class and gender that place them in a category)."""

    archer_id: UUID | None = None
    guest_name: Name | None = None
    bowstyle: Bowstyle | None = Field(default=None, description="A guest's (members: profile's).")
    age_group: AgeGroup | None = None
    gender: Gender | None = None
    category_key: str | None = Field(
        default=None,
        max_length=100,
        description="One of the competition's categories; by default the one the archer's "
        "bowstyle, age class and gender fall into (the open class of what is not a category).",
    )

    @model_validator(mode="after")
    def _member_or_guest(self) -> EntryIn:
        if (self.archer_id is None) == (self.guest_name is None):
            raise ValueError("give archer_id (a member) or guest_name (a guest), not both")
        if self.archer_id is not None and (self.bowstyle or self.age_group or self.gender):
            raise ValueError("a member's bowstyle, age class and gender are their profile's")
        return self


class PlaceIn(Strict):
    """Move an entry to a bale and detail (1 = A); 409 when someone is there (swap instead)."""

    bale: JsonInt = Field(ge=1, le=500)
    detail: JsonInt = Field(ge=1, le=MAX_PER_BALE)


class SwapIn(Strict):
    a: UUID
    b: UUID


class CompetitionOut(Strict):
    id: UUID
    club_id: UUID
    club_name: str
    name: str
    venue: str
    starts_on: date
    ends_on: date
    round_code: str | None
    custom_round_id: UUID | None
    round_name: str
    arrows_per_end: int
    archers_per_bale: int
    status: Status
    my_role: Literal["organiser", "member", "entrant"]
    entries: int

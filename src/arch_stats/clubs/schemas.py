"""Request and response bodies of the clubs domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    model_validator,
)

Role = Literal["owner", "coach", "member"]
InviteRole = Literal["coach", "member"]
ClubName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
InviteCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]

# How many accounts may join with one invite: a coach invite once unless the owner says
# otherwise; a member link as many times as a club night needs.
COACH_INVITE_USES = 1
MEMBER_INVITE_USES = 30
MAX_INVITE_USES = 500


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ClubIn(Strict):
    name: ClubName


class ClubOut(Strict):
    """A club as the caller sees it: their role and whether they share with its coaches."""

    id: UUID
    name: str
    created_at: datetime
    my_role: Role
    share_with_coaches: bool = Field(
        description="Whether the club's owners and coaches may read your sessions, statistics "
        "and history (read-only) and watch your live sessions. Change it at any time. Off, "
        "you are on none of the club's boards either."
    )
    show_on_public_board: bool = Field(
        description="Whether the club board's public link (anyone with it, no account) shows "
        "you while you shoot: your name, category (bowstyle, gender, age group), round and "
        "scores. Off by default."
    )
    members: int


class ConsentIn(Strict):
    share_with_coaches: StrictBool
    show_on_public_board: StrictBool | None = Field(
        default=None, description="Shown on the club board's public link (omitted: unchanged)."
    )


class MemberOut(Strict):
    archer_id: UUID
    name: str
    role: Role
    share_with_coaches: bool
    joined_at: datetime


class RoleIn(Strict):
    role: Role


class InviteIn(Strict):
    role: InviteRole = "member"
    expires_in_hours: StrictInt = Field(default=168, ge=1, le=24 * 30)
    max_uses: StrictInt | None = Field(
        default=None,
        ge=1,
        le=MAX_INVITE_USES,
        description=f"How many accounts may join with it. Omitted: {COACH_INVITE_USES} for a "
        f"coach invite, {MEMBER_INVITE_USES} for a member link.",
    )


class InviteOut(Strict):
    id: UUID
    role: InviteRole
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    max_uses: int
    uses: int = Field(description="Accounts that joined with it.")
    remaining_uses: int = Field(description="Joins it still allows (until it expires).")
    # Only when the invite is made: the code is not stored, only its hash.
    code: str | None = None
    link: str | None = None


class JoinIn(Strict):
    code: InviteCode


class NoteIn(Strict):
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    end_no: StrictInt | None = Field(
        default=None,
        ge=1,
        le=10_000,
        description="The end it is about: one the session has shot (omitted: the whole session).",
    )
    end_place: StrictInt | None = Field(
        default=None,
        ge=1,
        le=100,
        description="One arrow of that end, by its place in the end (an arrow recorded there).",
    )

    @model_validator(mode="after")
    def _place_in_an_end(self) -> NoteIn:
        if self.end_place is not None and self.end_no is None:
            raise ValueError("end_place names an arrow of an end: give end_no too")
        return self


class NoteOut(Strict):
    id: UUID
    session_id: UUID
    end_no: int | None
    end_place: int | None
    author_id: UUID
    author_name: str
    body: str
    created_at: datetime
    read: bool = Field(
        description="Whether you have read it (your own notes are read; a live `note.created` "
        "frame, sent to every watcher, says false)."
    )


class RosterEntry(Strict):
    archer_id: UUID
    name: str
    role: Role
    bowstyle: str
    sessions: int
    last_session: dict[str, object] | None
    trend_per_arrow_per_week: float | None
    handicap: float | None
    classification: str | None

"""Request and response bodies of the range timer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, model_validator

from arch_stats.timer.machine import Action, Mode

TimerName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
SideName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]

# World Archery's times (Book 3): 40 s an arrow for a detail (120 s for 3, 240 s for 6), 20 s
# an arrow in alternating shooting, a 10 s walk-up, yellow for the last 30 s of a detail's
# time. The warning of an alternating arrow's 20 s is the organiser's choice (5 s here).
SECONDS_PER_ARROW = {"details": 40, "alternating": 20}
WARNING_SECONDS = {"details": 30, "alternating": 5}
WALKUP_SECONDS = 10


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Settings(Strict):
    """A timer's settings as given (None: unchanged, or on creation the default)."""

    name: TimerName | None = None
    details: Literal[1, 2] | None = Field(
        default=None,
        description="Details shooting in turn each end: 2 (AB then CD, CD then AB on the next "
        "end) or 1 (everyone together). Details mode only; default 2.",
    )
    arrows: StrictInt | None = Field(
        default=None,
        ge=1,
        le=12,
        description="Arrows per end (details), or per archer per end (alternating: 3 in a set, "
        "1 in a shoot-off). Default 3.",
    )
    shoot_seconds: StrictInt | None = Field(
        default=None,
        ge=5,
        le=900,
        description="A detail's shooting time (default 40 s an arrow: 120 s for 3, 240 s for "
        "6), or an arrow's in alternating shooting (default 20 s).",
    )
    walkup_seconds: StrictInt | None = Field(
        default=None, ge=0, le=60, description="Walk-up to the line (red), default 10 s."
    )
    warning_seconds: StrictInt | None = Field(
        default=None,
        ge=0,
        le=300,
        description="The last seconds shown yellow: default 30 (details), 5 (alternating).",
    )
    sides: tuple[SideName, SideName] | None = Field(
        default=None,
        description="Alternating: the two archers (or teams), shown on the screen. Default "
        '["A", "B"].',
    )


class TimerIn(Settings):
    name: TimerName
    mode: Mode = "details"
    competition_id: UUID | None = Field(
        default=None,
        description="The club's competition the timer is for (made from its page): the "
        "competition's bale and results pages show it. It goes with the competition.",
    )


class CommandIn(Strict):
    action: Action = Field(
        description="start (the next end: two signals and the walk-up), pause, resume, next "
        "(this detail has finished, or this archer's arrow is shot), emergency (five signals, "
        "the clock held), reset (back to before the first end)."
    )
    first: Literal["a", "b"] | None = Field(
        default=None,
        description="Alternating, with start: who shoots first in this end (default: the "
        "archers take turns).",
    )

    @model_validator(mode="after")
    def _first_with_start(self) -> Self:
        if self.first is not None and self.action != "start":
            raise ValueError("first is given only with start")
        return self


class TimerState(Strict):
    """The timer now. Times are the server's, epoch milliseconds: a screen counts down from
    `ends_at` (or shows `paused_remaining_ms`), corrected by its clock's offset."""

    phase: Literal["ready", "walkup", "shoot", "collect"]
    end_no: int
    turn: int
    turns: int
    order: list[str]
    detail: str | None
    next_order: list[str]
    shooter: str | None
    first: Literal["a", "b"] | None
    arrow: int | None
    started_at: int | None
    duration_ms: int | None
    paused_remaining_ms: int | None
    ends_at: int | None
    remaining_ms: int | None
    emergency: bool
    signal: int
    signal_at: int | None
    warning_ms: int
    server_now: int


class PublicTimerOut(Strict):
    """A timer by its public link: no ids."""

    club: dict[str, Any]
    name: str
    mode: Mode
    details: int
    arrows: int
    shoot_seconds: int
    walkup_seconds: int
    warning_seconds: int
    sides: tuple[str, str]
    state: TimerState


class TimerOut(PublicTimerOut):
    id: UUID
    club_id: UUID
    competition_id: UUID | None = Field(description="The competition it is for, if any.")
    can_control: bool = Field(description="Whether you may run it (the club's owners, coaches).")
    link_created_at: datetime | None = Field(
        description="When its working public link was made (None: it has none)."
    )
    created_at: datetime


class TimerLinkCreated(Strict):
    token: str
    path: str
    created_at: datetime


class TimerLinkRevoked(Strict):
    revoked: bool


class TimerDeleted(Strict):
    deleted: bool

"""Request and response bodies of the sessions domain.

Input is read strictly, as the OpenAPI document describes it: a number is a JSON number (not
"5"), a boolean is true or false (not 0 or "yes"), a date-time is an RFC 3339 string.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    MISSING,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
)

from arch_stats.core.types import Day, Timestamp
from arch_stats.targets.schemas import FaceType

# No NUL (PostgreSQL text refuses it) and no lone surrogates (not encodable as UTF-8).
TEXT_PATTERN = r"^[^\x00]*$"


def _query_bool(value: object) -> object:
    """Only `true` and `false`, as OpenAPI writes a boolean in a query (not 1, yes, on…)."""
    if value is True or value == "true":
        return True
    if value is False or value == "false":
        return False
    raise ValueError("must be true or false")


Location = Annotated[str, Field(max_length=200, pattern=TEXT_PATTERN, examples=["Club field"])]
Notes = Annotated[str, Field(max_length=2000, pattern=TEXT_PATTERN)]
DistanceM = Annotated[
    float, Field(gt=0, le=1000, strict=True, description="Shooting distance in metres.")
]
RoundCode = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9_]+$",
        description="A standard round known to archeryutils, e.g. `wa720_70`, `wa18` "
        "(GET /api/v0/round lists them).",
        examples=["wa720_70"],
    ),
]
ArrowsPerEnd = Annotated[int, Field(ge=1, le=24, strict=True)]
LandingWindowMs = Annotated[
    int,
    Field(
        ge=100,
        le=60000,
        strict=True,
        description="How long after a release a landing still belongs to it.",
    ),
]
StartTime = Annotated[Timestamp, Field(description="Defaults to now.")]
QueryBool = Annotated[bool, BeforeValidator(_query_bool)]
QueryDate = Day


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


PreferredFaces = Annotated[
    list[FaceType],
    Field(
        max_length=8,
        description="Faces you would rather shoot the round on: each pass gets the first of "
        "these that scores it exactly (e.g. `wa_40_triple_triangular` for a WA 18 m triple "
        "round), else the round's own.",
    ),
]


class SessionIn(Strict):
    """Open a session. With a round (`round_code`, or `custom_round_id`) the session follows
    it: a target for each distance and face of the round is made at once (nothing to ask), the
    session knows which pass and end come next (`progress`), and it takes no arrow past the
    round's last. Without `arrows_per_end`, the round's own end size is used (6 outdoor, 5 for
    a Worcester, 3 indoor and field; a custom round's own); `is_indoor`, when omitted, follows
    the round's location. A complete round still open is closed by opening the next session."""

    location: Location = ""
    is_indoor: StrictBool | MISSING = MISSING
    distance_m: DistanceM
    round_code: RoundCode | None = None
    custom_round_id: UUID | None = Field(
        default=None, description="A custom round of yours or of your club (GET /round/custom)."
    )
    preferred_faces: PreferredFaces = []
    arrows_per_end: ArrowsPerEnd | MISSING = MISSING
    landing_window_ms: LandingWindowMs = 3000
    notes: Notes = ""
    start_time: StartTime | MISSING = MISSING


class SessionPatch(Strict):
    """Only the fields sent change; `round_code: null` removes the round (the session becomes
    open-ended practice, its shots kept). A session with shots keeps its round and, while it
    follows one, its end size (400): open a new session for another round."""

    location: Location | MISSING = MISSING
    is_indoor: StrictBool | MISSING = MISSING
    distance_m: DistanceM | MISSING = MISSING
    round_code: RoundCode | MISSING | None = MISSING
    arrows_per_end: ArrowsPerEnd | MISSING = MISSING
    landing_window_ms: LandingWindowMs | MISSING = MISSING
    notes: Notes | MISSING = MISSING
    start_time: StartTime | MISSING = MISSING


class SessionFilters(Strict):
    """Query of `GET /session`: every filter is optional; newest first."""

    is_open: QueryBool | MISSING = MISSING
    is_indoor: QueryBool | MISSING = MISSING
    # Query values are text: these numbers are parsed from it (no `strict`).
    distance_m: float | MISSING = Field(default=MISSING, gt=0, le=1000)
    round_code: RoundCode | MISSING = MISSING
    location: Location | MISSING = Field(
        default=MISSING, description="Part of the location, any case."
    )
    start_from: QueryDate | MISSING = Field(
        default=MISSING, description="First day (UTC), inclusive."
    )
    start_to: QueryDate | MISSING = Field(default=MISSING, description="Last day (UTC), inclusive.")
    limit: int = Field(default=50, ge=1, le=200)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class SessionListQuery(SessionFilters):
    """Query of `GET /session`: the filters, and whose sessions (a coach's view)."""

    archer_id: UUID | None = Field(
        default=None,
        description="Whose: a club member who shares with you as their coach (default: yours).",
    )


class PassPlanOut(Strict):
    n_arrows: int
    distance: float
    distance_unit: Literal["metre", "yard"]
    distance_m: float
    distance_label: str = Field(examples=["90 m", "100 yd"])
    face_type: str
    face_label: str = Field(examples=["122 cm", "40 cm triple"])
    scoring: str = Field(description="archeryutils scoring system")
    indoor: bool
    compound_scoring: bool
    first_end: int = Field(description="The first of the session's ends shot in this pass.")
    last_end: int
    target_id: UUID = Field(description="The target (made from the round) of this pass.")


class RoundPlanOut(Strict):
    """What a session shot to a round follows, fixed when it started."""

    code: str | None = Field(description="A standard round's code; null for a custom round.")
    custom_round_id: UUID | None
    name: str
    location: str | None
    n_arrows: int
    max_score: int
    arrows_per_end: int
    ends: int
    passes: list[PassPlanOut]


class ProgressOut(Strict):
    """Where the archer is in the round: the next arrow's place (null when complete)."""

    arrows_shot: int
    arrows_total: int
    arrows_left: int
    complete: bool = Field(description="Every arrow of the round is shot: no more are taken.")
    pass_no: int | None = Field(description="The next arrow's pass, from 1.")
    passes: int
    distance_label: str | None
    face_type: str | None
    face_label: str | None
    target_id: UUID | None = Field(description="The target the next arrow is shot at.")
    end_no: int | None = Field(description="The next arrow's end in the session.")
    end_of_pass: int | None = Field(description="… and in its pass: end k of `ends_in_pass`.")
    ends_in_pass: int | None
    arrow_of_end: int | None = Field(description="Its place in the end: arrow i of m.")
    arrows_per_end: int


class SessionOut(Strict):
    id: UUID
    location: str
    is_indoor: bool
    distance_m: float
    start_time: datetime
    end_time: datetime | None
    is_open: bool
    round_code: str | None
    arrows_per_end: int
    landing_window_ms: int
    notes: str
    shot_count: int
    total_score: int
    target_count: int
    created_at: datetime
    updated_at: datetime
    round: RoundPlanOut | None = Field(
        description="The round the session follows; null: open-ended practice (or a session "
        "opened before rounds were followed)."
    )
    progress: ProgressOut | None = Field(
        description="Where the archer is in the round, in the answers about one session "
        "(GET /session/{id}, /session/open, POST, PATCH, close, reopen); null in lists and "
        "without a round."
    )


class SessionAccessOut(Strict):
    """What the caller may do with a session: the live page records on the archer's own and
    watches anyone else's (a coach's view: nothing recorded, notes written)."""

    session_id: UUID
    archer_id: UUID = Field(description="Whose session it is.")
    archer_name: str
    access: Literal["own", "coach"] = Field(
        description="own: the caller's session; coach: shared with the caller as the archer's "
        "coach, read-only."
    )
    may_record: bool = Field(description="Shots, targets and the session itself may be changed.")
    may_note: bool = Field(description="Notes may be written on the session and its ends.")

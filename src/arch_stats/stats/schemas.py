"""Query parameters and response bodies of the statistics domain.

The definitions of the numbers are in `arch_stats.stats.maths`; lengths are in mm, positions
from the centre of the spot hit (x right, y up), times in ms.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from arch_stats.core.types import Day

Scheme = Literal["AGB", "AA"]
Grouping = Literal["session", "week", "month"]


def _query_bool(value: object) -> object:
    """Only `true` and `false`, as OpenAPI writes a boolean in a query (not 1, yes, on…)."""
    if value is True or value == "true":
        return True
    if value is False or value == "false":
        return False
    raise ValueError("must be true or false")


QueryBool = Annotated[bool, BeforeValidator(_query_bool)]
QueryDate = Day


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


# --- query parameters ---------------------------------------------------------------------


class SessionStatsQuery(Strict):
    scheme: Scheme = Field(default="AGB", description="Handicap scheme (archeryutils).")


class SessionFilter(Strict):
    """Which sessions count. Every filter is optional; dates are UTC days, inclusive."""

    start_from: QueryDate | None = Field(default=None, description="First day, inclusive.")
    start_to: QueryDate | None = Field(default=None, description="Last day, inclusive.")
    distance_m: float | None = Field(default=None, gt=0, le=1000)
    face_type: str | None = Field(
        default=None,
        min_length=1,
        max_length=50,
        pattern=r"^[a-z0-9_]+$",
        description="Sessions with a target carrying this face (GET /api/v0/face).",
    )
    round_code: str | None = Field(
        default=None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_]+$"
    )
    is_indoor: QueryBool | None = None
    arrow_id: UUID | None = Field(default=None, description="Only this arrow's shots count.")


class HistoryQuery(SessionFilter):
    group: Grouping = Field(default="session", description="One row per session, week or month.")
    scheme: Scheme = Field(default="AGB", description="Handicap scheme of the personal bests.")
    pb_min_arrows: int = Field(
        default=30,
        ge=1,
        le=10_000,
        description="Sessions with fewer arrows do not count for the bests by distance.",
    )


class ArrowStatsQuery(Strict):
    group: Grouping = "session"
    start_from: QueryDate | None = None
    start_to: QueryDate | None = None


# --- session statistics --------------------------------------------------------------------


class EndOut(Strict):
    end_no: int
    arrows: int
    labels: list[str] = Field(description="Scores in shot order: 'X', '10' … '1', 'M'.")
    total: int
    running_total: int
    average_per_arrow: float


class DistributionOut(Strict):
    label: str
    score: int
    count: int


class GroupOut(Strict):
    impacts: int = Field(description="Shots with a position (a miss with no landing has none).")
    centre_x_mm: float | None = Field(description="Mean point of impact, x right.")
    centre_y_mm: float | None = Field(description="Mean point of impact, y up.")
    sigma_x_mm: float | None = Field(description="Sample standard deviation; ≥ 2 impacts.")
    sigma_y_mm: float | None
    mean_radius_mm: float | None
    cep50_mm: float | None = Field(description="Median distance from the group centre.")
    extreme_spread_mm: float | None = Field(description="Largest distance between two impacts.")


class TimingOut(Strict):
    draw_count: int
    draw_ms_mean: float | None
    draw_ms_sd: float | None
    flight_count: int
    flight_ms_mean: float | None
    flight_ms_sd: float | None
    speed_mps: float | None = Field(description="Mean of distance / flight time.")


class FatigueOut(Strict):
    slope_per_end: float | None = Field(
        description="Least-squares slope of the end average per arrow against the end number."
    )
    first_half_average: float | None
    second_half_average: float | None


class ArrowRowOut(Strict):
    arrow_id: UUID | None = Field(description="null: shots recorded without an arrow.")
    identifier: str | None
    shots: int
    impacts: int
    total: int
    mean_score: float
    centre_x_mm: float | None
    centre_y_mm: float | None
    offset_x_mm: float | None = Field(description="Own centre minus the session's group centre.")
    offset_y_mm: float | None
    offset_mm: float | None
    p_value: float | None = Field(
        description="Hotelling T² test against the other arrows' impacts; null: not tested."
    )
    p_adjusted: float | None = Field(description="Holm-adjusted across the arrows tested.")
    flagged: bool = Field(description="Off the group by more than chance explains.")


class RoundOut(Strict):
    code: str
    name: str
    n_arrows: int
    max_score: int
    arrows_counted: int = Field(description="The session's first arrows, up to the round's.")
    score: int
    complete: bool
    scheme: Scheme
    handicap: float | None = Field(description="Complete rounds: the table handicap.")
    classification_scheme: Literal["AGB"]
    classification: str | None = Field(description="Complete rounds, when archeryutils has one.")
    predicted_score: int | None = Field(description="The final score expected.")
    prediction_method: Literal["handicap", "average", "final"] | None
    handicap_so_far: float | None = Field(
        description="Decimal handicap of the arrows shot so far (incomplete rounds)."
    )
    predicted_classification: str | None


class SessionStatsOut(Strict):
    session_id: UUID
    is_open: bool
    start_time: datetime
    distance_m: float
    is_indoor: bool
    round_code: str | None
    arrows: int
    hits: int
    misses: int
    no_landing: int = Field(description="Misses that never landed in the target view.")
    total: int
    max_possible: int
    average_per_arrow: float | None
    x_count: int
    ten_count: int = Field(description="Scores of 10 or more, Xs included.")
    ends: list[EndOut]
    distribution: list[DistributionOut]
    group: GroupOut
    timing: TimingOut
    fatigue: FatigueOut
    per_arrow: list[ArrowRowOut]
    round: RoundOut | None


# --- history -------------------------------------------------------------------------------


class HistoryRowOut(Strict):
    session_id: UUID | None = Field(description="By session: the session; else null.")
    period: date | None = Field(description="By week or month: its first day; else null.")
    start_time: datetime = Field(description="The (first) session's start.")
    sessions: int
    location: str | None
    distance_m: float | None = Field(description="By session only.")
    is_indoor: bool | None
    round_code: str | None
    arrows: int
    hits: int
    total: int
    average_per_arrow: float | None
    x_count: int
    ten_count: int
    impacts: int
    centre_x_mm: float | None
    centre_y_mm: float | None
    sigma_x_mm: float | None
    sigma_y_mm: float | None


class TrendOut(Strict):
    points: int = Field(description="Rows with arrows, each one point (date, average).")
    slope_per_day: float | None = Field(description="Average per arrow gained per day.")
    slope_per_year: float | None
    r2: float | None


class RoundBestOut(Strict):
    round_code: str
    name: str | None
    score: int
    session_id: UUID
    start_time: datetime
    handicap: float | None


class DistanceBestOut(Strict):
    distance_m: float
    is_indoor: bool
    average_per_arrow: float
    arrows: int
    total: int
    session_id: UUID
    start_time: datetime


class BestsOut(Strict):
    by_round: list[RoundBestOut]
    by_distance: list[DistanceBestOut]


class HistoryOut(Strict):
    group: Grouping
    rows: list[HistoryRowOut]
    trend: TrendOut
    personal_bests: BestsOut


# --- per-arrow history ---------------------------------------------------------------------


class ArrowRefOut(Strict):
    id: UUID
    identifier: str
    is_active: bool


class ArrowHistoryRowOut(Strict):
    session_id: UUID | None
    period: date | None
    start_time: datetime
    sessions: int
    shots: int
    hits: int
    total: int
    mean_score: float
    score_vs_session: float | None = Field(
        description="Mean score minus the average per arrow of its sessions."
    )
    impacts: int
    centre_x_mm: float | None
    centre_y_mm: float | None
    offset_x_mm: float | None = Field(description="From the group centre of its sessions.")
    offset_y_mm: float | None
    offset_mm: float | None


class ArrowSummaryOut(Strict):
    sessions: int
    shots: int
    hits: int
    total: int
    mean_score: float | None
    score_vs_session: float | None
    impacts: int
    centre_x_mm: float | None
    centre_y_mm: float | None
    offset_x_mm: float | None
    offset_y_mm: float | None
    offset_mm: float | None


class ArrowStatsOut(Strict):
    arrow: ArrowRefOut
    group: Grouping
    summary: ArrowSummaryOut
    rows: list[ArrowHistoryRowOut]

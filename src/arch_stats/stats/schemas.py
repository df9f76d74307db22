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
from arch_stats.sessions.schemas import ProgressOut

Scheme = Literal["AGB", "AA"]
Grouping = Literal["session", "week", "month"]
HandicapBasis = Literal["round", "partial_round", "face_distance", "sessions"]


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


class ScoresheetQuery(SessionStatsQuery):
    utc_offset_minutes: int = Field(
        default=0,
        ge=-720,
        le=840,
        description="The reader's offset from UTC on the session's day, in minutes (the web "
        "page sends its own): the date and times are printed in it.",
    )


class HistoryQuery(SessionFilter):
    group: Grouping = Field(default="session", description="One row per session, week or month.")
    scheme: Scheme = Field(
        default="AGB", description="Handicap scheme of the sessions' handicaps and the bests."
    )
    pb_min_arrows: int = Field(
        default=30,
        ge=1,
        le=10_000,
        description="Sessions with fewer arrows do not count for the bests by distance.",
    )


class HistoryRequest(HistoryQuery):
    """Query of `GET /stats/history`: the history's, and whose (a coach's view)."""

    archer_id: UUID | None = Field(
        default=None,
        description="Whose: a club member who shares with you as their coach (default: yours).",
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
    impacts: int = Field(description="Its shots with a position (used for its centre).")
    by_value: int = Field(description="Its shots scored by value (no position: not used).")
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
    code: str | None = Field(description="A standard round's code; null for a custom round.")
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
    classification_name: str | None = Field(
        description="Its full name: 'Bowman 1st Class' for B1, 'Unclassified' for UC."
    )
    classification_meaning: str | None = Field(
        description="What it means: its level on Archery GB's ladder of the round's scheme "
        "(outdoor, indoor, field), for the archer's category."
    )
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
    by_value: int = Field(
        description="Arrows scored by value: they count in every score, but having no "
        "position they are left out of the group, its spread and the per-arrow centres."
    )
    by_value_seqs: list[int] = Field(
        description="Which arrows those are (their `seq`), in shooting order."
    )
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


# --- scorecard -----------------------------------------------------------------------------

GOLDS = "9s scored on a 5-zone face (Archery GB's golds of imperial rounds); 0 on other faces."


class CardArrowOut(Strict):
    id: UUID = Field(description="The shot.")
    seq: int = Field(description="Shooting order in the session.")
    end_place: int = Field(description="Place in its end (shooting order within the end).")
    arrow_id: UUID | None
    label: str = Field(description="'X', '10' … '1', or 'M'.")
    score: int
    is_x: bool
    is_miss: bool = Field(description="No landing: the arrow missed the target view.")
    same_spot_miss: bool = Field(
        description="Scored M only because a lower arrow of its end hit the same spot of a "
        "multi-spot face (World Archery rule)."
    )
    hit_label: str | None = Field(description="With `same_spot_miss`: what it hit, else null.")
    entered_by: Literal["plot", "value", "sensor"] = Field(
        description="Plotted by hand, scored by value, or from the sensors."
    )


class CardEndOut(Strict):
    end_no: int
    arrows: list[CardArrowOut] = Field(
        description="High to low: X first, misses last; equal arrows in shooting order."
    )
    total: int
    running_total: int
    x_count: int
    ten_x_count: int = Field(description="Scores of 10 or more, Xs included (10+X).")
    hits: int
    golds: int = Field(description=GOLDS)


class SubtotalOut(Strict):
    label: str = Field(description="'70 m', '100 yd', 'First half', 'Second half'.")
    kind: Literal["distance", "half"]
    end_from: int
    end_to: int
    arrows: int = Field(description="Arrows shot so far in this part of the round.")
    total: int
    x_count: int
    ten_x_count: int
    hits: int
    golds: int


class CardArcherOut(Strict):
    name: str
    bowstyle: str
    gender: str
    age_group: str


class ScorecardOut(Strict):
    round_code: str | None
    round_name: str | None = Field(
        description="The round's display name (archeryutils'; a custom round's own)."
    )
    archer: CardArcherOut = Field(description="Whose card: their name and category.")
    arrows_per_end: int
    imperial: bool = Field(
        description="Scored 9-7-5-3-1 (Archery GB imperial): the card's counts are hits and "
        "golds. A standard round whose every pass is so scored; a session without a round "
        "with arrows on a 5-zone face."
    )
    ends: list[CardEndOut] = Field(
        description="Ends 1 … the highest with an arrow; an emptied end has no arrows."
    )
    subtotals: list[SubtotalOut] = Field(
        description="Standard rounds: per distance of a multi-distance round, per half of a "
        "72-arrow round (unless its distances are its halves); empty otherwise."
    )
    total: int
    x_count: int
    ten_x_count: int
    hits: int
    golds: int = Field(description=GOLDS)
    arrows: int
    progress: ProgressOut | None = Field(
        description="A session that follows its round: where the archer is (as on the session)."
    )


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
    round_name: str | None = Field(description="The round's display name (archeryutils).")
    handicap: float | None = Field(
        description="By session: the session's handicap (`scheme`), where one is meaningful "
        "(see `handicap_basis`); by week or month: the mean of its sessions' handicaps."
    )
    handicap_basis: HandicapBasis | None = Field(
        description="round: table handicap of a complete standard round; partial_round: "
        "decimal handicap of the round's first arrows (≥ 30); face_distance: a session without "
        "a round, ≥ 30 arrows on one face type at one distance; sessions: a week's or month's "
        "mean; null: no handicap."
    )


class TrendOut(Strict):
    points: int = Field(description="Rows with arrows, each one point (date, average).")
    slope_per_day: float | None = Field(description="Average per arrow gained per day.")
    slope_per_year: float | None
    r2: float | None


class SeriesTrendOut(TrendOut):
    first_fitted: float | None = Field(description="The fitted line at the first point's date.")
    last_fitted: float | None = Field(description="The fitted line at the last point's date.")


class SeriesPointOut(Strict):
    session_id: UUID | None = Field(description="By session: the session; else null.")
    period: date | None = Field(description="By week or month: its first day; else null.")
    start_time: datetime = Field(description="The (first) session's start.")
    sessions: int
    arrows: int
    total: int
    average_per_arrow: float | None
    score: int | None = Field(
        description="By session: the score of its standard round (its first n arrows) when "
        "complete; else null."
    )
    handicap: float | None = Field(description="As the row's `handicap`.")


class SeriesOut(Strict):
    key: str = Field(description="'round:wa720_70', 'distance:18:indoor'.")
    kind: Literal["round", "distance"]
    label: str = Field(description="The round's display name, or '18 m indoor'.")
    round_code: str | None
    round_name: str | None
    distance_m: float | None
    is_indoor: bool | None
    sessions: int
    arrows: int
    points: list[SeriesPointOut] = Field(description="In time order, one per session or period.")
    trend: SeriesTrendOut = Field(description="Least squares of the average per arrow on time.")
    handicap_trend: SeriesTrendOut = Field(
        description="Least squares of the handicap on time, over the points that have one."
    )


class SeriesSetOut(Strict):
    by_round: list[SeriesOut] = Field(description="One per standard round: only its sessions.")
    by_distance: list[SeriesOut] = Field(
        description="One per distance and indoor/outdoor: sessions shot at one distance "
        "(practice and single-distance rounds; never a multi-distance round)."
    )


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
    scheme: Scheme = Field(description="The handicap scheme of `handicap` everywhere.")
    rows: list[HistoryRowOut]
    trend: TrendOut = Field(
        description="Over every row, whatever its round or distance (kept for compatibility): "
        "use `series` for trends that compare like with like."
    )
    series: SeriesSetOut
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

"""Query parameters and response bodies of CSV export and import, and the CSV columns."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from arch_stats.stats.schemas import SessionFilter

# shots.csv, one row per shot, in this order. The session and target columns repeat on each of
# their shots, so that the file stands alone (a spreadsheet needs no join) and imports back.
SHOT_COLUMNS: tuple[str, ...] = (
    "session_key",  # the session's id where it was first recorded (stable across imports)
    "session_start",
    "session_end",
    "location",
    "is_indoor",
    "session_distance_m",
    "round_code",
    "arrows_per_end",
    "landing_window_ms",
    "is_open",
    "notes",
    "round_plan",  # the round the session follows (JSON, as the API's `round`), or empty
    "target_key",
    "lane",
    "target_distance_m",
    "view_width_mm",
    "view_height_mm",
    "compound_scoring",
    "faces",  # face_type:centre_x_mm:centre_y_mm per face, by face index, space-separated
    "first_end",  # the ends of the session's round shot at this target, or empty
    "last_end",
    "end_no",
    "end_place",  # the arrow's place in its end (absent from files written before it was)
    "seq",
    "arrow",  # the arrow's identifier, empty for a shot without an arrow
    "arrow_diameter_mm",
    "face_type",  # derived: the face hit
    "x_mm",
    "y_mm",
    "face_index",
    "spot_index",
    "dx_mm",
    "dy_mm",
    "score",
    "label",  # derived: X, 10 … 1, M
    "is_x",
    "entered_by",  # plot, value (a score given by value: no position) or sensor
    "hit_label",  # a same-spot miss (multi-spot face): the value it hit, else empty
    "engaged_at",
    "released_at",
    "landed_at",
    "draw_ms",  # derived: released_at - engaged_at
    "flight_ms",  # derived: landed_at - released_at
)
# Columns an import reads nothing from: they follow from the others.
DERIVED_COLUMNS = frozenset({"face_type", "label", "draw_ms", "flight_ms"})
# Columns an import does without (files written before they existed).
OPTIONAL_COLUMNS = frozenset(
    {"end_place", "round_plan", "first_end", "last_end", "entered_by", "hit_label"}
)

SESSION_COLUMNS: tuple[str, ...] = (
    "session_key",
    "start_time",
    "end_time",
    "location",
    "is_indoor",
    "distance_m",
    "round_code",
    "arrows_per_end",
    "is_open",
    "notes",
    "face_types",
    "arrows",
    "hits",
    "misses",
    "total",
    "average_per_arrow",
    "x_count",
    "ten_count",
    "impacts",
    "centre_x_mm",
    "centre_y_mm",
    "sigma_x_mm",
    "sigma_y_mm",
)


class ExportQuery(SessionFilter):
    """The filters of the history; with `arrow_id`, only that arrow's shots (shots.csv) and
    figures (sessions.csv)."""


class ExportRequest(ExportQuery):
    """The export's filters, and whose data: a club member who shares with you as their
    coach (default: yours)."""

    archer_id: UUID | None = Field(
        default=None, description="A club member who shares with you (coaches)."
    )


class ImportOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: int = Field(description="Shot rows read.")
    sessions_created: int
    sessions_matched: int = Field(description="Already there (imported or recorded before).")
    targets_created: int
    arrows_created: int
    shots_created: int
    shots_skipped: int = Field(description="Already there: same session and shot number.")

"""Shapes of the club board (documentation of the JSON PostgreSQL builds, and link answers)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BoardClub(_Out):
    id: UUID
    name: str


class PublicBoardFace(_Out):
    face_type: str


class BoardFace(PublicBoardFace):
    target_id: UUID
    face_index: int


class PublicBoardShot(_Out):
    """A shot as a public link shows it: its place in the round, score, and where it landed
    on its spot (mm, y up)."""

    seq: int
    end_no: int
    end_place: int | None
    score: int
    is_x: bool
    is_miss: bool
    label: str
    dx_mm: float | None
    dy_mm: float | None


class BoardShot(PublicBoardShot):
    """A shot as the members' board shows it: also which target, face and spot it hit, and
    when it landed."""

    target_id: UUID
    face_index: int | None
    spot_index: int | None
    landed_at: datetime | None


class BoardCategory(_Out):
    """The archer's category (`arch_stats.ranking.categories`): bowstyle, age class, gender."""

    key: str = Field(description='Equal for archers ranked together, e.g. "recurve/adult/female".')
    label: str = Field(description='e.g. "Recurve Women", "Compound 50+ Men", "Recurve Open".')
    order: int = Field(description="Where the category comes among others (results-list order).")


class BoardTiebreak(_Out):
    key: Literal["ten_x", "x", "hits", "golds"]
    label: str


class BoardRule(_Out):
    """How the archer's round is ranked: by score, then these counts in turn (World Archery:
    10+X, then X; Archery GB imperial: hits, then golds; other scorings: none)."""

    code: Literal["wa", "imperial", "total"]
    tiebreaks: list[BoardTiebreak]


class BoardTally(_Out):
    """The archer's counts so far: arrows shot, total, hits (arrows that scored), 10+X (scores
    of 10 or more), Xs, golds (9s, imperial rounds only)."""

    arrows: int
    total: int
    hits: int
    ten_x: int
    x: int
    golds: int


class _Shooting(_Out):
    """Who is shooting what, as every board shows it."""

    name: str
    bowstyle: str
    category: BoardCategory
    group: str = Field(
        description="Archers ranked against each other shoot the same group (and category): "
        "the round's code, or without a round the distance, indoors or out, and the rule, "
        'e.g. "70 m outdoor · wa".'
    )
    rule: BoardRule
    tally: BoardTally
    round_code: str | None
    distance_m: float
    is_indoor: bool
    arrows_per_end: int


class BoardEntry(_Shooting):
    """A member shooting now: their open session, faces and shots so far."""

    key: UUID  # the session's id (a public link's board has opaque keys instead)
    session_id: UUID
    archer_id: UUID
    started_at: datetime
    faces: list[BoardFace]
    shots: list[BoardShot]


class BoardPlace(_Out):
    key: str = Field(description="The entry's key.")
    place: int | None = Field(description="Null: no arrow shot yet, not ranked.")
    tied: bool = Field(description='Shares its place with another ("=2").')


class BoardStandings(_Out):
    """One group and category ranked (`arch_stats.ranking.standings`): by total while every
    archer in it has shot as many arrows (`basis` "total"), by average per arrow while they
    differ ("average"); ties by the rule's counts, then an equal place."""

    group: str
    category: BoardCategory
    rule: BoardRule
    basis: Literal["total", "average"]
    places: list[BoardPlace]


class BoardOut(_Out):
    club: BoardClub
    read_only: bool
    role: Literal["owner", "coach", "member"] | None
    archers: list[BoardEntry]
    ranking: list[BoardStandings] = Field(
        description="The groups with the most archers first, categories in results-list order."
    )


class PublicBoardClub(_Out):
    name: str


class PublicBoardEntry(_Shooting):
    """A member shooting now, as a public link shows them: no id, no time."""

    key: str = Field(description="This session's key on this link's board (opaque, per link).")
    faces: list[PublicBoardFace]
    shots: list[PublicBoardShot]


class PublicBoardOut(_Out):
    club: PublicBoardClub
    read_only: Literal[True]
    role: None
    archers: list[PublicBoardEntry]
    ranking: list[BoardStandings]


class BoardLinkState(_Out):
    created_at: datetime


class BoardLinkCreated(_Out):
    token: str
    path: str
    created_at: datetime


class BoardLinkRevoked(_Out):
    revoked: bool

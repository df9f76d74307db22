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


class _Shooting(_Out):
    """Who is shooting what, as every board shows it."""

    name: str
    bowstyle: str
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


class BoardOut(_Out):
    club: BoardClub
    read_only: bool
    role: Literal["owner", "coach", "member"] | None
    archers: list[BoardEntry]


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


class BoardLinkState(_Out):
    created_at: datetime


class BoardLinkCreated(_Out):
    token: str
    path: str
    created_at: datetime


class BoardLinkRevoked(_Out):
    revoked: bool

"""A club with an owner, a coach, a member and an outsider, for the timer's tests."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import httpx
import pytest

from arch_stats.core.database import Connection
from tests.board.helpers import make_club
from tests.conftest import ArcherCtx, MakeArcher
from tests.live.conftest import server_url

__all__ = ["server_url"]


@dataclass
class Club:
    id: UUID
    owner: ArcherCtx
    coach: ArcherCtx
    member: ArcherCtx
    outsider: ArcherCtx


@pytest.fixture
async def club(db: Connection, make_archer: MakeArcher, client: httpx.AsyncClient) -> Club:
    owner, coach = await make_archer("Olive Owner"), await make_archer("Cora Coach")
    member, outsider = await make_archer("Mia Member"), await make_archer("Otto Outsider")
    club_id = await make_club(db, owner, (coach, "coach"), (member, "member"))
    return Club(club_id, owner, coach, member, outsider)

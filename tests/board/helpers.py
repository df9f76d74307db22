"""Clubs for board tests, made with SQL (the clubs API is another domain's)."""

from __future__ import annotations

from uuid import UUID

from arch_stats.core.database import Connection
from tests.conftest import ArcherCtx


async def make_club(
    db: Connection,
    owner: ArcherCtx,
    *members: tuple[ArcherCtx, str],
    name: str = "Riverside Archers",
) -> UUID:
    """A club with `owner` and `members` as (archer, role), in one transaction (a club is
    created with its owner)."""
    async with db.transaction():
        club_id: UUID = await db.fetchval("INSERT INTO club (name) VALUES ($1) RETURNING id", name)
        await db.execute(
            "INSERT INTO club_member (club_id, archer_id, role) VALUES ($1, $2, 'owner')",
            club_id,
            owner.id,
        )
        for archer, role in members:
            await db.execute(
                "INSERT INTO club_member (club_id, archer_id, role) VALUES ($1, $2, $3)",
                club_id,
                archer.id,
                role,
            )
    return club_id

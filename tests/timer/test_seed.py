"""`seed --demo`: the demo club has a range timer, ready for its first end."""

from __future__ import annotations

import httpx

from arch_stats.core.database import Connection
from arch_stats.seed import DEMO_TIMER, seed_demo


async def test_seed_demo_adds_a_timer_to_the_demo_club(
    migrated: str, db: Connection, client: httpx.AsyncClient
) -> None:
    await seed_demo(migrated, log=lambda _: None)
    row = await db.fetchrow(
        "SELECT t.name, t.arrows, t.shoot_seconds, t.details, t.phase, m.role "
        "FROM range_timer t JOIN club_member m ON m.club_id = t.club_id "
        "JOIN archer a ON a.id = m.archer_id WHERE a.email = 'demo@example.com'"
    )
    assert row is not None
    assert tuple(row) == (DEMO_TIMER, 6, 240, 2, "ready", "owner")

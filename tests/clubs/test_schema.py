"""The clubs schema: a club always keeps an owner, invites never make owners, changes notify."""

from __future__ import annotations

import asyncio
import json
from uuid import UUID

import asyncpg
import pytest

from arch_stats.core.database import Connection


async def _archer(db: Connection, name: str) -> UUID:
    archer_id: UUID = await db.fetchval(
        "INSERT INTO archer (email, password_hash, name) VALUES ($1, 'x', $2) RETURNING id",
        f"{name}@example.org",
        name,
    )
    return archer_id


async def _club(db: Connection, owner: UUID) -> UUID:
    async with db.transaction():
        club_id: UUID = await db.fetchval("INSERT INTO club (name) VALUES ('Bowmen') RETURNING id")
        await db.execute(
            "INSERT INTO club_member (club_id, archer_id, role) VALUES ($1, $2, 'owner')",
            club_id,
            owner,
        )
    return club_id


async def test_a_club_is_created_with_its_owner(db: Connection) -> None:
    with pytest.raises(asyncpg.CheckViolationError, match="keep an owner"):
        await db.execute("INSERT INTO club (name) VALUES ('Nobody owns me')")
    assert await db.fetchval("SELECT count(*) FROM club") == 0


async def test_the_last_owner_cannot_go_while_members_stay(db: Connection) -> None:
    owner, member = await _archer(db, "owner"), await _archer(db, "member")
    club_id = await _club(db, owner)
    await db.execute(
        "INSERT INTO club_member (club_id, archer_id, role) VALUES ($1, $2, 'member')",
        club_id,
        member,
    )
    with pytest.raises(asyncpg.CheckViolationError, match="keep an owner"):
        await db.execute(
            "UPDATE club_member SET role = 'coach' WHERE club_id = $1 AND archer_id = $2",
            club_id,
            owner,
        )
    with pytest.raises(asyncpg.CheckViolationError, match="keep an owner"):
        await db.execute(
            "DELETE FROM club_member WHERE club_id = $1 AND archer_id = $2", club_id, owner
        )
    with pytest.raises(asyncpg.CheckViolationError, match="keep an owner"):
        await db.execute("DELETE FROM archer WHERE id = $1", owner)
    # Handing over in one transaction is fine: promote first, then step down.
    async with db.transaction():
        await db.execute(
            "UPDATE club_member SET role = 'owner' WHERE club_id = $1 AND archer_id = $2",
            club_id,
            member,
        )
        await db.execute(
            "DELETE FROM club_member WHERE club_id = $1 AND archer_id = $2", club_id, owner
        )
    roles = await db.fetch("SELECT archer_id, role FROM club_member WHERE club_id = $1", club_id)
    assert [(r["archer_id"], r["role"]) for r in roles] == [(member, "owner")]


async def test_a_club_goes_with_its_last_member(db: Connection) -> None:
    owner = await _archer(db, "alone")
    club_id = await _club(db, owner)
    await db.execute("DELETE FROM club_member WHERE club_id = $1", club_id)
    assert await db.fetchval("SELECT count(*) FROM club") == 0
    club_id = await _club(db, owner)
    await db.execute("DELETE FROM archer WHERE id = $1", owner)
    assert await db.fetchval("SELECT count(*) FROM club") == 0


async def test_an_invite_never_makes_an_owner(db: Connection) -> None:
    owner = await _archer(db, "owner")
    club_id = await _club(db, owner)
    with pytest.raises(asyncpg.CheckViolationError):
        await db.execute(
            "INSERT INTO club_invite (club_id, code_hash, role, created_by, expires_at) "
            "VALUES ($1, '\\x01', 'owner', $2, now() + interval '1 day')",
            club_id,
            owner,
        )


async def test_membership_changes_notify_access_channel(db: Connection, migrated: str) -> None:
    owner, member = await _archer(db, "owner"), await _archer(db, "member")
    club_id = await _club(db, owner)
    got: asyncio.Queue[str] = asyncio.Queue()
    listener = await asyncpg.connect(migrated)
    try:
        await listener.add_listener("arch_stats_access", lambda *a: got.put_nowait(a[3]))
        await db.execute(
            "INSERT INTO club_member (club_id, archer_id, role) VALUES ($1, $2, 'member')",
            club_id,
            member,
        )
        await db.execute(
            "UPDATE club_member SET share_with_coaches = false "
            "WHERE club_id = $1 AND archer_id = $2",
            club_id,
            member,
        )
        await db.execute(
            "DELETE FROM club_member WHERE club_id = $1 AND archer_id = $2", club_id, member
        )
        payloads = [json.loads(await asyncio.wait_for(got.get(), 10)) for _ in range(3)]
    finally:
        await listener.close()
    want = {"archer_id": str(member), "club_id": str(club_id)}
    assert payloads == [want, want, want]


async def test_two_owners_stepping_down_at_once_leave_one_owner(
    db: Connection, migrated: str
) -> None:
    """Both check at once (not at two commits one after the other): the second waits for
    the first and then sees its change."""
    a, b = await _archer(db, "a"), await _archer(db, "b")
    member = await _archer(db, "m")
    club_id = await _club(db, a)
    for who, role in ((b, "owner"), (member, "member")):
        await db.execute(
            "INSERT INTO club_member (club_id, archer_id, role) VALUES ($1, $2, $3)",
            club_id,
            who,
            role,
        )
    step_down = "UPDATE club_member SET role = 'member' WHERE club_id = $1 AND archer_id = $2"
    first, second = await asyncpg.connect(migrated), await asyncpg.connect(migrated)
    try:
        one, two = first.transaction(), second.transaction()
        await one.start()
        await two.start()
        for conn in (first, second):
            await conn.execute("SET CONSTRAINTS club_member_keeps_owner IMMEDIATE")
        await first.execute(step_down, club_id, a)  # checked now: b is still owner
        waiting = asyncio.create_task(second.execute(step_down, club_id, b))
        await asyncio.sleep(0.5)
        assert not waiting.done()  # its check waits for the first transaction
        await one.commit()
        with pytest.raises(asyncpg.CheckViolationError, match="keep an owner"):
            await waiting
        await two.rollback()
    finally:
        await first.close()
        await second.close()
    owners = await db.fetch(
        "SELECT archer_id FROM club_member WHERE club_id = $1 AND role = 'owner'", club_id
    )
    assert [r["archer_id"] for r in owners] == [b]

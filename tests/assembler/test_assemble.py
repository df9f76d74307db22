"""One assembler pass against the real database: shots, misses, strays, restarts, batches."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta

import asyncpg
import pytest

from arch_stats.assembler import repository, service
from arch_stats.assembler.runner import SWITCH_INTERVAL, Assembler
from arch_stats.assembler.service import Config, assemble_once
from arch_stats.core.database import Connection
from arch_stats.faces.scoring import PlacedFace, score_impact
from arch_stats.sensors.repository import EventRow
from tests.assembler.helpers import (
    C,
    Range,
    add_target,
    at,
    eventually,
    insert,
    make_range,
    shot_rows,
)
from tests.conftest import MakeArcher

CONFIG = Config()


@pytest.fixture
async def rng(db: Connection, make_archer: MakeArcher) -> Range:
    archer = await make_archer()
    return await make_range(db, archer.id)


async def shots(db: Connection, r: Range) -> list[dict[str, object]]:
    rows = await db.fetch(
        "SELECT seq, end_no, arrow_id, target_id, x_mm, y_mm, score, is_x, engaged_at, "
        "released_at, landed_at, release_event_id FROM shot WHERE session_id = $1 ORDER BY seq",
        r.session_id,
    )
    return [dict(row) for row in rows]


async def outcomes(db: Connection, r: Range) -> list[tuple[str, str | None, bool]]:
    rows = await db.fetch(
        "SELECT kind, outcome, shot_id IS NOT NULL AS linked FROM sensor_event "
        "WHERE session_id = $1 ORDER BY sensor_ts, id",
        r.session_id,
    )
    return [(row["kind"], row["outcome"], row["linked"]) for row in rows]


async def test_full_shot_is_scored_with_arrow_and_times(db: Connection, rng: Range) -> None:
    await insert(db, rng, shot_rows(rng, 0, arrow="T01", xy=(C + 2.0, C - 1.0)))
    result = await assemble_once(db, CONFIG)
    assert (result.events, result.shots, result.misses, result.strays) == (4, 1, 0, 0)
    [s] = await shots(db, rng)
    assert (s["seq"], s["end_no"], s["arrow_id"], s["target_id"]) == (
        1, 1, rng.arrows["T01"], rng.target_id,
    )  # fmt: skip
    assert (s["x_mm"], s["y_mm"], s["score"], s["is_x"]) == (C + 2.0, C - 1.0, 10, True)
    assert (s["engaged_at"], s["released_at"], s["landed_at"]) == (at(0.5), at(2.5), at(3.7))
    assert s["release_event_id"] is not None
    assert await outcomes(db, rng) == [
        ("arrow_identified", "shot", True),
        ("arrow_engaged", "shot", True),
        ("arrow_released", "shot", True),
        ("arrow_landed", "shot", True),
    ]


async def test_score_uses_arrow_diameter_for_line_cutters(db: Connection, rng: Range) -> None:
    # Just outside the 9 ring (outer radius 122 mm): a 5.5 mm arrow touches it, a 3 mm not.
    faces = (PlacedFace("wa_122", C, C),)
    x = C + 122.0 + 2.0
    await insert(db, rng, shot_rows(rng, 0, arrow="A01", xy=(x, C)))
    await insert(db, rng, shot_rows(rng, 10, arrow="T01", xy=(x, C)))
    await assemble_once(db, CONFIG)
    got = [s["score"] for s in await shots(db, rng)]
    expected = [
        score_impact(faces, x, C, arrow_diameter_mm=5.5).score,
        score_impact(faces, x, C, arrow_diameter_mm=3.0).score,
    ]
    assert got == expected and expected[0] == expected[1] + 1


async def test_release_without_landing_becomes_miss(db: Connection, rng: Range) -> None:
    await insert(db, rng, shot_rows(rng, 0, xy=None))
    result = await assemble_once(db, CONFIG)  # T0 is long past: the clock closes the window
    assert (result.shots, result.misses) == (1, 1)
    [s] = await shots(db, rng)
    assert (s["x_mm"], s["score"], s["landed_at"], s["arrow_id"]) == (
        None, 0, None, rng.arrows["A01"],
    )  # fmt: skip
    assert [o for _, o, _ in await outcomes(db, rng)] == ["miss"] * 3


async def test_recent_release_waits_for_window_then_miss(db: Connection, rng: Range) -> None:
    now = await db.fetchval("SELECT now()")
    rows = [EventRow(rng.session_id, "bow", "arrow_released", now - timedelta(seconds=1))]
    await insert(db, rng, rows)
    result = await assemble_once(db, CONFIG)
    assert result.events == 0 and result.next_check is not None
    assert result.next_check == rows[0].sensor_ts + timedelta(seconds=3, milliseconds=250)
    assert await db.fetchval("SELECT count(*) FROM shot") == 0
    await db.execute(
        "UPDATE sensor_event SET sensor_ts = sensor_ts - interval '10 seconds' "
        "WHERE session_id = $1",
        rng.session_id,
    )
    assert (await assemble_once(db, CONFIG)).misses == 1


async def test_shots_are_numbered_in_release_order_with_ends(
    db: Connection, make_archer: MakeArcher
) -> None:
    archer = await make_archer()
    r = await make_range(db, archer.id, per_end=3)
    rows: list[EventRow] = []
    for n in range(7):
        rows += shot_rows(r, 10.0 * n, xy=None if n == 2 else (C + n, C))
    await insert(db, r, list(reversed(rows)))
    await assemble_once(db, CONFIG)
    got = await shots(db, r)
    assert [(s["seq"], s["end_no"]) for s in got] == [
        (1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (6, 2), (7, 3),
    ]  # fmt: skip
    assert [s["released_at"] for s in got] == [at(10.0 * n + 2.5) for n in range(7)]
    assert [s["x_mm"] for s in got] == [C, C + 1, None, C + 3, C + 4, C + 5, C + 6]


async def test_second_pass_changes_nothing(db: Connection, rng: Range) -> None:
    await insert(db, rng, shot_rows(rng, 0) + shot_rows(rng, 10, xy=None))
    await assemble_once(db, CONFIG)
    again = await assemble_once(db, CONFIG)
    assert (again.events, again.shots) == (0, 0)
    assert len(await shots(db, rng)) == 2


async def test_retried_events_are_stored_once(db: Connection, rng: Range) -> None:
    rows = shot_rows(rng, 0)
    await insert(db, rng, rows)
    await insert(db, rng, rows)
    await assemble_once(db, CONFIG)
    await insert(db, rng, rows)  # even after they were processed
    assert (await assemble_once(db, CONFIG)).events == 0
    assert len(await shots(db, rng)) == 1
    assert await db.fetchval("SELECT count(*) FROM sensor_event") == 4


async def test_release_that_already_has_its_shot_is_not_shot_twice(
    db: Connection, rng: Range
) -> None:
    """As after a crash between two passes: the shot exists, the events are pending again."""
    await insert(db, rng, shot_rows(rng, 0))
    await assemble_once(db, CONFIG)
    await db.execute("UPDATE sensor_event SET processed_at = NULL, outcome = NULL, shot_id = NULL")
    result = await assemble_once(db, CONFIG)
    assert result.events == 4
    assert len(await shots(db, rng)) == 1
    assert all(linked for _, _, linked in await outcomes(db, rng))


async def test_landing_without_release_is_set_aside(db: Connection, rng: Range) -> None:
    rows = shot_rows(rng, 0)
    await insert(db, rng, [rows[-1]])
    result = await assemble_once(db, CONFIG)
    assert (result.events, result.shots, result.strays) == (1, 0, 1)
    assert await outcomes(db, rng) == [
        ("arrow_landed", "stray: landing without a release in its window", False)
    ]


async def test_events_of_closed_session_are_set_aside(db: Connection, rng: Range) -> None:
    await insert(db, rng, shot_rows(rng, 0))
    await db.execute(
        "UPDATE session SET is_open = false, end_time = now() WHERE id = $1", rng.session_id
    )
    result = await assemble_once(db, CONFIG)
    assert (result.events, result.shots, result.strays) == (4, 0, 4)
    assert {o for _, o, _ in await outcomes(db, rng)} == {"stray: session closed"}
    assert await db.fetchval("SELECT count(*) FROM shot") == 0


async def test_session_without_target_sets_shot_aside(
    db: Connection, make_archer: MakeArcher
) -> None:
    archer = await make_archer()
    r = await make_range(db, archer.id)
    await db.execute("DELETE FROM target")
    await insert(db, r, shot_rows(r, 0, xy=None))
    result = await assemble_once(db, CONFIG)
    assert result.strays == 3
    assert {o for _, o, _ in await outcomes(db, r)} == {service.STRAY_NO_TARGET}


async def test_landing_target_is_used_when_given(db: Connection, rng: Range) -> None:
    second = await add_target(db, rng.archer_id, rng.session_id, face="wa_80", view=900.0)
    await insert(db, rng, shot_rows(rng, 0, xy=(450.0, 450.0), target_id=second))
    await insert(db, rng, shot_rows(rng, 10, xy=(C, C)))
    await assemble_once(db, CONFIG)
    got = await shots(db, rng)
    assert [(s["target_id"], s["score"]) for s in got] == [(second, 10), (rng.target_id, 10)]


async def test_small_batches_give_the_same_shots(db: Connection, rng: Range) -> None:
    rows: list[EventRow] = []
    for n in range(30):
        rows += shot_rows(rng, 10.0 * n, xy=None if n % 4 == 0 else (C + n, C))
    await insert(db, rng, rows)
    config = Config(batch=7)
    passes = 0
    while True:
        result = await assemble_once(db, config)
        passes += 1
        if not result.more and result.events == 0:
            break
    assert passes > 10
    got = await shots(db, rng)
    assert [s["released_at"] for s in got] == [at(10.0 * n + 2.5) for n in range(30)]
    assert [s["x_mm"] is None for s in got] == [n % 4 == 0 for n in range(30)]
    assert await db.fetchval("SELECT count(*) FROM sensor_event WHERE processed_at IS NULL") == 0


async def test_two_sessions_in_one_pass(db: Connection, make_archer: MakeArcher) -> None:
    a, b = await make_archer(), await make_archer()
    ra, rb = await make_range(db, a.id), await make_range(db, b.id)
    await insert(db, ra, shot_rows(ra, 0) + shot_rows(ra, 10))
    await insert(db, rb, shot_rows(rb, 5, xy=None))
    result = await assemble_once(db, CONFIG)
    assert (result.shots, result.misses) == (3, 1)
    assert len(await shots(db, ra)) == 2 and len(await shots(db, rb)) == 1


async def test_only_one_of_two_assemblers_holds_lock_and_other_takes_over(
    db: Connection, rng: Range, migrated: str
) -> None:
    first = Assembler(migrated, tick=0.05, lock_retry=0.1)
    second = Assembler(migrated, tick=0.05, lock_retry=0.1)
    first.start()
    try:
        await eventually(_holding(first), 5, "first assembler takes the lock")
        second.start()
        await asyncio.sleep(0.3)
        assert not second.holding
        await insert(db, rng, shot_rows(rng, 0))
        await eventually(_shot_count(db, 1), 5, "the shot is made")
        await first.close()
        await eventually(_holding(second), 5, "second assembler takes over")
        await insert(db, rng, shot_rows(rng, 10))
        await eventually(_shot_count(db, 2), 5, "the next shot is made")
    finally:
        await first.close()
        await second.close()


async def test_assembler_reconnects_after_its_connections_are_killed(
    db: Connection, rng: Range, migrated: str
) -> None:
    sys.setswitchinterval(0.005)
    assembler = Assembler(migrated, tick=0.05, lock_retry=0.1)
    assembler.start()
    # Its thread gets the GIL within 1 ms of waking, not the default 5.
    assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)
    try:
        await eventually(_holding(assembler), 5, "assembler takes the lock")
        await db.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name LIKE 'arch-stats-assembler-%'"
        )
        await insert(db, rng, shot_rows(rng, 0, xy=None))
        await eventually(_shot_count(db, 1), 10, "the shot is made after reconnecting")
        assert assembler.holding
    finally:
        await assembler.close()


def _holding(assembler: Assembler) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return assembler.holding

    return check


def _shot_count(db: Connection, n: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        count: int = await db.fetchval("SELECT count(*) FROM shot")
        return count == n

    return check


async def test_assembler_that_loses_its_lock_connection_stops_and_starts_over(
    db: Connection, rng: Range, migrated: str
) -> None:
    assembler = Assembler(migrated, tick=0.05, lock_retry=0.1)
    assembler.start()
    try:
        await eventually(_holding(assembler), 5, "assembler takes the lock")
        lock_pid = await db.fetchval(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'arch-stats-assembler-lock'"
        )
        await db.execute("SELECT pg_terminate_backend($1)", lock_pid)

        async def new_lock_connection() -> bool:
            pid = await db.fetchval(
                "SELECT pid FROM pg_stat_activity "
                "WHERE application_name = 'arch-stats-assembler-lock'"
            )
            return pid is not None and pid != lock_pid and assembler.holding

        await eventually(new_lock_connection, 5, "the lock is taken again on a new connection")
        await insert(db, rng, shot_rows(rng, 0))
        await eventually(_shot_count(db, 1), 5, "the shot is made")
    finally:
        await assembler.close()


# --- the pass's single write statement and its slow path ----------------------------------------


def _after_read(monkeypatch: pytest.MonkeyPatch, action: Callable[[], Awaitable[object]]) -> None:
    """Run `action` between the pass's read and its write (the database changes meanwhile)."""
    read = repository.read_pass

    async def read_then_act(conn: Connection, limit: int) -> repository.PassInput:
        data = await read(conn, limit)
        await action()
        return data

    monkeypatch.setattr(repository, "read_pass", read_then_act)


async def test_pass_that_decides_nothing_writes_nothing(
    db: Connection, rng: Range, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = await db.fetchval("SELECT now()")
    await insert(db, rng, shot_rows(rng, 0, xy=None, base=now - timedelta(seconds=2.5)))
    writes: list[object] = []

    async def no_write(*args: object, **kwargs: object) -> None:
        writes.append(args)

    monkeypatch.setattr(repository, "write_pass", no_write)
    result = await assemble_once(db, CONFIG)  # the release waits for its landing window
    assert (result.events, result.next_check is not None, writes) == (0, True, [])


async def test_session_closed_between_read_and_write_sets_events_aside(
    db: Connection, rng: Range, monkeypatch: pytest.MonkeyPatch
) -> None:
    await insert(db, rng, shot_rows(rng, 0))
    _after_read(
        monkeypatch,
        lambda: db.execute("UPDATE session SET is_open = false, end_time = now()"),
    )
    result = await assemble_once(db, CONFIG)
    assert (result.events, result.shots, result.strays) == (4, 0, 4)
    assert {o for _, o, _ in await outcomes(db, rng)} == {service.STRAY_CLOSED}
    assert await db.fetchval("SELECT last_seq FROM session") == 0


async def test_refused_batch_sets_aside_only_the_refused_sessions_shots(
    db: Connection, make_archer: MakeArcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = await make_archer(), await make_archer()
    ra, rb = await make_range(db, a.id), await make_range(db, b.id)
    await insert(db, ra, shot_rows(ra, 0))
    await insert(db, rb, shot_rows(rb, 5))
    # The target of a's shot goes away after the read: its INSERT breaks a foreign key.
    _after_read(monkeypatch, lambda: db.execute("DELETE FROM target WHERE id = $1", ra.target_id))
    result = await assemble_once(db, CONFIG)
    assert (result.events, result.shots, result.strays) == (8, 1, 4)
    assert len(await shots(db, rb)) == 1 and await shots(db, ra) == []
    assert {o for _, o, _ in await outcomes(db, rb)} == {"shot"}
    assert {o for _, o, _ in await outcomes(db, ra)} == {
        "error: refused by the database (ForeignKeyViolationError)"
    }


async def test_release_shot_by_a_concurrent_pass_is_not_shot_twice(
    db: Connection, rng: Range, migrated: str
) -> None:
    """Two overlapping passes (a dying assembler's last, its successor's first)."""
    await insert(db, rng, shot_rows(rng, 0))
    first, second = await asyncpg.connect(migrated), await asyncpg.connect(migrated)
    try:
        tx = first.transaction()
        await tx.start()
        assert (await assemble_once(first, CONFIG)).shots == 1  # not committed yet
        late = asyncio.create_task(assemble_once(second, CONFIG))
        await asyncio.sleep(0.3)
        assert not late.done()  # it waits for the first pass's locks
        await tx.commit()
        assert (await late).events == 0  # the events were marked by the first pass
    finally:
        await first.close()
        await second.close()
    [s] = await shots(db, rng)
    linked = await db.fetchval(
        "SELECT count(*) FROM sensor_event e JOIN shot s ON s.id = e.shot_id "
        "WHERE s.release_event_id = $1",
        s["release_event_id"],
    )
    assert linked == 4

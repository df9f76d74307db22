"""The assembler never raises on a stored event: events stored before the time range was
enforced (±infinity, year 1, 9999, BC…) are set aside with a reason and a log line, and the
other events of the same session, and of other sessions, are assembled as usual."""

from __future__ import annotations

import logging

import pytest

from arch_stats.assembler.service import STRAY_TIME, Config, assemble_once
from arch_stats.core.database import Connection
from tests.assembler.helpers import Range, insert, make_range, shot_rows
from tests.assembler.test_assemble import outcomes, shots
from tests.conftest import MakeArcher

ODD = [
    "infinity",
    "-infinity",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "4713-01-01 00:00:00+00 BC",
    "294276-12-31 00:00:00+00",
    "1899-12-31 23:59:59+00",
    "2200-01-01 00:00:00+00",
]


async def _store_odd(db: Connection, r: Range, kind: str, text: str) -> None:
    """Straight into the table, as a reader writing to the database (or an old version of the
    API) could have stored it."""
    xy = (650.0, 650.0) if kind == "arrow_landed" else (None, None)
    arrow = r.arrows["A01"] if kind == "arrow_identified" else None
    await db.execute(
        "INSERT INTO sensor_event (archer_id, session_id, device, kind, sensor_ts, x_mm, y_mm, "
        "arrow_id) VALUES ($1, $2, $3, $4, $5::text::timestamptz, $6, $7, $8)",
        r.archer_id,
        r.session_id,
        f"odd-{kind}",
        kind,
        text,
        *xy,
        arrow,
    )


@pytest.fixture
async def two(db: Connection, make_archer: MakeArcher) -> tuple[Range, Range]:
    return (
        await make_range(db, (await make_archer()).id),
        await make_range(db, (await make_archer()).id),
    )


@pytest.mark.parametrize("batch", [20_000, 5])
async def test_events_stored_out_of_the_time_range_are_set_aside_the_rest_assembled(
    db: Connection, two: tuple[Range, Range], caplog: pytest.LogCaptureFixture, batch: int
) -> None:
    mine, theirs = two
    await insert(db, mine, shot_rows(mine, 0) + shot_rows(mine, 10, xy=None))
    await insert(db, theirs, shot_rows(theirs, 5))
    kinds = ["arrow_identified", "arrow_engaged", "arrow_released", "arrow_landed"]
    for n, text in enumerate(ODD):
        await _store_odd(db, mine, kinds[n % 4], text)

    config = Config(batch=batch)
    with caplog.at_level(logging.WARNING, logger="arch_stats.assembler"):
        for _ in range(50):  # small batches take several passes
            result = await assemble_once(db, config)
            if not result.more and not result.events:
                break

    assert [(s["seq"], s["x_mm"] is None) for s in await shots(db, mine)] == [(1, False), (2, True)]
    assert len(await shots(db, theirs)) == 1
    decided = await outcomes(db, mine)
    assert sorted(str(o) for _, o, _ in decided) == sorted(
        ["shot"] * 4 + ["miss"] * 3 + [STRAY_TIME] * len(ODD)
    )
    assert await db.fetchval("SELECT count(*) FROM sensor_event WHERE processed_at IS NULL") == 0
    logged = caplog.text
    assert "infinity" in logged and "4713-01-01" in logged and STRAY_TIME in logged


async def test_a_pass_with_only_odd_events_decides_them(
    db: Connection, two: tuple[Range, Range]
) -> None:
    mine, _ = two
    await _store_odd(db, mine, "arrow_released", "infinity")
    await _store_odd(db, mine, "arrow_released", "-infinity")
    result = await assemble_once(db, Config())
    assert (result.events, result.shots, result.strays) == (2, 0, 2)
    assert await shots(db, mine) == []

"""Assembler throughput: a burst of sensor events (10,000 by default) turned into shots.

    .venv/bin/python -m bench.live.assembler [--events 10000] [--runs 3] [--database-url URL]

One archer with an open session (a 1300 × 1300 mm target, one wa_122 face, six arrows) gets
a burst of events — identify, engage, release and landing for each shot, 5% of the shots
missing (no landing) — inserted with ONE statement, stamped a day in the past so that every
landing window has closed. The real assembler (`arch_stats.assembler.runner.Assembler`,
holding the advisory lock, woken by the NOTIFY of that insert) runs in this process; the
clock runs from the insert's commit to the pass that marks the last event processed.
Throughput = events / that time. The target of issue 3 is ≥ 2,000 events/s.

Without --database-url an embedded PostgreSQL is started in a temporary directory and
deleted after; with it (a disposable database, where no other assembler runs) the benchmark
archer is added, then removed. Progress goes to stderr, the result to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from arch_stats.assembler.runner import Assembler
from arch_stats.assembler.service import PassResult
from arch_stats.core import migrations
from arch_stats.core.database import Connection
from arch_stats.sensors import repository as sensors_repo
from arch_stats.sensors.repository import EventRow
from bench.common.db import connect, database, remove_archers
from bench.common.report import say
from bench.common.seed import CENTRE_MM, add_shooter, open_session

TARGET_EVENTS_PER_S = 2000.0
MISS_RATE = 0.05


@dataclass(frozen=True, slots=True)
class AssemblerResult:
    events: int
    shots: int
    misses: int
    passes: int
    seconds: float

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")

    @property
    def passed(self) -> bool:
        return self.events_per_s >= TARGET_EVENTS_PER_S

    def line(self) -> str:
        return (
            f"assembler: {self.events:,} events → {self.shots:,} shots ({self.misses:,} misses) "
            f"in {self.seconds * 1000:,.0f} ms, {self.passes} pass(es): "
            f"{self.events_per_s:,.0f} events/s  "
            f"[{'PASS' if self.passed else 'FAIL'} ≥ {TARGET_EVENTS_PER_S:,.0f} events/s]"
        )


@dataclass(frozen=True, slots=True)
class _Range:
    archer_id: UUID
    session_id: UUID
    target_id: UUID
    arrows: list[UUID]


async def _make_range(conn: Connection) -> _Range:
    """An archer with six arrows and an open session on one target."""
    shooter = await add_shooter(conn, "Bench", "bench-assembler")
    session_id, target_id = await open_session(conn, shooter.archer_id)
    return _Range(shooter.archer_id, session_id, target_id, shooter.arrows)


def burst(r: _Range, events: int, *, seed: int = 1) -> tuple[list[EventRow], int, int]:
    """At least `events` events of whole shots, a day old; returns (rows, shots, misses)."""
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=1)
    rows: list[EventRow] = []
    shots = misses = 0
    while len(rows) < events:
        t = start + timedelta(seconds=8 * shots)
        released = t + timedelta(seconds=2.5)
        rows += [
            EventRow(r.session_id, "arrow", "arrow_identified", t, rng.choice(r.arrows)),
            EventRow(r.session_id, "bow", "arrow_engaged", t + timedelta(seconds=0.5)),
            EventRow(r.session_id, "bow", "arrow_released", released),
        ]
        if rng.random() < MISS_RATE:
            misses += 1
        else:
            x = CENTRE_MM + rng.gauss(0, 80)
            y = CENTRE_MM + rng.gauss(0, 80)
            landed = released + timedelta(seconds=1.2)
            rows.append(
                EventRow(r.session_id, "target", "arrow_landed", landed, None, r.target_id, x, y)
            )
        shots += 1
    return rows, shots, misses


async def measure_assembler(dsn: str, *, events: int = 10_000) -> AssemblerResult:
    """Insert a burst of `events` and time the running assembler until all are processed.

    The database must be migrated, and no other assembler may be running on it."""
    conn = await migrations.connect(dsn)
    r = await _make_range(conn)
    try:
        rows, shots, misses = burst(r, events)
        total = len(rows)
        passed = asyncio.Event()
        counted = [0, 0]  # events processed, passes with work
        last_pass = [0.0]

        def on_pass(result: PassResult) -> None:
            if result.events:
                counted[0] += result.events
                counted[1] += 1
                last_pass[0] = time.perf_counter()
                passed.set()

        async def left() -> int:
            n: int = await conn.fetchval(
                "SELECT count(*) FROM sensor_event WHERE session_id = $1 AND processed_at IS NULL",
                r.session_id,
            )
            return n

        assembler = Assembler(dsn, on_pass=on_pass, lock_retry=0.2)
        assembler.start()
        try:
            deadline = time.monotonic() + 10
            while not assembler.holding:
                if time.monotonic() > deadline:
                    raise RuntimeError("another assembler holds the lock on this database")
                await asyncio.sleep(0.01)
            await sensors_repo.insert_events(conn, r.archer_id, rows)
            started = time.perf_counter()  # the insert has committed: the NOTIFY is out
            while True:  # (other sessions' pending events may be assembled in the same passes)
                await asyncio.wait_for(passed.wait(), 120)
                passed.clear()
                if counted[0] >= total and await left() == 0:
                    break
        finally:
            await assembler.close()
        made = await conn.fetchval("SELECT count(*) FROM shot WHERE session_id = $1", r.session_id)
        if made != shots:
            raise RuntimeError(f"{made} shots made, {shots} expected")
        return AssemblerResult(total, shots, misses, counted[1], last_pass[0] - started)
    finally:
        await remove_archers(conn, [r.archer_id])
        await conn.close()


async def _main(dsn: str, events: int, runs: int) -> list[AssemblerResult]:
    async with connect(dsn) as conn:
        await migrations.up(conn)
    results = []
    for n in range(1, runs + 1):
        result = await measure_assembler(dsn, events=events)
        say(f"run {n}: {result.events_per_s:,.0f} events/s")
        results.append(result)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3, help="report the median run")
    parser.add_argument("--database-url", help="a disposable, migrated-or-empty database")
    args = parser.parse_args(argv)
    with database(args.database_url) as dsn:
        results = asyncio.run(_main(dsn, args.events, args.runs))
    median = sorted(results, key=lambda r: r.events_per_s)[len(results) // 2]
    print(median.line())
    if len(results) > 1:
        rates = [r.events_per_s for r in results]
        print(
            f"  runs: {', '.join(f'{x:,.0f}' for x in rates)} events/s "
            f"(median {statistics.median(rates):,.0f})"
        )
    return 0 if median.passed else 1


if __name__ == "__main__":
    sys.exit(main())

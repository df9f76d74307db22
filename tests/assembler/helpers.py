"""A range to shoot on (session, target, arrows) and sensor events written straight to the table."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from arch_stats.core.database import Connection
from arch_stats.sensors import repository as sensors_repo
from arch_stats.sensors.repository import EventRow

C = 650.0  # centre of the wa_122 face in a 1300 × 1300 mm view


@dataclass(frozen=True)
class Range:
    archer_id: UUID
    session_id: UUID
    target_id: UUID
    arrows: dict[str, UUID]  # identifier → id


async def make_range(
    db: Connection,
    archer_id: UUID,
    *,
    window_ms: int = 3000,
    per_end: int = 6,
    arrows: dict[str, float] | None = None,
    distance_m: float = 70.0,
) -> Range:
    session_id: UUID = await db.fetchval(
        "INSERT INTO session (archer_id, distance_m, arrows_per_end, landing_window_ms) "
        "VALUES ($1, $2, $3, $4) RETURNING id",
        archer_id,
        distance_m,
        per_end,
        window_ms,
    )
    target_id = await add_target(db, archer_id, session_id, distance_m=distance_m)
    ids = {}
    for identifier, diameter in (arrows or {"A01": 5.5, "A02": 5.5, "T01": 3.0}).items():
        ids[identifier] = await db.fetchval(
            "INSERT INTO arrow (archer_id, identifier, diameter_mm) VALUES ($1, $2, $3) "
            "RETURNING id",
            archer_id,
            identifier,
            diameter,
        )
    return Range(archer_id, session_id, target_id, ids)


async def add_target(
    db: Connection,
    archer_id: UUID,
    session_id: UUID,
    *,
    face: str = "wa_122",
    distance_m: float = 70.0,
    view: float = 1300.0,
) -> UUID:
    target_id: UUID = await db.fetchval(
        "INSERT INTO target (session_id, archer_id, distance_m, view_width_mm, view_height_mm) "
        "VALUES ($1, $2, $3, $4, $4) RETURNING id",
        session_id,
        archer_id,
        distance_m,
        view,
    )
    await db.execute(
        "INSERT INTO target_face VALUES ($1, 0, $2, $3, $3)", target_id, face, view / 2
    )
    return target_id


T0 = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


def at(seconds: float, base: datetime = T0) -> datetime:
    return base + timedelta(seconds=seconds)


def shot_rows(
    r: Range,
    t: float,
    *,
    arrow: str | None = "A01",
    xy: tuple[float, float] | None = (C, C),
    base: datetime = T0,
    flight: float = 1.2,
    target_id: UUID | None = None,
) -> list[EventRow]:
    """One shot's events: identify at t, engage +0.5 s, release +2.5 s, landing after `flight`."""
    rows = []
    if arrow is not None:
        rows.append(
            EventRow(r.session_id, "arrow", "arrow_identified", at(t, base), r.arrows[arrow])
        )
    rows += [
        EventRow(r.session_id, "bow", "arrow_engaged", at(t + 0.5, base)),
        EventRow(r.session_id, "bow", "arrow_released", at(t + 2.5, base)),
    ]
    if xy is not None:
        rows.append(
            EventRow(
                r.session_id,
                "target",
                "arrow_landed",
                at(t + 2.5 + flight, base),
                target_id=target_id,
                x_mm=xy[0],
                y_mm=xy[1],
            )
        )
    return rows


async def insert(db: Connection, r: Range, rows: list[EventRow]) -> None:
    await sensors_repo.insert_events(db, r.archer_id, rows)


# --- processes -------------------------------------------------------------------------------


class Processes:
    """Child processes of a test, always stopped by PID (SIGTERM, then SIGKILL). Their output
    goes to files (a pipe nobody reads would block them once full)."""

    def __init__(self, dsn: str, logs: Path) -> None:
        self.env = {**os.environ, "DATABASE_URL": dsn, "LOG_LEVEL": "INFO"}
        self.logs = logs
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        n = len(self.procs)
        with (
            open(self.logs / f"{n}.out", "wb") as out,
            open(self.logs / f"{n}.err", "wb") as err,
        ):
            proc = subprocess.Popen(
                [sys.executable, "-m", "arch_stats", *args],
                env={**self.env, **(env or {})},
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
            )
        self.procs.append(proc)
        return proc

    def output(self, proc: subprocess.Popen[bytes], stream: str = "out") -> str:
        return (self.logs / f"{self.procs.index(proc)}.{stream}").read_text(errors="replace")

    def stop(self, proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> int:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, sig)
        try:
            return proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            return proc.wait(10)

    def stop_all(self) -> None:
        for proc in self.procs:
            self.stop(proc)


@contextlib.contextmanager
def processes(dsn: str, logs: Path) -> Iterator[Processes]:
    procs = Processes(dsn, logs)
    try:
        yield procs
    finally:
        procs.stop_all()


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    """Poll `check` until it holds, or fail saying `what` did not happen in time."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        await asyncio.sleep(0.05)

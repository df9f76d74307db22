"""The three sensor readers — arrow, bow, target — each its own process (`arch-stats sensor`).

A reader has its own database connection and talks to the other readers only through the
database: it inserts its events, and LISTENs on `arch_stats_sensor` (with a slow poll as a
safety net) to see theirs. The drivers here are simulated (SPEC §3): the arrow reader picks
the next arrow 2–8 s after the previous release and identifies it, the bow reader engages
0.2–0.9 s after an identification and releases after the draw, the target reader reports the
landing after the arrow's flight — or nothing when the arrow missed the target view. What
the archer does is drawn from the shared seed (`simulation.plan`); `speed` divides every
delay. Every event is stamped with the time at which the simulated thing happens (e.g. a landing
at its release plus the arrow's flight), which the reader then waits for: a reader that the
machine runs late posts its events late but tells the same story, as a real sensor stamping
what it saw would. Stamped when it got round to them, a loaded machine turned a few ms of
scheduling delay into landings before their release and arrows identified after their engage.

Without a database the readers post over HTTP with a device token (`--api`, `--token`).
They cannot watch each other then, so each follows the same plan on its own clock from a
common `--start`, and what they would read from the database comes from the command line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal, Protocol
from uuid import UUID

import asyncpg

from arch_stats.sensors import repository as repo
from arch_stats.sensors import simulation as sim
from arch_stats.sensors.repository import EventRow, ReaderArrow, ReaderSession, ReaderTarget

if TYPE_CHECKING:  # a reader process starts faster without the web stack (core.database)
    from arch_stats.core.database import Connection

log = logging.getLogger("arch_stats.sensors")

Role = Literal["arrow", "bow", "target"]
ROLES: tuple[Role, ...] = ("arrow", "bow", "target")
CHANNEL = "arch_stats_sensor"
POLL_S = 0.5  # a missed NOTIFY costs at most this much
# As `core.database.SERVER_SETTINGS` (not imported: it would bring the web stack along).
SERVER_SETTINGS = {"timezone": "UTC", "jit": "off"}


class ReaderError(Exception):
    """The reader cannot start (no such session, no arrows, no target…)."""


@dataclass(frozen=True, slots=True)
class ReaderConfig:
    role: Role
    session_id: UUID
    device: str
    speed: float = 1.0
    model: sim.ArcherModel = field(default_factory=sim.ArcherModel)
    shots: int | None = None  # stop after this many (None: until stopped)
    since: datetime | None = None  # watch events from here (default: the reader's start)
    base: int | None = None  # shots already in the session (default: read from it)
    parent_pid: int | None = None  # stop when this process is gone
    go_on_stdin: bool = False  # once ready, wait for a line on stdin before the first shot
    # Without a database: post over HTTP, follow the plan from `start`.
    api: str | None = None
    token: str | None = None
    start: datetime | None = None
    arrows: tuple[UUID, ...] = ()
    target_id: UUID | None = None
    distance_m: float = 70.0
    arrows_per_end: int = 6
    view_mm: tuple[float, float] = (1300.0, 1300.0)
    face_type: str = "wa_122"


class Stopper:
    """Set by SIGINT/SIGTERM (or the parent going away); every wait ends early on it."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    @property
    def stopped(self) -> bool:
        return self.event.is_set()

    def stop(self) -> None:
        self.event.set()

    async def sleep(self, seconds: float) -> bool:
        """False when stopped before `seconds` passed."""
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.event.wait(), seconds)
        return not self.stopped

    async def sleep_until(self, when: datetime) -> bool:
        return await self.sleep((when - now()).total_seconds())


def now() -> datetime:
    return datetime.now(UTC)


# --- where events go -------------------------------------------------------------------------


class Sink(Protocol):
    async def emit(self, row: EventRow) -> None: ...

    async def close(self) -> None: ...


class DbSink:
    def __init__(self, conn: Connection, archer_id: UUID) -> None:
        self.conn = conn
        self.archer_id = archer_id

    async def emit(self, row: EventRow) -> None:
        await repo.insert_events(self.conn, self.archer_id, [row])

    async def close(self) -> None:
        pass


class HttpSink:
    """POST /api/v0/sensor/event with a device token, in the background.

    Events carry their own timestamps, so a slow server must not hold the reader back: they
    are queued and a sender posts them in order (what has piled up goes as one list). Network
    and 5xx failures are retried (the server stores an event once, so a retry is harmless); a
    refusal (4xx) stops the reader."""

    BATCH = 1000

    def __init__(self, api: str, token: str, stopper: Stopper, attempts: int = 6) -> None:
        self.url = api.rstrip("/") + "/api/v0/sensor/event"
        self.token = token
        self.stopper = stopper
        self.attempts = attempts
        self.error: ReaderError | None = None
        self._queue: list[EventRow] = []
        self._wake = asyncio.Event()
        self._closing = False
        self._task = asyncio.create_task(self._send_all())

    async def emit(self, row: EventRow) -> None:
        if self.error is not None:
            raise self.error
        self._queue.append(row)
        self._wake.set()

    async def close(self) -> None:
        """Send what is queued (unless stopped by a signal), then stop the sender."""
        self._closing = True
        self._wake.set()
        try:
            await asyncio.wait_for(self._task, 30)
        except TimeoutError:
            log.error("%d event(s) not sent to %s", len(self._queue), self.url)
        if self.error is not None:
            raise self.error

    async def _send_all(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                batch = self._queue[: self.BATCH]
                if not await self._post(batch):
                    return
                del self._queue[: len(batch)]
            if self._closing:
                return

    async def _post(self, rows: list[EventRow]) -> bool:
        data = json.dumps([_event_json(row) for row in rows]).encode()
        for attempt in range(1, self.attempts + 1):
            try:
                await asyncio.to_thread(self._send, data)
                return True
            except urllib.error.HTTPError as exc:
                if exc.code < 500:
                    detail = exc.read().decode(errors="replace")[:300]
                    self.error = ReaderError(f"the server refused the event ({exc.code}): {detail}")
                    self.stopper.stop()
                    return False
                reason = f"HTTP {exc.code}"
            except (urllib.error.URLError, OSError) as exc:
                reason = str(exc)
            log.warning("posting %d event(s) failed (%s), attempt %d", len(rows), reason, attempt)
            if not await self.stopper.sleep(0.2 * 2**attempt):
                break
        self.error = ReaderError(f"could not post to {self.url}")
        self.stopper.stop()
        return False

    def _send(self, data: bytes) -> None:
        request = urllib.request.Request(  # noqa: S310 (the URL is the operator's --api)
            self.url,
            data=data,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310
            resp.read()


def _event_json(row: EventRow) -> dict[str, object]:
    body: dict[str, object] = {
        "device": row.device,
        "kind": row.kind,
        "sensor_ts": row.sensor_ts.isoformat(),
        "session_id": str(row.session_id),
    }
    if row.arrow_id is not None:
        body["arrow_id"] = str(row.arrow_id)
    if row.target_id is not None:
        body["target_id"] = str(row.target_id)
    if row.x_mm is not None and row.y_mm is not None:
        body["x_mm"], body["y_mm"] = row.x_mm, row.y_mm
    return body


# --- seeing the other readers' events --------------------------------------------------------


class Watcher:
    """New events of some kinds in one session, woken by NOTIFY, polled as a safety net."""

    def __init__(
        self, conn: Connection, session_id: UUID, since: datetime, kinds: Sequence[str]
    ) -> None:
        self.conn = conn
        self.session_id = session_id
        self.since = since
        self.kinds = list(kinds)
        self.cursor = 0
        self.wake = asyncio.Event()

    async def start(self) -> None:
        await self.conn.add_listener(CHANNEL, self._notified)

    def _notified(self, *_: object) -> None:
        self.wake.set()

    async def next(self, stopper: Stopper, within: float | None = None) -> list[asyncpg.Record]:
        """The next new events (possibly none when `within` seconds pass, or on stop)."""
        loop = asyncio.get_running_loop()
        deadline = None if within is None else loop.time() + within
        while not stopper.stopped:
            self.wake.clear()
            rows = await repo.events_after(
                self.conn, self.session_id, after_id=self.cursor, since=self.since, kinds=self.kinds
            )
            if rows:
                self.cursor = rows[-1]["id"]
                return rows
            wait = POLL_S if deadline is None else min(POLL_S, deadline - loop.time())
            if wait <= 0:
                break
            stop_wait = asyncio.ensure_future(stopper.event.wait())
            wake_wait = asyncio.ensure_future(self.wake.wait())
            try:
                await asyncio.wait(
                    {stop_wait, wake_wait}, timeout=wait, return_when="FIRST_COMPLETED"
                )
            finally:
                stop_wait.cancel()
                wake_wait.cancel()
        return []


# --- the readers -----------------------------------------------------------------------------


@dataclass(slots=True)
class Context:
    cfg: ReaderConfig
    stopper: Stopper
    sink: Sink
    out: Callable[[str], None]
    session: ReaderSession
    base: int
    arrows: list[ReaderArrow]
    target: ReaderTarget | None
    conn: Connection | None = None

    def scaled(self, seconds: float) -> timedelta:
        return timedelta(seconds=seconds / self.cfg.speed)

    async def emit(self, kind: str, at: datetime, **fields: object) -> datetime:
        """Post an event that happened `at` (the plan's time, now or a moment ago)."""
        row = EventRow(self.session.id, self.cfg.device, kind, at, **fields)  # type: ignore[arg-type]
        await self.sink.emit(row)
        return at

    def more(self, k: int) -> bool:
        return not self.stopper.stopped and (self.cfg.shots is None or k < self.cfg.shots)


async def _arrow_reader(ctx: Context, watcher: Watcher | None) -> None:
    model, n = ctx.cfg.model, len(ctx.arrows)
    anchor = ctx.cfg.start or now()
    k = 0
    while ctx.more(k):
        p = sim.plan(model, k)
        picked = anchor + ctx.scaled(p.pick_s)
        if not await ctx.stopper.sleep_until(picked):
            return
        arrow = ctx.arrows[sim.arrow_index(model, ctx.base + k, ctx.session.arrows_per_end, n)]
        ts = await ctx.emit("arrow_identified", picked, arrow_id=arrow.id)
        k += 1
        if not ctx.more(k):
            return
        if watcher is None:  # on the plan's clock: when the bow reader releases this arrow
            anchor = picked + ctx.scaled(p.engage_after_s + p.draw_s)
            continue
        # The next pick counts from this arrow's release, as the bow reader reports it.
        limit = ts + ctx.scaled(sim.IDENTIFY_TO_ENGAGE_S[1] + sim.DRAW_S[1]) + timedelta(seconds=2)
        released: datetime | None = None
        while released is None and not ctx.stopper.stopped:
            left = (limit - now()).total_seconds()
            if left <= 0:
                log.warning("arrow reader: no release seen after %s; going on", arrow.identifier)
                released = now()
                break
            for r in await watcher.next(ctx.stopper, left):
                if r["sensor_ts"] > ts:
                    released = r["sensor_ts"]
        anchor = released or now()


async def _bow_reader(ctx: Context, watcher: Watcher | None) -> None:
    model = ctx.cfg.model
    k = 0
    if watcher is None:  # on our own clock, the arrow reader's identifications recomputed
        identified = ctx.cfg.start or now()
        while ctx.more(k):
            p = sim.plan(model, k)
            identified += ctx.scaled(p.pick_s)
            await _draw(ctx, p, identified)
            identified += ctx.scaled(p.engage_after_s + p.draw_s)
            k += 1
        return
    while ctx.more(k):
        for r in await watcher.next(ctx.stopper):
            if not ctx.more(k):
                return
            await _draw(ctx, sim.plan(model, k), r["sensor_ts"])
            k += 1


async def _draw(ctx: Context, p: sim.ShotPlan, identified: datetime) -> None:
    engaged = identified + ctx.scaled(p.engage_after_s)
    if not await ctx.stopper.sleep_until(engaged):
        return
    await ctx.emit("arrow_engaged", engaged)
    released = engaged + ctx.scaled(p.draw_s)
    if await ctx.stopper.sleep_until(released):
        await ctx.emit("arrow_released", released)


async def _target_reader(ctx: Context, watcher: Watcher | None) -> None:
    model, target = ctx.cfg.model, ctx.target
    assert target is not None
    k = 0
    if watcher is None:  # on our own clock, the bow reader's releases recomputed
        released = ctx.cfg.start or now()
        while ctx.more(k):
            p = sim.plan(model, k)
            released += ctx.scaled(p.pick_s + p.engage_after_s + p.draw_s)
            index = sim.arrow_index(
                model, ctx.base + k, ctx.session.arrows_per_end, len(ctx.arrows)
            )
            await _land(ctx, target, p, released, index)
            k += 1
        return
    indexes = {a.id: i for i, a in enumerate(ctx.arrows)}
    while ctx.more(k):
        for r in await watcher.next(ctx.stopper):
            if not ctx.more(k):
                return
            assert ctx.conn is not None
            arrow_id = await repo.arrow_identified_before(ctx.conn, ctx.session.id, r["sensor_ts"])
            found: int | None = indexes.get(arrow_id) if arrow_id is not None else None
            await _land(ctx, target, sim.plan(model, k), r["sensor_ts"], found)
            k += 1


async def _land(
    ctx: Context, target: ReaderTarget, p: sim.ShotPlan, released: datetime, index: int | None
) -> None:
    model, n = ctx.cfg.model, len(ctx.arrows)
    odd = model.is_odd(index, n)
    seq = ctx.base + p.k
    face = target.faces[0]
    aim = sim.aim_point(
        face.face_type, face.center_x_mm, face.center_y_mm, seq, ctx.session.arrows_per_end
    )
    where = sim.impact(
        model,
        p,
        aim=aim,
        distance_m=target.distance_m,
        odd=odd,
        view=(target.view_width_mm, target.view_height_mm),
    )
    landed = released + ctx.scaled(sim.flight_s(model, p, target.distance_m, odd))
    if not await ctx.stopper.sleep_until(landed):
        return
    arrow = ctx.arrows[index] if index is not None else None
    head = (
        f"shot {seq + 1:>3}  end {seq // ctx.session.arrows_per_end + 1:>2}  "
        f"arrow {arrow.identifier if arrow else '-':<6}"
    )
    if where is None:
        ctx.out(f"{head}  miss")
        return
    x, y = where
    await ctx.emit("arrow_landed", landed, target_id=target.id, x_mm=x, y_mm=y)
    from arch_stats.faces.scoring import score_impact

    score = score_impact(target.faces, x, y, arrow_diameter_mm=arrow.diameter_mm if arrow else None)
    label = "X" if score.is_x else ("M" if score.score == 0 else str(score.score))
    ctx.out(f"{head}  landed ({x:.1f}, {y:.1f}) mm  {label}")


READERS = {"arrow": _arrow_reader, "bow": _bow_reader, "target": _target_reader}
WATCHES = {"arrow": ["arrow_released"], "bow": ["arrow_identified"], "target": ["arrow_released"]}


# --- running one --------------------------------------------------------------------------


def _install_signals(stopper: Stopper) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopper.stop)


async def _watch_parent(pid: int, stopper: Stopper) -> None:
    while await stopper.sleep(0.5):
        if os.getppid() != pid:
            log.warning("parent process %d is gone: stopping", pid)
            stopper.stop()


async def _wait_go(stopper: Stopper) -> bool:
    """Wait for the simulator's go (a line on stdin): the other readers are watching now."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    line = asyncio.ensure_future(reader.readline())
    stop = asyncio.ensure_future(stopper.event.wait())
    try:
        await asyncio.wait({line, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        line.cancel()
        stop.cancel()
        transport.close()
    return not stopper.stopped


async def _load(
    conn: Connection, cfg: ReaderConfig
) -> tuple[ReaderSession, list[ReaderArrow], ReaderTarget | None]:
    session = await repo.reader_session(conn, cfg.session_id)
    if session is None:
        raise ReaderError(f"no session {cfg.session_id}")
    if not session.is_open:
        raise ReaderError(f"session {cfg.session_id} is closed")
    arrows = await repo.active_arrows(conn, session.archer_id)
    if cfg.role == "arrow" and not arrows:
        raise ReaderError("the archer has no active arrows: register some first")
    target = await repo.first_target(conn, session.id) if cfg.role == "target" else None
    if cfg.role == "target" and target is None:
        raise ReaderError(f"session {cfg.session_id} has no target with a face")
    return session, arrows, target


def _offline(cfg: ReaderConfig) -> tuple[ReaderSession, list[ReaderArrow], ReaderTarget | None]:
    """What an HTTP-only reader knows about the session: what its command line says."""
    from arch_stats.faces.scoring import PlacedFace

    if cfg.role == "arrow" and not cfg.arrows:
        raise ReaderError("without a database the arrow reader needs --arrow ID (one or more)")
    session = ReaderSession(
        cfg.session_id, cfg.session_id, True, cfg.distance_m, 3000, cfg.arrows_per_end, 0
    )
    arrows = [ReaderArrow(a, str(a)[:6], None) for a in cfg.arrows]
    w, h = cfg.view_mm
    face = PlacedFace(cfg.face_type, w / 2, h / 2)
    target = ReaderTarget(cfg.target_id, cfg.distance_m, w, h, (face,)) if cfg.target_id else None
    if cfg.role == "target" and target is None:
        raise ReaderError("without a database the target reader needs --target ID")
    return session, arrows, target


async def run_reader(
    dsn: str | None, cfg: ReaderConfig, out: Callable[[str], None] | None = None
) -> int:
    """Run one reader until stopped or `cfg.shots` done. Returns the process exit code."""
    emit_line = out or (lambda line: print(line, flush=True))
    stopper = Stopper()
    _install_signals(stopper)
    watchdog = (
        asyncio.create_task(_watch_parent(cfg.parent_pid, stopper)) if cfg.parent_pid else None
    )
    conn: Connection | None = None
    try:
        sink: Sink
        watcher: Watcher | None = None
        if cfg.api is not None:
            if not cfg.token:
                raise ReaderError("--api needs --token (a device token)")
            sink = HttpSink(cfg.api, cfg.token, stopper)
            if cfg.start is not None and cfg.start < now():
                log.warning("%s reader: started after --start; its first events go late", cfg.role)
            session, arrows, target = _offline(cfg)
            base = cfg.base or 0
        else:
            if dsn is None:
                raise ReaderError("no database: set DATABASE_URL, or post with --api/--token")
            settings = {**SERVER_SETTINGS, "application_name": f"arch-stats-sensor-{cfg.role}"}
            conn = await asyncpg.connect(dsn, server_settings=settings)
            session, arrows, target = await _load(conn, cfg)
            base = cfg.base if cfg.base is not None else session.last_seq
            sink = DbSink(conn, session.archer_id)
            watcher = Watcher(conn, session.id, cfg.since or now(), WATCHES[cfg.role])
            await watcher.start()
        ctx = Context(cfg, stopper, sink, emit_line, session, base, arrows, target, conn)
        emit_line(f"{cfg.role} reader ready (session {session.id}, device {cfg.device})")
        try:
            if not cfg.go_on_stdin or await _wait_go(stopper):
                await READERS[cfg.role](ctx, watcher)
        finally:
            await sink.close()
    except ReaderError as exc:
        log.error("%s reader: %s", cfg.role, exc)
        return 2
    finally:
        if watchdog is not None:
            watchdog.cancel()
        if conn is not None:
            await conn.close()
    return 0

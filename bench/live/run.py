"""Live benchmark: from a sensor event's commit to `shot.created` at WebSocket clients.

    .venv/bin/python -m bench.live.run [--duration 25] [--rate 20] [--subscribers 1,100]

Starts its own embedded PostgreSQL (or uses --database-url, a disposable one), migrates it,
and measures, on 127.0.0.1 only, with every time taken by `time.time()` (CLOCK_REALTIME,
shared by the processes of this machine):

1. the floor, before and after the live phases: a table with a trigger that NOTIFYs on
   INSERT (as `shot` and `sensor_event` have), one INSERT at a time at --rate per second;
   latency = from the INSERT's return (autocommit: its commit) in this process to the
   notification's arrival at a bare asyncpg LISTEN connection in another process;
2. Arch Stats, for each --subscribers count: one uvicorn process (1 worker, uvloop,
   httptools, the assembler inside it, as `arch-stats serve`), N WebSocket clients
   (`websockets.asyncio.client`, all in one separate process) on one open session, and here
   an inserter writing at --rate shots per second, per shot: identified + engaged +
   released in one statement, then, half a period later, the `arrow_landed` event alone
   (inside the landing window, so the assembler pairs them at once). Latency = from the
   landing INSERT's return to each client's receipt of the `shot.created` frame, matched by
   the shot's `landed_at`. Reported over every receipt and over the last receipt per shot;
   also split, from timestamps, into: landing commit → the assembler's write transaction
   (`shot.created_at`), → the shot's NOTIFY at a bare LISTEN connection here, → the first
   and the last WebSocket receipt; plus the CPU each process spent per shot;
3. the assembler's throughput on a burst of 10,000 events (`bench.live.assembler`), with
   the server stopped (it would hold the assembler's lock);
4. hand-entered shots (POST /shot at --rate, one at a time) watched by
   `--session-subscribers` (100) clients of the session's live channel → each one's
   `shot.created` (the `stats.updated` frames that follow each burst received too), then by
   `--board-viewers` (1,000) members' club boards (`?club_id=`) → each board's
   `board.shot.created`; both between two runs of the simplest writer's live path to
   --ceiling-subscribers (100) WebSocket clients: the ceiling's POST /write_notify → its
   NOTIFY → its `/ws_notify` frame (bench/common/ceiling.py, bare), timed the same way.

Prints a table and the issue's targets as PASS/FAIL: live p99 with the most subscribers
(every receipt) within 5 ms of the floor's p99; assembler ≥ 2,000 events/s; shot.created at
100 subscribers and board frames at 1,000 viewers, p99 of every receipt ≤ 2 × the simplest
writer's at 100 subscribers (issue 18).
Progress goes to stderr. See bench/live/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson

from arch_stats.core import migrations
from arch_stats.core.database import Connection
from arch_stats.sensors import repository as sensors_repo
from arch_stats.sensors.repository import EventRow
from bench.common.ceiling import WRITE_NOTIFY_PATH, WS_NOTIFY_PATH
from bench.common.cpu import CpuMeter, cpu_line, noise_note, per_shot
from bench.common.db import backend_pids, connect, database, migrate, remove_archers, write_tables
from bench.common.load import exchange, loop_runner, pace, raw_request
from bench.common.numbers import Latency, latencies, percentile
from bench.common.report import common_options, machine, say, verdict, write_json
from bench.common.seed import CENTRE_MM, Shooter, add_club, add_shooter, open_session
from bench.common.server import APP, HOST, ROOT, ceiling_server, child, uvicorn
from bench.live.assembler import AssemblerResult, measure_assembler
from bench.live.receiver import landed_key

FLOOR_CHANNEL = "bench_live_floor"
LIVE_CHANNEL = "arch_stats_live"
MARGIN_MS = 5.0  # live p99 (most subscribers) ≤ floor p99 + this
POST_P50_MS = 1.5  # a hand-entered shot → its shot.created frame, p50 (issue 13)
# POST /shot → session or board frames, p99 ≤ this × the simplest writer's (issue 18)
VS_CEILING = 2.0
WARMUP_SHOTS = 20
GRACE_S = 10.0
JSON = {
    "Content-Type": "application/json"
}  # after the last insert, how long receipts may still come


FLOOR_SQL = f"""
CREATE TABLE IF NOT EXISTS bench_live_floor (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payload    text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE OR REPLACE FUNCTION bench_live_floor_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{FLOOR_CHANNEL}', NEW.id::text);
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS bench_live_floor_notify ON bench_live_floor;
CREATE TRIGGER bench_live_floor_notify AFTER INSERT ON bench_live_floor
    FOR EACH ROW EXECUTE FUNCTION bench_live_floor_notify();
"""
FLOOR_DROP_SQL = """
DROP TABLE IF EXISTS bench_live_floor;
DROP FUNCTION IF EXISTS bench_live_floor_notify();
"""


# --- the receiver process ------------------------------------------------------------------


class Receiver:
    """`python -m bench.live.receiver …` in a subprocess, driven over its stdin/stdout."""

    def __init__(self, args: list[str], env: dict[str, str], max_seconds: float) -> None:
        self.args = [*args, f"--max-seconds={max_seconds:.0f}"]
        self.env = env
        self.max_seconds = max_seconds
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.live.receiver",
            *self.args,
            cwd=ROOT,
            env=self.env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=256 * 1024 * 1024,  # the report is one (long) line
        )
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 60)
        if line.strip() != b"READY":
            await self.kill()
            raise RuntimeError(f"receiver did not start: {line[:200]!r}")

    async def stop(self, last_key: int, grace: float) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin and self.proc.stdout
        try:
            self.proc.stdin.write(f"STOP {last_key} {grace:g}\n".encode())
            await self.proc.stdin.drain()
            line = await asyncio.wait_for(self.proc.stdout.readline(), grace + 60)
            await asyncio.wait_for(self.proc.wait(), 10)
        finally:
            await self.kill()
        report: dict[str, Any] = orjson.loads(line)
        return report

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()  # only our own child, by its handle
            await self.proc.wait()


# --- clocks ----------------------------------------------------------------------------------


def now_us() -> int:
    return time.time_ns() // 1000


def at_us(us: int) -> datetime:
    return datetime.fromtimestamp(us // 1_000_000, UTC).replace(microsecond=us % 1_000_000)


# --- the floor -------------------------------------------------------------------------------


async def measure_floor(
    dsn: str, label: str, shots: int, rate: float, env: dict[str, str]
) -> Latency:
    conn = await migrations.connect(dsn)
    receiver = Receiver(
        ["floor", f"--channel={FLOOR_CHANNEL}"],
        {**env, "BENCH_LIVE_DSN": dsn},  # not in argv: a --database-url may hold a password
        (shots + WARMUP_SHOTS) / rate + 120,
    )
    try:
        await conn.execute(FLOOR_SQL)
        await receiver.start()
        sent: dict[int, float] = {}
        start = asyncio.get_running_loop().time()
        last = 0
        for i in range(WARMUP_SHOTS + shots):
            await pace(start, i / rate)
            last = await conn.fetchval(
                "INSERT INTO bench_live_floor (payload) VALUES ($1) RETURNING id", f"row {i}"
            )
            committed = time.time()
            if i >= WARMUP_SHOTS:
                sent[last] = committed
        report = await receiver.stop(last, GRACE_S)
        got = dict(report["clients"][0])
        return latencies(label, sent, got)
    finally:
        await receiver.kill()
        await conn.close()


# --- Arch Stats ------------------------------------------------------------------------------


@dataclass(slots=True)
class LiveResult:
    subscribers: int
    shots: int
    every: Latency  # every client's receipt
    last: Latency  # the last receipt of each shot
    first: Latency  # the first receipt of each shot
    to_tx: Latency  # landing commit → the assembler's write transaction (shot.created_at)
    to_notify: Latency  # landing commit → shot NOTIFY at a bare listener
    notify_to_first: Latency
    notify_to_last: Latency
    cpu_ms_per_shot: dict[str, float]
    machine_busy: float
    other_load: float  # the machine's CPU used by processes other than the benchmark's
    frames: int
    deflate: bool


def meter(
    server_pid: int,
    clients: Callable[[], list[int]],
    pg_pids: Callable[[], list[int]],
    *,
    names: tuple[str, str] = ("clients", "inserter"),
) -> CpuMeter:
    """CPU of the server, the clients' process(es), this process and PostgreSQL."""
    return CpuMeter(
        {
            "server": lambda: [server_pid],
            names[0]: clients,
            names[1]: lambda: [os.getpid()],
            "postgres": pg_pids,
        }
    )


async def sensor_shot(
    conn: Connection,
    archer: Shooter,
    target: tuple[UUID, UUID],
    rng: random.Random,
    start: float,
    slots: tuple[float, float],
) -> tuple[int, float]:
    """One shot through the sensor path: identified + engaged + released in one statement at
    `start + slots[0]`, then the landing alone at `start + slots[1]` (inside the landing
    window: the assembler pairs them at once). Returns the landing's key (its `landed_at`, µs)
    and the moment its INSERT returned (its commit)."""
    session_id, target_id = target
    await pace(start, slots[0])
    a = now_us()
    triple = [
        EventRow(session_id, "arrow", "arrow_identified", at_us(a - 3000),
                 rng.choice(archer.arrows)),
        EventRow(session_id, "bow", "arrow_engaged", at_us(a - 2000)),
        EventRow(session_id, "bow", "arrow_released", at_us(a - 1000)),
    ]  # fmt: skip
    await sensors_repo.insert_events(conn, archer.archer_id, triple)
    await pace(start, slots[1])
    key = now_us()
    x, y = CENTRE_MM + rng.gauss(0, 80), CENTRE_MM + rng.gauss(0, 80)
    landing = EventRow(session_id, "target", "arrow_landed", at_us(key), None, target_id, x, y)
    await sensors_repo.insert_events(conn, archer.archer_id, [landing])
    return key, time.time()


def notified_at(notes: list[tuple[float, str]]) -> dict[int, float]:
    """When each shot's `shot.created` notification (heard on LIVE_CHANNEL) arrived, by key."""
    notified: dict[int, float] = {}
    for t, payload in notes:
        parsed = orjson.loads(payload)  # one note, or a list of them (one per shot)
        for note in parsed if isinstance(parsed, list) else [parsed]:
            if note.get("type") == "shot.created" and note["data"].get("landed_at"):
                notified.setdefault(landed_key(note["data"]["landed_at"]), t)
    return notified


@dataclass(slots=True)
class Receipts:
    """Every client's receipts of the keys sent: ms from each key's start."""

    every: list[float] = field(default_factory=list)
    missing: int = 0
    first: dict[int, float] = field(default_factory=dict)  # the first arrival of each key
    complete: dict[int, float] = field(default_factory=dict)  # the last, if every client got it


def receipts(sent: dict[int, float], clients: list[dict[int, float]]) -> Receipts:
    out = Receipts()
    last: dict[int, float] = {}
    for got in clients:
        for key, started in sent.items():
            if key not in got:
                out.missing += 1
                continue
            t = got[key]
            out.every.append((t - started) * 1000)
            out.first[key] = min(out.first.get(key, t), t)
            last[key] = max(last.get(key, t), t)
    # A shot's "last receipt" exists only if every client got it.
    out.complete = {k: t for k, t in last.items() if all(k in got for got in clients)}
    return out


def between(
    label: str, keys: dict[int, float], a: dict[int, float], b: dict[int, float]
) -> Latency:
    """b − a (s → ms) for the keys both have."""
    return Latency(label, [(b[k] - a[k]) * 1000 for k in keys if k in a and k in b])


@dataclass(slots=True)
class SensorRun:
    """What `sensor_run` measured."""

    sent: dict[int, float]  # each measured shot's landing commit, by key
    clients: list[dict[int, float]]  # each client's receipts, by key
    notified: dict[int, float]  # each shot's NOTIFY at a bare listener here, by key
    cpu: tuple[dict[str, float], float, float]  # `CpuMeter.stop`
    frames: int  # every frame the clients received


Plan = list[tuple[Shooter, tuple[UUID, UUID], tuple[float, float]]]


async def sensor_run(
    dsn: str,
    conn: Connection,
    receiver: Receiver,
    server_pid: int,
    plan: Plan,
    *,
    warmup: int,
    rng: random.Random,
    clients: str = "clients",
) -> SensorRun:
    """`sensor_shot` for each (shooter, target, slots) of `plan`, on `conn`, while the
    `receiver`'s clients read and a bare LISTEN connection hears the shots' notifications;
    the first `warmup` shots are not measured (nor their CPU)."""
    probe = await migrations.connect(dsn)
    notes: list[tuple[float, str]] = []

    def on_live(_c: object, _pid: int, _ch: str, payload: object) -> None:
        notes.append((time.time(), str(payload)))

    try:
        await probe.add_listener(LIVE_CHANNEL, on_live)
        await receiver.start()
        pg_pids = await backend_pids(conn)
        receiver_pid = receiver.pid or 0
        cpu_meter = meter(
            server_pid, lambda: [receiver_pid], lambda: pg_pids, names=(clients, "inserter")
        )
        sent: dict[int, float] = {}
        start = asyncio.get_running_loop().time()
        last_key = 0
        for i, (shooter, target, slots) in enumerate(plan):
            if i == warmup:
                cpu_meter.start()
            last_key, committed = await sensor_shot(conn, shooter, target, rng, start, slots)
            if i >= warmup:
                sent[last_key] = committed
        pg_pids = sorted(set(pg_pids) | set(await backend_pids(conn)))
        await asyncio.sleep(0.2)  # the last shot's work, then CPU (while the clients still run)
        cpu = cpu_meter.stop()
        report = await receiver.stop(last_key, GRACE_S)
    finally:
        await receiver.kill()
        await probe.close()
    clients_got = [dict(c) for c in report["clients"]]
    return SensorRun(sent, clients_got, notified_at(notes), cpu, report["frames"])


async def measure_live(
    dsn: str,
    *,
    port: int,
    server_pid: int,
    archer: Shooter,
    subscribers: int,
    shots: int,
    rate: float,
    deflate: bool,
    env: dict[str, str],
) -> LiveResult:
    conn = await migrations.connect(dsn)
    rng = random.Random(subscribers)
    target = await open_session(conn, archer.archer_id)
    url = f"ws://{HOST}:{port}/api/v0/ws?session_id={target[0]}"
    args = ["ws", f"--url={url}", f"--clients={subscribers}"]
    if not deflate:
        args.append("--no-deflate")
    receiver = Receiver(
        args, {**env, "BENCH_LIVE_TOKEN": archer.token}, (shots + WARMUP_SHOTS) / rate + 180
    )
    plan = [(archer, target, (i / rate, (i + 0.5) / rate)) for i in range(WARMUP_SHOTS + shots)]
    try:
        run = await sensor_run(dsn, conn, receiver, server_pid, plan, warmup=WARMUP_SHOTS, rng=rng)
        # The database's own timestamps of each shot (same machine clock).
        rows = await conn.fetch(
            "SELECT landed_at, created_at FROM shot WHERE session_id = $1", target[0]
        )
        tx_at = {_key(r["landed_at"]): r["created_at"].timestamp() for r in rows}
        made = await conn.fetchval(
            "SELECT count(*) FROM sensor_event WHERE session_id = $1 AND outcome = 'shot'",
            target[0],
        )
        if made != 4 * (WARMUP_SHOTS + shots):
            say(f"  warning: {made} events became shots, {4 * (WARMUP_SHOTS + shots)} expected")
    finally:
        await conn.close()

    sent, notified, (cpu, busy, other) = run.sent, run.notified, run.cpu
    got = receipts(sent, run.clients)
    label = f"{subscribers} subscriber{'s' if subscribers != 1 else ''}"
    return LiveResult(
        subscribers=subscribers,
        shots=len(sent),
        every=Latency(f"Arch Stats, {label}: every receipt", got.every, got.missing),
        last=latencies(f"Arch Stats, {label}: last receipt per shot", sent, got.complete),
        first=latencies(f"Arch Stats, {label}: first receipt per shot", sent, got.first),
        to_tx=latencies("  landing commit → assembler write tx begins", sent, tx_at),
        to_notify=latencies("  landing commit → shot NOTIFY at a bare listener", sent, notified),
        notify_to_first=between(
            "  shot NOTIFY → first WebSocket receipt", sent, notified, got.first
        ),
        notify_to_last=between(
            "  shot NOTIFY → last WebSocket receipt", sent, notified, got.complete
        ),
        cpu_ms_per_shot=per_shot(cpu, len(sent)),
        machine_busy=busy,
        other_load=other,
        frames=run.frames,
        deflate=deflate,
    )


@dataclass(frozen=True, slots=True)
class PostResult:
    """Shots entered by hand (POST /shot, one at a time) with one subscriber watching."""

    shots: int
    to_frame: Latency  # POST sent → shot.created at the subscriber
    to_answer: Latency  # POST sent → its 201 answer back
    commit: Latency  # a bare durable one-row INSERT's round trip, just before each POST
    after_answer: Latency  # the frame's arrival at the subscriber − the answer's at the poster
    cpu_ms_per_shot: dict[str, float]


@dataclass(slots=True)
class _Posted:
    """What a paced run of POSTs measured, by key (the notification's or frame's)."""

    sent: dict[int, float] = field(default_factory=dict)  # request written
    answered: dict[int, float] = field(default_factory=dict)  # its answer read
    commits: list[float] = field(default_factory=list)  # a bare durable INSERT, ms


async def _paced_posts(
    conn: Connection,
    phase: Phase,
    path: str,
    headers: dict[str, str],
    meter: CpuMeter,
    body: Callable[[int], tuple[int, bytes]],
) -> tuple[_Posted, int]:
    """WARMUP_SHOTS + the phase's shots: POSTs of `body(i)` (its key and bytes) to `path` at
    the phase's rate, one at a time over one keep-alive connection, each after a bare durable
    INSERT timed on `conn` (what a commit costs at that moment); `meter` starts after the
    warm-up. Returns the measured POSTs and the last key."""
    port, rate = phase.port, phase.rate
    await conn.execute("CREATE TABLE IF NOT EXISTS bench_live_commit (id bigserial PRIMARY KEY)")
    reader, writer = await asyncio.open_connection(HOST, port)
    out = _Posted()
    key = 0
    try:
        start = asyncio.get_running_loop().time()
        for i in range(WARMUP_SHOTS + phase.shots):
            if i == WARMUP_SHOTS:
                meter.start()
            await pace(start, i / rate)
            c0 = time.time()
            await conn.execute("INSERT INTO bench_live_commit DEFAULT VALUES")
            if i >= WARMUP_SHOTS:
                out.commits.append((time.time() - c0) * 1000)
            key, data = body(i)
            raw = raw_request("POST", path, port, {**headers, **JSON}, data)
            t0 = time.time()
            status = await exchange(reader, writer, raw)
            t1 = time.time()
            if status != 201:
                raise RuntimeError(f"POST {path} answered {status}")
            if i >= WARMUP_SHOTS:
                out.sent[key] = t0
                out.answered[key] = t1
        await asyncio.sleep(0.2)
    finally:
        writer.close()
        await conn.execute("DROP TABLE IF EXISTS bench_live_commit")
    return out, key


def _post_result(
    labels: tuple[str, str, str], posted: _Posted, got: dict[int, float], cpu: dict[str, float]
) -> PostResult:
    """PostResult of `posted`, `got` the arrival (at the subscriber or listener) by key."""
    to_frame, to_answer, after = labels
    n = len(posted.sent)
    return PostResult(
        shots=n,
        to_frame=latencies(to_frame, posted.sent, got),
        to_answer=latencies(to_answer, posted.sent, posted.answered),
        commit=Latency("  (a bare durable INSERT round trip, same moments)", posted.commits),
        after_answer=Latency(
            after, [(got[k] - posted.answered[k]) * 1000 for k in posted.sent if k in got]
        ),
        cpu_ms_per_shot=per_shot(cpu, n),
    )


@dataclass(frozen=True, slots=True)
class Phase:
    """What every phase of hand-entered shots shares: the database, the server measured, the
    shots and their rate, the clients' deflate, the environment of the receivers."""

    dsn: str
    port: int
    server_pid: int
    shots: int
    rate: float
    deflate: bool
    env: dict[str, str]

    def at(self, server: tuple[int, int]) -> Phase:
        return replace(self, port=server[0], server_pid=server[1])


async def measure_post(phase: Phase, archer: Shooter) -> PostResult:
    """One subscriber; one shot per POST /shot at the phase's rate, over one keep-alive
    connection, as a phone entering arrows by hand. Timed from the moment the request is
    written."""
    async with connect(phase.dsn) as conn:
        session_id, target_id = await open_session(conn, archer.archer_id)
    posted, got, cpu = await _posts_to_clients(
        phase,
        f"/api/v0/ws?session_id={session_id}",
        clients=1,
        archer=archer,
        body=_shot_body(session_id, target_id, random.Random(7)),
    )
    labels = (
        "POST /shot sent → shot.created, 1 subscriber",
        "  POST /shot sent → its answer",
        "  answer at the poster → shot.created at the subscriber",
    )
    return _post_result(labels, posted, got[0], cpu[0])


async def measure_ceiling_post(phase: Phase) -> PostResult:
    """The simplest writer's live path, measured as `measure_post`: POST /write_notify of the
    ceiling (bench/common/ceiling.py: bare Starlette + asyncpg, a durable one-row INSERT whose
    row trigger NOTIFYs it, the original backend's design) → the notification at a bare LISTEN
    connection here (no WebSocket hop: the ceiling has none)."""
    conn = await migrations.connect(phase.dsn)
    listener = await migrations.connect(phase.dsn)
    (session_id,) = await write_tables(conn, 1)
    got: dict[int, float] = {}

    everything = asyncio.Event()  # every POST's notification has come

    def on_note(_c: object, _pid: int, _ch: str, payload: object) -> None:
        at = time.time()
        got[round(orjson.loads(str(payload))["y_mm"] * 1000)] = at
        if len(got) >= WARMUP_SHOTS + phase.shots:
            everything.set()

    def body(i: int) -> tuple[int, bytes]:
        key = 100_000 + i  # y_mm × 1000: the notification's key
        row = {"session_id": str(session_id), "x_mm": CENTRE_MM, "y_mm": key / 1000, "score": 9}
        return key, orjson.dumps(row)

    await listener.add_listener("bench_write", on_note)
    try:
        pg_pids = await backend_pids(conn)
        cpu_meter = CpuMeter(
            {
                "server": lambda: [phase.server_pid],
                "poster": lambda: [os.getpid()],
                "postgres": lambda: pg_pids,
            }
        )
        posted, _ = await _paced_posts(conn, phase, WRITE_NOTIFY_PATH, {}, cpu_meter, body)
        cpu, _, _ = cpu_meter.stop()
        # Notifications may still come, as receipts do: within the same grace.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(everything.wait(), GRACE_S)
    finally:
        await listener.close()
        await conn.close()
    labels = (
        "ceiling: POST /write_notify sent → its NOTIFY",
        "  POST /write_notify sent → its answer",
        "  answer at the poster → NOTIFY at a bare listener",
    )
    return _post_result(labels, posted, got, cpu)


@dataclass(frozen=True, slots=True)
class FanResult:
    """Hand-entered shots (one POST at a time) → their frame at N WebSocket clients."""

    clients: int
    every: Latency  # every client's receipt
    last: Latency  # the last receipt of each shot
    cpu_ms_per_shot: dict[str, float]
    machine_busy: float
    other_load: float  # the machine's CPU used by processes other than the benchmark's


# Most WebSocket clients one receiver process reads: a browser is a device of its own, and one
# process working through 1,000 frames per shot (≈ 20 µs each) would be most of the latency.
CLIENTS_PER_RECEIVER = 250


async def _posts_to_clients(
    phase: Phase,
    ws_path: str,
    *,
    clients: int,
    archer: Shooter | None,
    body: Callable[[int], tuple[int, bytes]],
    board: bool = False,
) -> tuple[_Posted, list[dict[int, float]], tuple[dict[str, float], float, float]]:
    """`_paced_posts` (POST /shot as `archer`, or the ceiling's POST /write_notify without
    one) while `clients` WebSocket clients of `ws_path` (club boards if `board`; keyed by the
    shot's `landed_at`; at most CLIENTS_PER_RECEIVER per receiver process) receive each post's
    frame: the posts, each client's arrivals by key, and what the CPU meter measured
    (`CpuMeter.stop`)."""
    args = ["ws", *(["--board"] if board else []), f"--url=ws://{HOST}:{phase.port}{ws_path}"]
    args += [] if phase.deflate else ["--no-deflate"]
    per = math.ceil(clients / math.ceil(clients / CLIENTS_PER_RECEIVER))
    token = archer.token if archer else ""  # the ceiling asks for none
    receivers = [
        Receiver(
            [*args, f"--clients={min(per, clients - first)}"],
            {**phase.env, "BENCH_LIVE_TOKEN": token},
            (phase.shots + WARMUP_SHOTS) / phase.rate + 180,
        )
        for first in range(0, clients, per)
    ]
    path, headers = WRITE_NOTIFY_PATH, {}
    if archer is not None:
        path, headers = "/api/v0/shot", {"Authorization": archer.auth_header}
    conn = await migrations.connect(phase.dsn)
    try:
        for receiver in receivers:
            await receiver.start()
        pg_pids = await backend_pids(conn)
        cpu_meter = meter(
            phase.server_pid,
            lambda: [r.pid or 0 for r in receivers],
            lambda: pg_pids,
            names=("clients", "poster"),
        )
        posted, last_key = await _paced_posts(conn, phase, path, headers, cpu_meter, body)
        measured = cpu_meter.stop()
        reports = await asyncio.gather(*(r.stop(last_key, GRACE_S) for r in receivers))
    finally:
        for receiver in receivers:
            await receiver.kill()
        await conn.close()
    return posted, [dict(c) for report in reports for c in report["clients"]], measured


def _fan_result(
    label: str,
    posted: _Posted,
    clients: list[dict[int, float]],
    measured: tuple[dict[str, float], float, float],
) -> FanResult:
    cpu, busy, other = measured
    got = receipts(posted.sent, clients)
    return FanResult(
        clients=len(clients),
        every=Latency(f"{label}: every receipt", got.every, got.missing),
        last=latencies(f"{label}: last receipt per shot", posted.sent, got.complete),
        cpu_ms_per_shot=per_shot(cpu, len(posted.sent)),
        machine_busy=busy,
        other_load=other,
    )


def _shot_body(
    session_id: UUID, target_id: UUID | None, rng: random.Random
) -> Callable[[int], tuple[int, bytes]]:
    """A hand-entered shot (or the ceiling's row), keyed by the `landed_at` it carries."""

    def body(_i: int) -> tuple[int, bytes]:
        key = now_us()
        row: dict[str, Any] = {
            "session_id": str(session_id),
            "x_mm": CENTRE_MM + rng.gauss(0, 80),
            "y_mm": CENTRE_MM + rng.gauss(0, 80),
            "landed_at": at_us(key).isoformat(),
        }
        if target_id is None:
            row["score"] = 9  # the ceiling's row: the server scores nothing
        else:
            row["target_id"] = str(target_id)
        return key, orjson.dumps(row)

    return body


async def measure_board_post(phase: Phase, archer: Shooter, viewers: int) -> FanResult:
    """The archer enters shots by hand (POST /shot at the phase's rate) while `viewers`
    members' boards of their club watch: to each board's `board.shot.created`."""
    async with connect(phase.dsn) as conn:
        session_id, target_id = await open_session(conn, archer.archer_id)
        club_id = await add_club(conn, [archer.archer_id])
    fan = await _posts_to_clients(
        phase,
        f"/api/v0/ws?club_id={club_id}",
        clients=viewers,
        archer=archer,
        body=_shot_body(session_id, target_id, random.Random(viewers)),
        board=True,
    )
    return _fan_result(f"POST /shot → board frame, {viewers:,} board viewers", *fan)


async def measure_session_post(phase: Phase, archer: Shooter, subscribers: int) -> FanResult:
    """The archer enters shots by hand (POST /shot at the phase's rate) while `subscribers`
    clients of the session's live channel watch: to each one's `shot.created` (the
    `stats.updated` frames that follow are received, and only counted)."""
    async with connect(phase.dsn) as conn:
        session_id, target_id = await open_session(conn, archer.archer_id)
    fan = await _posts_to_clients(
        phase,
        f"/api/v0/ws?session_id={session_id}",
        clients=subscribers,
        archer=archer,
        body=_shot_body(session_id, target_id, random.Random(subscribers)),
    )
    return _fan_result(f"POST /shot → shot.created, {subscribers} subscribers", *fan)


async def measure_ceiling_ws(phase: Phase, subscribers: int) -> FanResult:
    """The simplest writer's live path to WebSocket clients: POST /write_notify of the ceiling
    (a durable INSERT whose trigger NOTIFYs it) → its `/ws_notify` frame at each subscriber."""
    async with connect(phase.dsn) as conn:
        (session_id,) = await write_tables(conn, 1)
    fan = await _posts_to_clients(
        phase,
        WS_NOTIFY_PATH,
        clients=subscribers,
        archer=None,
        body=_shot_body(session_id, None, random.Random(subscribers)),
    )
    label = f"ceiling: POST /write_notify → WebSocket frame, {subscribers} subscribers"
    return _fan_result(label, *fan)


@dataclass(slots=True)
class Fans:
    """The phases of `fan_phases`."""

    sessions: list[FanResult] = field(default_factory=list)
    boards: list[FanResult] = field(default_factory=list)
    ceilings: list[FanResult] = field(default_factory=list)


async def fan_phases(
    phase: Phase, args: argparse.Namespace, *, ceiling: tuple[int, int], archer: Shooter
) -> Fans:
    """POST /shot → shot.created at --session-subscribers, then → board frames at
    --board-viewers (either skipped at 0), between two runs of the simplest writer at
    --ceiling-subscribers (the baseline of the same minutes)."""
    fans = Fans()
    phases = ["ceiling", "session", "board", "ceiling"]
    if not args.session_subscribers:
        phases.remove("session")
    if not args.board_viewers:
        phases.remove("board")
    for name in phases:
        if name == "session":
            say(f"POST /shot → shot.created, {args.session_subscribers} subscribers")
            fan = await measure_session_post(phase, archer, args.session_subscribers)
            fans.sessions.append(fan)
        elif name == "board":
            say(f"POST /shot → board frames, {args.board_viewers:,} board viewers")
            fan = await measure_board_post(phase, archer, args.board_viewers)
            fans.boards.append(fan)
        else:
            say(f"ceiling: POST /write_notify → WebSocket, {args.ceiling_subscribers} subscribers")
            fan = await measure_ceiling_ws(phase.at(ceiling), args.ceiling_subscribers)
            fans.ceilings.append(fan)
        say(
            f"  {WARMUP_SHOTS} warm-up + {phase.shots} shots at {phase.rate:g}/s; every receipt "
            f"p50 {fan.every.p50:.2f} ms, p99 {fan.every.p99:.2f} ms, {fan.every.missing} missing"
        )
    return fans


def _key(ts: datetime) -> int:
    return int(ts.timestamp()) * 1_000_000 + ts.microsecond


# --- the server ------------------------------------------------------------------------------


async def wait_for_assembler(dsn: str, within: float = 30.0) -> None:
    """Until the server's assembler holds the lock (its work connection exists)."""
    conn = await migrations.connect(dsn)
    try:
        deadline = time.monotonic() + within
        while not await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity "
            "WHERE application_name = 'arch-stats-assembler-work')"
        ):
            if time.monotonic() > deadline:
                raise RuntimeError("the server's assembler did not take the lock")
            await asyncio.sleep(0.1)
    finally:
        await conn.close()


# --- report ----------------------------------------------------------------------------------


def _live_rows(live: LiveResult) -> list[str]:
    lines = ["", live.every.row()]
    if live.subscribers > 1:
        lines.append(live.last.row())
        lines.append(live.first.row())
    for part in (live.to_tx, live.to_notify, live.notify_to_first, live.notify_to_last):
        if live.subscribers > 1 or part is not live.notify_to_last:
            lines.append(part.row())
    lines.append(
        f"  {cpu_line(live.cpu_ms_per_shot, live.machine_busy, live.other_load)}; "
        f"{live.frames:,} frames received (every type)"
        f"{'' if live.deflate else '; permessage-deflate off'}"
    )
    return lines


def _post_rows(posts: list[PostResult], ceilings: list[PostResult], fans: Fans) -> list[str]:
    """The table's rows of the hand-entered shots' phases."""
    lines: list[str] = []
    for post, unit in [*((p, "shot") for p in posts), *((c, "write") for c in ceilings)]:
        lines += ["", post.to_frame.row(), post.to_answer.row(), post.after_answer.row()]
        lines += [post.commit.row(), f"  {cpu_line(post.cpu_ms_per_shot, unit=unit)}"]
    for fan in [*fans.ceilings, *fans.sessions, *fans.boards]:
        lines += ["", fan.every.row(), fan.last.row()]
        lines.append(f"  {cpu_line(fan.cpu_ms_per_shot, fan.machine_busy, fan.other_load)}")
    return lines


def report(
    header: list[str],
    floors: list[Latency],
    lives: list[LiveResult],
    assembler: AssemblerResult | None,
    posts: list[PostResult] | None = None,
    ceilings: list[PostResult] | None = None,
    fans: Fans | None = None,
) -> tuple[list[str], list[bool]]:
    fans = fans or Fans()
    lines = [*header, "", *Latency.header()]
    floor_all = Latency(
        "floor: INSERT commit → bare LISTEN (all runs)",
        [v for f in floors for v in f.values],
        sum(f.missing for f in floors),
    )
    for f in floors:
        lines.append(f.row())
    if len(floors) > 1:
        lines.append(floor_all.row())
    for live in lives:
        lines += _live_rows(live)
    lines += _post_rows(posts or [], ceilings or [], fans)
    if assembler is not None:
        lines += ["", assembler.line().replace(" [PASS", "  [PASS").replace(" [FAIL", "  [FAIL")]

    loads = [r.other_load for r in lives]
    loads += [f.other_load for f in [*fans.ceilings, *fans.sessions, *fans.boards]]
    lines += noise_note(loads)

    verdicts: list[bool] = []
    lines += ["", "targets:"]
    if lives and floor_all.values:
        live = max(lives, key=lambda r: r.subscribers)
        limit = floor_all.p99 + MARGIN_MS
        ok = live.every.p99 <= limit and live.every.missing == 0
        verdicts.append(ok)
        lines.append(
            verdict(
                ok,
                f"live p99 with {live.subscribers} "
                f"subscriber{'s' if live.subscribers != 1 else ''}, every "
                f"receipt: {live.every.p99:.2f} ms (target ≤ floor p99 {floor_all.p99:.2f} + "
                f"{MARGIN_MS:g} = {limit:.2f} ms"
                f"{f'; {live.every.missing} receipts missing' if live.every.missing else ''})",
            )
        )
        others = [f"last receipt per shot {live.last.p99:.2f} ms"] if live.subscribers > 1 else []
        others += [
            f"{r.subscribers} subscriber(s) {r.every.p99:.2f} ms" for r in lives if r is not live
        ]
        if others:
            lines.append(f"        (for information, p99: {'; '.join(others)})")
    if posts:
        everything = [v for post in posts for v in post.to_frame.values]
        missing = sum(post.to_frame.missing for post in posts)
        p50 = percentile(everything, 0.5)
        ok = p50 <= POST_P50_MS and not missing
        verdicts.append(ok)
        lines.append(
            verdict(
                ok,
                f"POST /shot → shot.created at 1 subscriber: p50 {p50:.2f} ms (target ≤ "
                f"{POST_P50_MS:g} ms){f'; {missing} missing' if missing else ''}",
            )
        )
        base = [v for c in ceilings or [] for v in c.to_frame.values]
        if base:
            b50, b99 = percentile(base, 0.5), percentile(base, 0.99)
            p99 = percentile(everything, 0.99)
            lines.append(
                f"        (the ceiling's POST → NOTIFY p50 {b50:.2f} ms, same run: POST /shot → "
                f"shot.created is {p50 / b50:.2f}× it, {p50 - b50:+.2f} ms; p99 {p99:.2f} ms = "
                f"{p99 / b99:.2f}× its {b99:.2f} ms; issue 23: ≤ 1.3× and ≤ 2×)"
            )
    for measured, what in ((fans.sessions, "shot.created"), (fans.boards, "board frame")):
        if measured and fans.ceilings:
            lines += _vs_ceiling(measured, fans.ceilings, what, verdicts)
    if assembler is not None:
        verdicts.append(assembler.passed)
        lines.append(
            verdict(
                assembler.passed,
                f"assembler: {assembler.events_per_s:,.0f} events/s (target ≥ 2,000 events/s)",
            )
        )
    return lines, verdicts


def _vs_ceiling(
    measured: list[FanResult], ceilings: list[FanResult], what: str, verdicts: list[bool]
) -> list[str]:
    """Issue 18's target: POST /shot → `what`, p99 of every receipt ≤ VS_CEILING × the
    simplest writer's POST → NOTIFY → WebSocket (both runs of it pooled)."""
    ours = [v for m in measured for v in m.every.values]
    base = [v for c in ceilings for v in c.every.values]
    missing = sum(m.every.missing for m in measured)
    p99, b99 = percentile(ours, 0.99), percentile(base, 0.99)
    ok = p99 <= VS_CEILING * b99 and not missing
    verdicts.append(ok)
    clients = f"{measured[0].clients:,} {'board viewers' if 'board' in what else 'subscribers'}"
    return [
        verdict(
            ok,
            f"POST /shot → {what} at {clients}, every receipt: p99 "
            f"{p99:.2f} ms = {p99 / b99:.2f}× the simplest writer's POST → NOTIFY → WebSocket at "
            f"{ceilings[0].clients} subscribers, p99 {b99:.2f} ms (target ≤ {VS_CEILING:g}×)"
            f"{f'; {missing} receipts missing' if missing else ''}",
        )
    ]


# --- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.live.run",
        description="Live latency (sensor commit → WebSocket) against a bare LISTEN floor, "
        "and the assembler's throughput.",
    )
    p.add_argument(
        "--duration",
        type=float,
        default=25.0,
        help="seconds measured per phase (default 25: 500 shots at 20/s)",
    )
    p.add_argument("--rate", type=float, default=20.0, help="shots (or floor rows) per second")
    p.add_argument(
        "--subscribers",
        default="1,100",
        help="comma-separated WebSocket client counts, one phase each",
    )
    p.add_argument("--events", type=int, default=10_000, help="assembler burst (0: skip)")
    p.add_argument(
        "--posts",
        type=int,
        default=1,
        help="phases of hand-entered shots (POST /shot → shot.created, 1 subscriber); 0: none",
    )
    p.add_argument(
        "--no-post-ceiling",
        action="store_true",
        help="skip the simplest writer's POST → NOTIFY measured after each POST /shot phase",
    )
    p.add_argument(
        "--board-viewers",
        type=int,
        default=1000,
        help="members' boards watching hand-entered shots (POST /shot → board frame), "
        "measured between two runs of the simplest writer's POST → NOTIFY → WebSocket; 0: none",
    )
    p.add_argument(
        "--session-subscribers",
        type=int,
        default=100,
        help="clients of one session's live channel watching hand-entered shots (POST /shot → "
        "shot.created), measured with the board viewers; 0: none",
    )
    p.add_argument(
        "--ceiling-subscribers",
        type=int,
        default=100,
        help="WebSocket clients of that simplest writer (default 100)",
    )
    p.add_argument(
        "--no-sensor",
        action="store_true",
        help="skip the sensor phases (only the floor and the hand-entered shots)",
    )
    p.add_argument(
        "--no-deflate",
        action="store_true",
        help="clients do not offer permessage-deflate (a diagnostic)",
    )
    p.add_argument(
        "--assembler",
        choices=("inside", "separate"),
        default="inside",
        help="where the assembler runs: inside the server (as `serve`, the default) or in "
        "an `arch-stats assemble` process of its own (a diagnostic)",
    )
    p.add_argument(
        "--no-stats-push",
        action="store_true",
        help="serve without the stats.updated frames that follow each shot (a diagnostic)",
    )
    p.add_argument(
        "--profile-server",
        type=Path,
        metavar="FILE",
        help="run the server under cProfile and write its stats to FILE (a diagnostic: "
        "it slows the server down)",
    )
    common_options(p)  # on --database-url, no other assembler may run
    args = p.parse_args(argv)
    try:
        args.subscriber_counts = [int(x) for x in args.subscribers.split(",") if x.strip()]
    except ValueError:
        p.error("--subscribers: comma-separated integers, e.g. 1,100")
    if not args.subscriber_counts or not all(1 <= n <= 1000 for n in args.subscriber_counts):
        p.error("--subscribers: 1 to 1000 clients per phase")
    if not 0 < args.rate <= 200 or not 0 < args.duration <= 600 or args.events < 0:
        p.error("--rate in (0, 200], --duration in (0, 600], --events ≥ 0")
    if not 0 <= args.board_viewers <= 2000 or not 1 <= args.ceiling_subscribers <= 1000:
        p.error("--board-viewers 0 to 2,000, --ceiling-subscribers 1 to 1,000")
    if not 0 <= args.session_subscribers <= 1000:
        p.error("--session-subscribers 0 to 1,000")
    return args


@dataclass(slots=True)
class Results:
    floors: list[Latency] = field(default_factory=list)
    lives: list[LiveResult] = field(default_factory=list)
    posts: list[PostResult] = field(default_factory=list)
    ceilings: list[PostResult] = field(default_factory=list)
    fans: Fans = field(default_factory=Fans)  # shots watched by many, and the simplest writer's
    assembler: AssemblerResult | None = None


def _hand_entered(
    runner: asyncio.Runner,
    phase: Phase,
    args: argparse.Namespace,
    archer: Shooter,
    out: Results,
    start_ceiling: Callable[[], tuple[int, int]],
) -> None:
    """The POST /shot phases (`--posts`, each followed by the simplest writer's POST → NOTIFY),
    then `fan_phases`."""
    ceiling = start_ceiling() if args.posts and not args.no_post_ceiling else None
    for round_ in range(args.posts):
        say(
            f"POST /shot, 1 subscriber ({round_ + 1}/{args.posts}): {WARMUP_SHOTS} "
            f"warm-up + {phase.shots} shots at {phase.rate:g}/s"
        )
        post = runner.run(measure_post(phase, archer))
        say(
            f"  p50 {post.to_frame.p50:.2f} ms, p99 {post.to_frame.p99:.2f} ms, "
            f"{post.to_frame.missing} missing"
        )
        out.posts.append(post)
        if ceiling is not None:
            say(f"ceiling: POST /write_notify → NOTIFY ({round_ + 1}/{args.posts})")
            result = runner.run(measure_ceiling_post(phase.at(ceiling)))
            say(f"  p50 {result.to_frame.p50:.2f} ms, p99 {result.to_frame.p99:.2f} ms")
            out.ceilings.append(result)
    if args.board_viewers or args.session_subscribers:
        ceiling = ceiling or start_ceiling()
        out.fans = runner.run(fan_phases(phase, args, ceiling=ceiling, archer=archer))


def _sensor(
    runner: asyncio.Runner, phase: Phase, args: argparse.Namespace, archer: Shooter, out: Results
) -> None:
    """The sensor path at each --subscribers count."""
    for count in [] if args.no_sensor else args.subscriber_counts:
        say(
            f"Arch Stats, {count} subscriber(s): {WARMUP_SHOTS} warm-up + {phase.shots} shots "
            f"at {phase.rate:g}/s"
        )
        live = runner.run(
            measure_live(
                phase.dsn,
                port=phase.port,
                server_pid=phase.server_pid,
                archer=archer,
                subscribers=count,
                shots=phase.shots,
                rate=phase.rate,
                deflate=phase.deflate,
                env=phase.env,
            )
        )
        say(
            f"  every receipt p50 {live.every.p50:.2f} ms, p99 {live.every.p99:.2f} ms; "
            f"last per shot p99 {live.last.p99:.2f} ms; {live.every.missing} missing"
        )
        out.lives.append(live)


def _served(
    runner: asyncio.Runner, dsn: str, env: dict[str, str], args: argparse.Namespace,
    archer: Shooter, out: Results,
) -> None:  # fmt: skip
    """The phases that need the server (and, for the hand-entered shots, the ceiling)."""
    with ExitStack() as stack:
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="aslive")))
        server_env = env
        if args.assembler == "separate":
            server_env = {**env, "ASSEMBLER_ENABLED": "false"}
            command = [sys.executable, "-m", "arch_stats", "assemble"]
            stack.enter_context(child("assembler", command, env, logs))
        factory = "bench.live.serve:without_stats_push" if args.no_stats_push else APP
        port, pid = stack.enter_context(
            uvicorn("arch-stats", server_env, logs, factory=factory, profile=args.profile_server)
        )
        runner.run(wait_for_assembler(dsn))
        shots = max(1, round(args.duration * args.rate))
        phase = Phase(dsn, port, pid, shots, args.rate, not args.no_deflate, env)
        # Up for the POST phases only (idle, it would still be load for the others).
        with ExitStack() as ceiling_stack:

            def start_ceiling() -> tuple[int, int]:
                return ceiling_stack.enter_context(ceiling_server(env, logs))

            _hand_entered(runner, phase, args, archer, out, start_ceiling)
        _sensor(runner, phase, args, archer, out)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    shots = max(1, round(args.duration * args.rate))
    out = Results()
    with ExitStack() as stack:
        runner = stack.enter_context(loop_runner())
        dsn = stack.enter_context(database(args.database_url))
        env = {**os.environ, "DATABASE_URL": dsn, "ASSEMBLER_ENABLED": "true"}
        env.pop("BENCH_LIVE_TOKEN", None)

        async def prepare() -> Shooter:
            await migrate(dsn)
            async with connect(dsn) as conn:
                return await add_shooter(conn, "Live Bench", "bench-live")

        async def cleanup(archer: Shooter) -> None:
            async with connect(dsn) as conn:
                await conn.execute(FLOOR_DROP_SQL)
                await remove_archers(conn, [archer.archer_id])

        archer = runner.run(prepare())
        stack.callback(lambda: runner.run(cleanup(archer)))

        def floor(label: str) -> None:
            say(f"floor ({label}): {WARMUP_SHOTS} warm-up + {shots} inserts at {args.rate:g}/s")
            result = runner.run(
                measure_floor(
                    dsn, f"floor ({label}): INSERT commit → bare LISTEN", shots, args.rate, env
                )
            )
            say(f"  p50 {result.p50:.2f} ms, p99 {result.p99:.2f} ms, {result.missing} missing")
            out.floors.append(result)

        floor("first")
        _served(runner, dsn, env, args, archer, out)
        floor("last")
        if args.events:
            say(f"assembler: a burst of {args.events:,} events")
            out.assembler = runner.run(measure_assembler(dsn, events=args.events))

    header = [
        f"Arch Stats live benchmark — {machine()} at the end; 127.0.0.1",
        f"{shots} measured (+{WARMUP_SHOTS} warm-up) per phase at {args.rate:g}/s; server: "
        "uvicorn, 1 worker, uvloop, httptools, assembler "
        f"{'inside' if args.assembler == 'inside' else 'in a process of its own'}; "
        f"clients: websockets, one process{', no deflate' if args.no_deflate else ''}"
        f"{'; no stats.updated push (diagnostic)' if args.no_stats_push else ''}",
    ]
    lines, verdicts = report(
        header, out.floors, out.lives, out.assembler, out.posts, out.ceilings, fans=out.fans
    )
    print("\n".join(lines), flush=True)
    write_json(args.json, _json(args, shots, out, verdicts))
    return 1 if args.strict and not all(verdicts) else 0


LIVE_PARTS = ("every", "last", "first", "to_tx", "to_notify", "notify_to_first", "notify_to_last")


def _fan_json(fans: list[FanResult], clients: str) -> list[dict[str, Any]]:
    return [
        {
            clients: f.clients,
            "every": f.every.summary(),
            "last": f.last.summary(),
            "cpu_ms_per_shot": f.cpu_ms_per_shot,
        }
        for f in fans
    ]


def _json(args: argparse.Namespace, shots: int, out: Results, verdicts: list[bool]) -> Any:
    return {
        "rate": args.rate,
        "shots": shots,
        "floors": [f.summary() for f in out.floors],
        "live": [
            {
                "subscribers": r.subscribers,
                "deflate": r.deflate,
                "machine_busy": r.machine_busy,
                "other_load": r.other_load,
                "cpu_ms_per_shot": r.cpu_ms_per_shot,
                **{name: getattr(r, name).summary() for name in LIVE_PARTS},
            }
            for r in out.lives
        ],
        "posts": [
            {
                "to_frame": p.to_frame.summary(),
                "to_answer": p.to_answer.summary(),
                "commit": p.commit.summary(),
                "after_answer": p.after_answer.summary(),
                "cpu_ms_per_shot": p.cpu_ms_per_shot,
            }
            for p in out.posts
        ],
        "session_posts": _fan_json(out.fans.sessions, "subscribers"),
        "board_posts": _fan_json(out.fans.boards, "viewers"),
        "ceiling_ws": _fan_json(out.fans.ceilings, "subscribers"),
        "post_ceilings": [
            {
                "to_notify": p.to_frame.summary(),
                "to_answer": p.to_answer.summary(),
                "commit": p.commit.summary(),
                "cpu_ms_per_write": p.cpu_ms_per_shot,
            }
            for p in out.ceilings
        ],
        "assembler": asdict(out.assembler) | {"events_per_s": out.assembler.events_per_s}
        if out.assembler
        else None,
        "passed": all(verdicts),
    }


if __name__ == "__main__":
    sys.exit(main())

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
   NOTIFY → its `/ws_notify` frame (bench/api/ceiling.py), timed the same way.

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
import json
import math
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import orjson

from arch_stats.auth.tokens import PREFIX_LOGIN, token_hash
from arch_stats.core import migrations
from arch_stats.core.database import Connection
from arch_stats.core.serving import uvicorn_flags
from arch_stats.sensors import repository as sensors_repo
from arch_stats.sensors.repository import EventRow
from bench.live.assembler import AssemblerResult, measure_assembler
from bench.live.receiver import landed_key

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[2]
FLOOR_CHANNEL = "bench_live_floor"
LIVE_CHANNEL = "arch_stats_live"
MARGIN_MS = 5.0  # live p99 (most subscribers) ≤ floor p99 + this
POST_P50_MS = 1.5  # a hand-entered shot → its shot.created frame, p50 (issue 13)
# POST /shot → session or board frames, p99 ≤ this × the simplest writer's (issue 18)
VS_CEILING = 2.0
VIEW_MM = 1300.0
CENTRE_MM = VIEW_MM / 2
WARMUP_SHOTS = 20
NOISY = 0.15  # other work above this share of the machine's CPU makes a phase suspect
GRACE_S = 10.0  # after the last insert, how long receipts may still come


def say(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# --- numbers -------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of a non-empty sequence."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass(frozen=True, slots=True)
class Latency:
    """Latencies in ms of one measured series, and how many expected receipts never came."""

    label: str
    values: list[float]
    missing: int = 0

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def p50(self) -> float:
        return percentile(self.values, 0.50) if self.values else math.nan

    @property
    def p99(self) -> float:
        return percentile(self.values, 0.99) if self.values else math.nan

    @property
    def max(self) -> float:
        return max(self.values) if self.values else math.nan

    def row(self) -> str:
        return (
            f"{self.label:<52} {self.n:>8,} {self.p50:>8.2f} {self.p99:>8.2f} "
            f"{self.max:>8.2f} {self.missing:>8,}"
        )

    def summary(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "n": self.n,
            "p50_ms": self.p50,
            "p99_ms": self.p99,
            "max_ms": self.max,
            "missing": self.missing,
        }


def latencies(label: str, sent: dict[int, float], got: dict[int, float]) -> Latency:
    """arrival − commit (s → ms) for every sent key; keys never received count as missing."""
    values = [(got[k] - t) * 1000 for k, t in sent.items() if k in got]
    return Latency(label, values, missing=sum(k not in got for k in sent))


# --- CPU accounting ------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a process (Linux /proc), None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine since boot."""
    parts = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    total = sum(parts[:8])
    idle = parts[3] + parts[4]
    return total - idle, total


@dataclass(slots=True)
class CpuMeter:
    """CPU spent by some processes (and by the whole machine) between start and stop."""

    pids: dict[str, Callable[[], list[int]]]
    before: dict[str, dict[int, float]] = field(default_factory=dict)
    machine: tuple[float, float] = (0.0, 0.0)

    def start(self) -> None:
        self.before = {
            name: {pid: process_cpu(pid) or 0.0 for pid in get()} for name, get in self.pids.items()
        }
        self.machine = machine_cpu()

    def stop(self) -> tuple[dict[str, float], float, float]:
        """CPU seconds per group; the machine's busy fraction meanwhile, and the part of it
        that none of the groups accounts for (other work on the machine)."""
        spent: dict[str, float] = {}
        for name, get in self.pids.items():
            before = self.before.get(name, {})
            total = 0.0
            for pid in set(get()) | set(before):
                now = process_cpu(pid)
                if now is not None:
                    total += now - before.get(pid, 0.0)
            spent[name] = total
        busy, total = machine_cpu()
        d_total = total - self.machine[1]
        if not d_total:
            return spent, math.nan, math.nan
        d_busy = busy - self.machine[0]
        ours = sum(spent.values()) * _TICK
        return spent, d_busy / d_total, max(d_busy - ours, 0.0) / d_total


# --- database ------------------------------------------------------------------------------


@contextmanager
def database(url: str | None) -> Iterator[str]:
    """The given URL, or an embedded PostgreSQL in a temporary directory, deleted after."""
    if url:
        yield url
        return
    from arch_stats.core.embedded import start_embedded

    base = Path(tempfile.mkdtemp(prefix="asbench"))  # short: unix socket path limit
    say(f"starting an embedded PostgreSQL in {base}")
    server = start_embedded(base, cleanup="delete")
    try:
        yield server.dsn
    finally:
        say("stopping the embedded PostgreSQL")
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


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


@dataclass(frozen=True, slots=True)
class Archer:
    id: UUID
    token: str
    arrows: list[UUID]


async def make_archer(conn: Connection) -> Archer:
    token = PREFIX_LOGIN + secrets.token_urlsafe(32)
    async with conn.transaction():
        archer_id: UUID = await conn.fetchval(
            "INSERT INTO archer (email, password_hash, name) VALUES ($1, 'x', 'Live Bench') "
            "RETURNING id",
            f"bench-live-{secrets.token_hex(4)}@example.test",
        )
        await conn.execute(
            "INSERT INTO auth_token (archer_id, token_hash, scope, expires_at) "
            "VALUES ($1, $2, 'login', now() + interval '1 day')",
            archer_id,
            token_hash(token),
        )
        arrows = [
            await conn.fetchval(
                "INSERT INTO arrow (archer_id, identifier) VALUES ($1, $2) RETURNING id",
                archer_id,
                f"A{n:02d}",
            )
            for n in range(1, 7)
        ]
    return Archer(archer_id, token, arrows)


async def open_session(conn: Connection, archer: Archer) -> tuple[UUID, UUID]:
    """Close the archer's open session, if any, and open a new one with a target and face."""
    async with conn.transaction():
        await conn.execute(
            "UPDATE session SET is_open = false, end_time = now() WHERE archer_id = $1 AND is_open",
            archer.id,
        )
        session_id: UUID = await conn.fetchval(
            "INSERT INTO session (archer_id, distance_m, arrows_per_end) VALUES ($1, 70, 6) "
            "RETURNING id",
            archer.id,
        )
        target_id: UUID = await conn.fetchval(
            "INSERT INTO target (session_id, archer_id, distance_m, view_width_mm, "
            "view_height_mm) VALUES ($1, $2, 70, $3, $3) RETURNING id",
            session_id,
            archer.id,
            VIEW_MM,
        )
        await conn.execute(
            "INSERT INTO target_face (target_id, face_index, face_type, center_x_mm, "
            "center_y_mm) VALUES ($1, 0, 'wa_122', $2, $2)",
            target_id,
            CENTRE_MM,
        )
    return session_id, target_id


async def make_club(conn: Connection, archers: list[Archer]) -> UUID:
    """A club with the first archer as owner and the others as members (one transaction)."""
    async with conn.transaction():
        club_id: UUID = await conn.fetchval(
            "INSERT INTO club (name) VALUES ($1) RETURNING id", f"Bench {secrets.token_hex(3)}"
        )
        await conn.executemany(
            "INSERT INTO club_member (club_id, archer_id, role) VALUES ($1, $2, $3)",
            [(club_id, a.id, "owner" if i == 0 else "member") for i, a in enumerate(archers)],
        )
    return club_id


async def remove_archer(conn: Connection, archer: Archer) -> None:
    async with conn.transaction():
        await conn.execute("DELETE FROM shot WHERE archer_id = $1", archer.id)
        await conn.execute("DELETE FROM archer WHERE id = $1", archer.id)


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


# --- pacing and inserts ----------------------------------------------------------------------


async def pace(start: float, slot: float) -> None:
    """Sleep until `start + slot` on the loop's clock."""
    loop = asyncio.get_running_loop()
    delay = start + slot - loop.time()
    if delay > 0:
        await asyncio.sleep(delay)


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


async def measure_live(
    dsn: str,
    *,
    port: int,
    server_pid: int,
    archer: Archer,
    subscribers: int,
    shots: int,
    rate: float,
    deflate: bool,
    env: dict[str, str],
) -> LiveResult:
    conn = await migrations.connect(dsn)
    probe = await migrations.connect(dsn)
    rng = random.Random(subscribers)
    session_id, target_id = await open_session(conn, archer)
    url = f"ws://{HOST}:{port}/api/v0/ws?session_id={session_id}"
    args = ["ws", f"--url={url}", f"--clients={subscribers}"]
    if not deflate:
        args.append("--no-deflate")
    receiver = Receiver(
        args, {**env, "BENCH_LIVE_TOKEN": archer.token}, (shots + WARMUP_SHOTS) / rate + 180
    )
    notes: list[tuple[float, str]] = []

    def on_live(_c: object, _pid: int, _ch: str, payload: object) -> None:
        notes.append((time.time(), str(payload)))

    async def backend_pids() -> list[int]:
        rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL")
        return [r["pid"] for r in rows]

    try:
        await probe.add_listener(LIVE_CHANNEL, on_live)
        await receiver.start()
        pg_pids = await backend_pids()
        receiver_pid = receiver.pid or 0
        meter = CpuMeter(
            {
                "server": lambda: [server_pid],
                "clients": lambda: [receiver_pid],
                "inserter": lambda: [os.getpid()],
                "postgres": lambda: pg_pids,
            }
        )
        sent: dict[int, float] = {}
        start = asyncio.get_running_loop().time()
        last_key = 0
        for i in range(WARMUP_SHOTS + shots):
            if i == WARMUP_SHOTS:
                meter.start()
            await pace(start, i / rate)
            a = now_us()
            triple = [
                EventRow(session_id, "arrow", "arrow_identified", at_us(a - 3000),
                         rng.choice(archer.arrows)),
                EventRow(session_id, "bow", "arrow_engaged", at_us(a - 2000)),
                EventRow(session_id, "bow", "arrow_released", at_us(a - 1000)),
            ]  # fmt: skip
            await sensors_repo.insert_events(conn, archer.id, triple)
            await pace(start, (i + 0.5) / rate)
            last_key = now_us()
            landing = EventRow(
                session_id,
                "target",
                "arrow_landed",
                at_us(last_key),
                None,
                target_id,
                CENTRE_MM + rng.gauss(0, 80),
                CENTRE_MM + rng.gauss(0, 80),
            )
            await sensors_repo.insert_events(conn, archer.id, [landing])
            committed = time.time()
            if i >= WARMUP_SHOTS:
                sent[last_key] = committed
        pg_pids = sorted(set(pg_pids) | set(await backend_pids()))
        await asyncio.sleep(0.2)  # the last shot's work, then CPU (while the clients still run)
        cpu, busy, other = meter.stop()
        report = await receiver.stop(last_key, GRACE_S)

        # The database's own timestamps of each shot (same machine clock).
        rows = await conn.fetch(
            "SELECT landed_at, created_at FROM shot WHERE session_id = $1", session_id
        )
        tx_at = {_key(r["landed_at"]): r["created_at"].timestamp() for r in rows}
        made = await conn.fetchval(
            "SELECT count(*) FROM sensor_event WHERE session_id = $1 AND outcome = 'shot'",
            session_id,
        )
        if made != 4 * (WARMUP_SHOTS + shots):
            say(f"  warning: {made} events became shots, {4 * (WARMUP_SHOTS + shots)} expected")
    finally:
        await receiver.kill()
        await probe.close()
        await conn.close()

    notified: dict[int, float] = {}
    for t, payload in notes:
        parsed = orjson.loads(payload)  # one note, or a list of them (one per shot)
        for note in parsed if isinstance(parsed, list) else [parsed]:
            if note.get("type") == "shot.created" and note["data"].get("landed_at"):
                notified.setdefault(landed_key(note["data"]["landed_at"]), t)

    clients: list[dict[int, float]] = [dict(c) for c in report["clients"]]
    every: list[float] = []
    first: dict[int, float] = {}
    last: dict[int, float] = {}
    missing = 0
    for got in clients:
        for key, committed in sent.items():
            if key not in got:
                missing += 1
                continue
            t = got[key]
            every.append((t - committed) * 1000)
            first[key] = min(first.get(key, t), t)
            last[key] = max(last.get(key, t), t)
    # A shot's "last receipt" exists only if every client got it.
    complete = {k: t for k, t in last.items() if all(k in got for got in clients)}
    n = len(sent)
    cpu_per_shot = {name: seconds * 1000 / n for name, seconds in cpu.items()}
    label = f"{subscribers} subscriber{'s' if subscribers != 1 else ''}"
    return LiveResult(
        subscribers=subscribers,
        shots=n,
        every=Latency(f"Arch Stats, {label}: every receipt", every, missing),
        last=latencies(f"Arch Stats, {label}: last receipt per shot", sent, complete),
        first=latencies(f"Arch Stats, {label}: first receipt per shot", sent, first),
        to_tx=latencies("  landing commit → assembler write tx begins", sent, tx_at),
        to_notify=latencies("  landing commit → shot NOTIFY at a bare listener", sent, notified),
        notify_to_first=Latency(
            "  shot NOTIFY → first WebSocket receipt",
            [(first[k] - notified[k]) * 1000 for k in sent if k in first and k in notified],
        ),
        notify_to_last=Latency(
            "  shot NOTIFY → last WebSocket receipt",
            [(complete[k] - notified[k]) * 1000 for k in sent if k in complete and k in notified],
        ),
        cpu_ms_per_shot=cpu_per_shot,
        machine_busy=busy,
        other_load=other,
        frames=report["frames"],
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


async def _http_post(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> int:
    from bench.api.pyload import read_response

    writer.write(raw)
    status, _ = await read_response(reader)
    return status


@dataclass(slots=True)
class _Posted:
    """What a paced run of POSTs measured, by key (the notification's or frame's)."""

    sent: dict[int, float] = field(default_factory=dict)  # request written
    answered: dict[int, float] = field(default_factory=dict)  # its answer read
    commits: list[float] = field(default_factory=list)  # a bare durable INSERT, ms


async def _paced_posts(
    conn: Connection,
    port: int,
    *,
    path: str,
    headers: str,
    count: int,
    rate: float,
    meter: CpuMeter,
    body: Callable[[int], tuple[int, bytes]],
) -> tuple[_Posted, int]:
    """WARMUP_SHOTS + `count` POSTs of `body(i)` (its key and bytes) to `path` at `rate`, one
    at a time over one keep-alive connection, each after a bare durable INSERT timed on
    `conn` (what a commit costs at that moment); `meter` starts after the warm-up. Returns
    the measured POSTs and the last key."""
    await conn.execute("CREATE TABLE IF NOT EXISTS bench_live_commit (id bigserial PRIMARY KEY)")
    reader, writer = await asyncio.open_connection(HOST, port)
    out = _Posted()
    key = 0
    try:
        start = asyncio.get_running_loop().time()
        for i in range(WARMUP_SHOTS + count):
            if i == WARMUP_SHOTS:
                meter.start()
            await pace(start, i / rate)
            c0 = time.time()
            await conn.execute("INSERT INTO bench_live_commit DEFAULT VALUES")
            if i >= WARMUP_SHOTS:
                out.commits.append((time.time() - c0) * 1000)
            key, data = body(i)
            head = (
                f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n{headers}"
                f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
            )
            t0 = time.time()
            status = await _http_post(reader, writer, head.encode() + data)
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
        cpu_ms_per_shot={name: seconds * 1000 / n for name, seconds in cpu.items()},
    )


async def measure_post(
    dsn: str,
    *,
    port: int,
    server_pid: int,
    archer: Archer,
    shots: int,
    rate: float,
    deflate: bool,
    env: dict[str, str],
) -> PostResult:
    """One subscriber; one shot per POST /shot at `rate`, over one keep-alive connection, as
    a phone entering arrows by hand. Timed from the moment the request is written."""
    conn = await migrations.connect(dsn)
    try:
        session_id, target_id = await open_session(conn, archer)
    finally:
        await conn.close()
    url = f"ws://{HOST}:{port}/api/v0/ws?session_id={session_id}"
    posted, got, cpu = await _posts_to_clients(
        dsn,
        port=port,
        server_pid=server_pid,
        receiver_args=["ws", f"--url={url}", *([] if deflate else ["--no-deflate"])],
        clients=1,
        token=archer.token,
        path="/api/v0/shot",
        headers=f"Authorization: Bearer {archer.token}\r\n",
        body=_shot_body(session_id, target_id, random.Random(7)),
        shots=shots,
        rate=rate,
        env=env,
    )
    labels = (
        "POST /shot sent → shot.created, 1 subscriber",
        "  POST /shot sent → its answer",
        "  answer at the poster → shot.created at the subscriber",
    )
    return _post_result(labels, posted, got[0], cpu[0])


async def measure_ceiling_post(
    dsn: str, *, port: int, server_pid: int, shots: int, rate: float
) -> PostResult:
    """The simplest writer's live path, measured as `measure_post`: POST /write_notify of the
    ceiling (bench/api/ceiling.py: bare Starlette + asyncpg, a durable one-row INSERT whose row
    trigger NOTIFYs it, the original backend's design) → the notification at a bare LISTEN
    connection here (no WebSocket hop: the ceiling has none)."""
    from bench.api.ceiling import WRITE_NOTIFY_PATH, WRITE_TABLES

    conn = await migrations.connect(dsn)
    listener = await migrations.connect(dsn)
    await conn.execute(WRITE_TABLES)
    session_id = uuid4()
    await conn.execute("INSERT INTO bench_write_session (id) VALUES ($1)", session_id)
    got: dict[int, float] = {}

    everything = asyncio.Event()  # every POST's notification has come

    def on_note(_c: object, _pid: int, _ch: str, payload: object) -> None:
        at = time.time()
        got[round(orjson.loads(str(payload))["y_mm"] * 1000)] = at
        if len(got) >= WARMUP_SHOTS + shots:
            everything.set()

    def body(i: int) -> tuple[int, bytes]:
        key = 100_000 + i  # y_mm × 1000: the notification's key
        row = {"session_id": str(session_id), "x_mm": CENTRE_MM, "y_mm": key / 1000, "score": 9}
        return key, orjson.dumps(row)

    await listener.add_listener("bench_write", on_note)
    try:
        pg_pids = [r["pid"] for r in await conn.fetch("SELECT pid FROM pg_stat_activity")]
        meter = CpuMeter(
            {
                "server": lambda: [server_pid],
                "poster": lambda: [os.getpid()],
                "postgres": lambda: pg_pids,
            }
        )
        posted, _ = await _paced_posts(
            conn,
            port,
            path=WRITE_NOTIFY_PATH,
            headers="",
            count=shots,
            rate=rate,
            meter=meter,
            body=body,
        )
        cpu, _, _ = meter.stop()
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
    dsn: str,
    *,
    port: int,
    server_pid: int,
    receiver_args: list[str],
    clients: int,
    token: str | None,
    path: str,
    headers: str,
    body: Callable[[int], tuple[int, bytes]],
    shots: int,
    rate: float,
    env: dict[str, str],
) -> tuple[_Posted, list[dict[int, float]], tuple[dict[str, float], float, float]]:
    """`_paced_posts` to `path` while `clients` WebSocket clients (`receiver_args`, keyed by
    the shot's `landed_at`; at most CLIENTS_PER_RECEIVER per receiver process) receive each
    post's frame: the posts, each client's arrivals by key, and what the CPU meter measured
    (`CpuMeter.stop`)."""
    conn = await migrations.connect(dsn)
    per = math.ceil(clients / math.ceil(clients / CLIENTS_PER_RECEIVER))
    receivers = [
        Receiver(
            [*receiver_args, f"--clients={min(per, clients - first)}"],
            {**env, "BENCH_LIVE_TOKEN": token or ""},  # the ceiling asks for none
            (shots + WARMUP_SHOTS) / rate + 180,
        )
        for first in range(0, clients, per)
    ]
    try:
        for receiver in receivers:
            await receiver.start()
        pg_pids = [r["pid"] for r in await conn.fetch("SELECT pid FROM pg_stat_activity")]
        meter = CpuMeter(
            {
                "server": lambda: [server_pid],
                "clients": lambda: [r.pid or 0 for r in receivers],
                "poster": lambda: [os.getpid()],
                "postgres": lambda: pg_pids,
            }
        )
        posted, last_key = await _paced_posts(
            conn, port, path=path, headers=headers, count=shots, rate=rate, meter=meter, body=body
        )
        measured = meter.stop()
        reports = await asyncio.gather(*(r.stop(last_key, GRACE_S) for r in receivers))
    finally:
        for receiver in receivers:
            await receiver.kill()
        await conn.close()
    return posted, [dict(c) for report in reports for c in report["clients"]], measured


def _fan_result(
    label: str,
    posted: _Posted,
    got: list[dict[int, float]],
    measured: tuple[dict[str, float], float, float],
) -> FanResult:
    cpu, busy, other = measured
    every = [(g[k] - t) * 1000 for g in got for k, t in posted.sent.items() if k in g]
    missing = sum(k not in g for g in got for k in posted.sent)
    last = {k: max(g[k] for g in got) for k in posted.sent if all(k in g for g in got)}
    return FanResult(
        clients=len(got),
        every=Latency(f"{label}: every receipt", every, missing),
        last=latencies(f"{label}: last receipt per shot", posted.sent, last),
        cpu_ms_per_shot={name: sec * 1000 / len(posted.sent) for name, sec in cpu.items()},
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


async def measure_board_post(
    dsn: str,
    *,
    port: int,
    server_pid: int,
    archer: Archer,
    viewers: int,
    shots: int,
    rate: float,
    deflate: bool,
    env: dict[str, str],
) -> FanResult:
    """The archer enters shots by hand (POST /shot at `rate`) while `viewers` members' boards
    of their club (all in one receiver process) watch: to each board's `board.shot.created`."""
    conn = await migrations.connect(dsn)
    try:
        session_id, target_id = await open_session(conn, archer)
        club_id = await make_club(conn, [archer])
    finally:
        await conn.close()
    url = f"ws://{HOST}:{port}/api/v0/ws?club_id={club_id}"
    posted, got, cpu = await _posts_to_clients(
        dsn,
        port=port,
        server_pid=server_pid,
        receiver_args=["ws", "--board", f"--url={url}", *([] if deflate else ["--no-deflate"])],
        clients=viewers,
        token=archer.token,
        path="/api/v0/shot",
        headers=f"Authorization: Bearer {archer.token}\r\n",
        body=_shot_body(session_id, target_id, random.Random(viewers)),
        shots=shots,
        rate=rate,
        env=env,
    )
    return _fan_result(f"POST /shot → board frame, {viewers:,} board viewers", posted, got, cpu)


async def measure_session_post(
    dsn: str,
    *,
    port: int,
    server_pid: int,
    archer: Archer,
    subscribers: int,
    shots: int,
    rate: float,
    deflate: bool,
    env: dict[str, str],
) -> FanResult:
    """The archer enters shots by hand (POST /shot at `rate`) while `subscribers` clients of
    the session's live channel watch: to each one's `shot.created` (the `stats.updated` frames
    that follow are received, and only counted)."""
    conn = await migrations.connect(dsn)
    try:
        session_id, target_id = await open_session(conn, archer)
    finally:
        await conn.close()
    url = f"ws://{HOST}:{port}/api/v0/ws?session_id={session_id}"
    posted, got, cpu = await _posts_to_clients(
        dsn,
        port=port,
        server_pid=server_pid,
        receiver_args=["ws", f"--url={url}", *([] if deflate else ["--no-deflate"])],
        clients=subscribers,
        token=archer.token,
        path="/api/v0/shot",
        headers=f"Authorization: Bearer {archer.token}\r\n",
        body=_shot_body(session_id, target_id, random.Random(subscribers)),
        shots=shots,
        rate=rate,
        env=env,
    )
    label = f"POST /shot → shot.created, {subscribers} subscribers"
    return _fan_result(label, posted, got, cpu)


async def measure_ceiling_ws(
    dsn: str,
    *,
    port: int,
    server_pid: int,
    subscribers: int,
    shots: int,
    rate: float,
    deflate: bool,
    env: dict[str, str],
) -> FanResult:
    """The simplest writer's live path to WebSocket clients: POST /write_notify of the ceiling
    (a durable INSERT whose trigger NOTIFYs it) → its `/ws_notify` frame at each subscriber."""
    from bench.api.ceiling import WRITE_NOTIFY_PATH, WRITE_TABLES, WS_NOTIFY_PATH

    conn = await migrations.connect(dsn)
    try:
        await conn.execute(WRITE_TABLES)
        session_id = uuid4()
        await conn.execute("INSERT INTO bench_write_session (id) VALUES ($1)", session_id)
    finally:
        await conn.close()
    url = f"ws://{HOST}:{port}{WS_NOTIFY_PATH}"
    posted, got, cpu = await _posts_to_clients(
        dsn,
        port=port,
        server_pid=server_pid,
        receiver_args=["ws", f"--url={url}", *([] if deflate else ["--no-deflate"])],
        clients=subscribers,
        token=None,
        path=WRITE_NOTIFY_PATH,
        headers="",
        body=_shot_body(session_id, None, random.Random(subscribers)),
        shots=shots,
        rate=rate,
        env=env,
    )
    label = f"ceiling: POST /write_notify → WebSocket frame, {subscribers} subscribers"
    return _fan_result(label, posted, got, cpu)


@dataclass(slots=True)
class Fans:
    """The phases of `fan_phases`."""

    sessions: list[FanResult] = field(default_factory=list)
    boards: list[FanResult] = field(default_factory=list)
    ceilings: list[FanResult] = field(default_factory=list)


async def fan_phases(
    dsn: str,
    args: argparse.Namespace,
    *,
    server: tuple[int, int],
    ceiling: tuple[int, int],
    archer: Archer,
    shots: int,
    env: dict[str, str],
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
    for phase in phases:
        if phase == "session":
            say(f"POST /shot → shot.created, {args.session_subscribers} subscribers")
            fan = await measure_session_post(
                dsn,
                port=server[0],
                server_pid=server[1],
                archer=archer,
                subscribers=args.session_subscribers,
                shots=shots,
                rate=args.rate,
                deflate=not args.no_deflate,
                env=env,
            )
            fans.sessions.append(fan)
        elif phase == "board":
            say(f"POST /shot → board frames, {args.board_viewers:,} board viewers")
            fan = await measure_board_post(
                dsn,
                port=server[0],
                server_pid=server[1],
                archer=archer,
                viewers=args.board_viewers,
                shots=shots,
                rate=args.rate,
                deflate=not args.no_deflate,
                env=env,
            )
            fans.boards.append(fan)
        else:
            say(f"ceiling: POST /write_notify → WebSocket, {args.ceiling_subscribers} subscribers")
            fan = await measure_ceiling_ws(
                dsn,
                port=ceiling[0],
                server_pid=ceiling[1],
                subscribers=args.ceiling_subscribers,
                shots=shots,
                rate=args.rate,
                deflate=not args.no_deflate,
                env=env,
            )
            fans.ceilings.append(fan)
        say(
            f"  {WARMUP_SHOTS} warm-up + {shots} shots at {args.rate:g}/s; every receipt p50 "
            f"{fan.every.p50:.2f} ms, p99 {fan.every.p99:.2f} ms, {fan.every.missing} missing"
        )
    return fans


def _key(ts: datetime) -> int:
    return int(ts.timestamp()) * 1_000_000 + ts.microsecond


# --- the server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def child(
    name: str,
    command: list[str],
    env: dict[str, str],
    logs: Path,
    *,
    stop: signal.Signals = signal.SIGTERM,
) -> Iterator[int]:
    """A subprocess of ours, its output in `logs`; yields its pid, stops it (only it) after."""
    log_path = logs / f"{name}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    say(f"{name}: pid {proc.pid} (log {log_path})")
    try:
        time.sleep(0.1)
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited ({proc.returncode}):\n{_tail(log_path)}")
        yield proc.pid
    finally:
        if proc.poll() is None:
            proc.send_signal(stop)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        say(f"{name}: stopped (pid {proc.pid})")
        warnings = [
            line for line in log_path.read_text(errors="replace").splitlines()
            if '"WARNING"' in line or '"ERROR"' in line or "Traceback" in line
        ]  # fmt: skip
        if warnings:
            say(f"{name}: {len(warnings)} warning/error line(s) in its log, the last ones:")
            for line in warnings[-10:]:
                say(f"  {line[:300]}")


@contextmanager
def uvicorn_server(
    env: dict[str, str],
    logs: Path,
    *,
    profile: Path | None = None,
    factory: str = "bench.api.serve:create_app",
    ready: str = "/api/health",
    name: str = "arch-stats",
) -> Iterator[tuple[int, int]]:
    """Arch Stats under uvicorn as `arch-stats serve` runs it; yields (port, pid).

    With `profile`, under cProfile (written there when the server stops): a diagnostic, it
    slows the server down."""
    port = free_port()
    prefix = ["-m", "cProfile", "-o", str(profile)] if profile else []
    command = [
        sys.executable, *prefix, "-m", "uvicorn", factory, "--factory",
        f"--app-dir={ROOT}", f"--host={HOST}", f"--port={port}", "--workers=1",
        *uvicorn_flags(), "--log-level=warning",
    ]  # fmt: skip
    # uvicorn re-raises SIGTERM after its shutdown, which would lose cProfile's output.
    stop = signal.SIGINT if profile else signal.SIGTERM
    with child(name, command, env, logs, stop=stop) as pid:
        say(f"{name}: uvicorn on http://{HOST}:{port}")
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://{HOST}:{port}{ready}", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or process_cpu(pid) is None:
                raise RuntimeError(
                    f"the server is not ready after 60 s:\n{_tail(logs / f'{name}.log')}"
                )
            time.sleep(0.2)
        yield port, pid


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


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
    cpu = ", ".join(f"{k} {v:.2f}" for k, v in live.cpu_ms_per_shot.items())
    lines.append(
        f"  CPU ms per shot: {cpu}; machine busy {live.machine_busy:.0%} "
        f"(other work {live.other_load:.0%}); "
        f"{live.frames:,} frames received (every type)"
        f"{'' if live.deflate else '; permessage-deflate off'}"
    )
    return lines


def _post_rows(posts: list[PostResult], ceilings: list[PostResult], fans: Fans) -> list[str]:
    """The table's rows of the hand-entered shots' phases."""
    lines: list[str] = []
    for post in posts:
        lines += ["", post.to_frame.row(), post.to_answer.row(), post.after_answer.row()]
        lines.append(post.commit.row())
        cpu = ", ".join(f"{k} {v:.2f}" for k, v in post.cpu_ms_per_shot.items())
        lines.append(f"  CPU ms per shot: {cpu}")
    for post in ceilings:
        lines += ["", post.to_frame.row(), post.to_answer.row(), post.after_answer.row()]
        lines.append(post.commit.row())
        cpu = ", ".join(f"{k} {v:.2f}" for k, v in post.cpu_ms_per_shot.items())
        lines.append(f"  CPU ms per write: {cpu}")
    for fan in [*fans.ceilings, *fans.sessions, *fans.boards]:
        lines += ["", fan.every.row(), fan.last.row()]
        cpu = ", ".join(f"{k} {v:.2f}" for k, v in fan.cpu_ms_per_shot.items())
        lines.append(
            f"  CPU ms per shot: {cpu}; machine busy {fan.machine_busy:.0%} "
            f"(other work {fan.other_load:.0%})"
        )
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
    lines = [*header, ""]
    lines.append(
        f"{'latency, ms':<52} {'receipts':>8} {'p50':>8} {'p99':>8} {'max':>8} {'missing':>8}"
    )
    lines.append("-" * 97)
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
    busy = [load for load in loads if load > NOISY]
    if busy:
        lines += [
            "",
            f"note: other work used more than {NOISY:.0%} of the machine's CPU during "
            f"{len(busy)} phase(s): these latencies are not the service's; run again.",
        ]

    verdicts: list[bool] = []
    lines += ["", "targets:"]
    if lives and floor_all.values:
        live = max(lives, key=lambda r: r.subscribers)
        limit = floor_all.p99 + MARGIN_MS
        ok = live.every.p99 <= limit and live.every.missing == 0
        verdicts.append(ok)
        lines.append(
            f"  {'PASS' if ok else 'FAIL'}  live p99 with {live.subscribers} "
            f"subscriber{'s' if live.subscribers != 1 else ''}, every "
            f"receipt: {live.every.p99:.2f} ms (target ≤ floor p99 {floor_all.p99:.2f} + "
            f"{MARGIN_MS:g} = {limit:.2f} ms"
            f"{f'; {live.every.missing} receipts missing' if live.every.missing else ''})"
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
        p50 = percentile(everything, 0.5) if everything else math.nan
        ok = p50 <= POST_P50_MS and not missing
        verdicts.append(ok)
        lines.append(
            f"  {'PASS' if ok else 'FAIL'}  POST /shot → shot.created at 1 subscriber: p50 "
            f"{p50:.2f} ms (target ≤ {POST_P50_MS:g} ms){f'; {missing} missing' if missing else ''}"
        )
        base = [v for c in ceilings or [] for v in c.to_frame.values]
        if base:
            b50 = percentile(base, 0.5)
            lines.append(
                f"        (the ceiling's POST → NOTIFY p50 {b50:.2f} ms, same run: POST /shot → "
                f"shot.created is {p50 / b50:.2f}× it, {p50 - b50:+.2f} ms)"
            )
    for measured, what in ((fans.sessions, "shot.created"), (fans.boards, "board frame")):
        if measured and fans.ceilings:
            lines += _vs_ceiling(measured, fans.ceilings, what, verdicts)
    if assembler is not None:
        verdicts.append(assembler.passed)
        lines.append(
            f"  {'PASS' if assembler.passed else 'FAIL'}  assembler: "
            f"{assembler.events_per_s:,.0f} events/s (target ≥ 2,000 events/s)"
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
        f"  {'PASS' if ok else 'FAIL'}  POST /shot → {what} at {clients}, every receipt: p99 "
        f"{p99:.2f} ms = {p99 / b99:.2f}× the simplest writer's POST → NOTIFY → WebSocket at "
        f"{ceilings[0].clients} subscribers, p99 {b99:.2f} ms (target ≤ {VS_CEILING:g}×)"
        f"{f'; {missing} receipts missing' if missing else ''}"
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
        "--database-url",
        help="a disposable PostgreSQL instead of an embedded one; what the "
        "benchmark adds is removed afterwards (no other assembler may run on it)",
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
    p.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    p.add_argument("--strict", action="store_true", help="exit 1 unless every target passes")
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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    shots = max(1, round(args.duration * args.rate))
    try:
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:
        runner = asyncio.Runner()

    floors: list[Latency] = []
    lives: list[LiveResult] = []
    posts: list[PostResult] = []
    ceilings: list[PostResult] = []
    fans = Fans()  # shots watched by many, and the simplest writer's before and after
    assembler: AssemblerResult | None = None
    with ExitStack() as stack:
        stack.enter_context(runner)
        dsn = stack.enter_context(database(args.database_url))
        env = {**os.environ, "DATABASE_URL": dsn, "ASSEMBLER_ENABLED": "true"}
        env.pop("BENCH_LIVE_TOKEN", None)

        async def prepare() -> Archer:
            conn = await migrations.connect(dsn)
            try:
                applied = await migrations.up(conn)
                say(f"migrations: {len(applied)} applied")
                return await make_archer(conn)
            finally:
                await conn.close()

        async def cleanup(archer: Archer) -> None:
            conn = await migrations.connect(dsn)
            try:
                await conn.execute(FLOOR_DROP_SQL)
                await remove_archer(conn, archer)
            finally:
                await conn.close()

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
            floors.append(result)

        floor("first")
        with ExitStack() as server_stack:
            logs = Path(server_stack.enter_context(tempfile.TemporaryDirectory(prefix="aslive")))
            server_env = env
            if args.assembler == "separate":
                server_env = {**env, "ASSEMBLER_ENABLED": "false"}
                command = [sys.executable, "-m", "arch_stats", "assemble"]
                server_stack.enter_context(child("assembler", command, env, logs))
            port, pid = server_stack.enter_context(
                uvicorn_server(
                    server_env,
                    logs,
                    profile=args.profile_server,
                    factory="bench.live.serve:without_stats_push"
                    if args.no_stats_push
                    else "bench.api.serve:create_app",
                )
            )
            runner.run(wait_for_assembler(dsn))
            ceiling: tuple[int, int] | None = None
            # Up for the POST phases only (idle, it would still be load for the others).
            ceiling_stack = server_stack.enter_context(ExitStack())
            if args.posts and not args.no_post_ceiling:
                ceiling = ceiling_stack.enter_context(
                    uvicorn_server(
                        env,
                        logs,
                        factory="bench.api.ceiling:create_app",
                        ready="/select1",
                        name="ceiling",
                    )
                )
            for round_ in range(args.posts):
                say(
                    f"POST /shot, 1 subscriber ({round_ + 1}/{args.posts}): {WARMUP_SHOTS} "
                    f"warm-up + {shots} shots at {args.rate:g}/s"
                )
                post = runner.run(
                    measure_post(
                        dsn,
                        port=port,
                        server_pid=pid,
                        archer=archer,
                        shots=shots,
                        rate=args.rate,
                        deflate=not args.no_deflate,
                        env=env,
                    )
                )
                say(
                    f"  p50 {post.to_frame.p50:.2f} ms, p99 {post.to_frame.p99:.2f} ms, "
                    f"{post.to_frame.missing} missing"
                )
                posts.append(post)
                if ceiling is not None:
                    say(f"ceiling: POST /write_notify → NOTIFY ({round_ + 1}/{args.posts})")
                    result = runner.run(
                        measure_ceiling_post(
                            dsn, port=ceiling[0], server_pid=ceiling[1], shots=shots, rate=args.rate
                        )
                    )
                    say(f"  p50 {result.to_frame.p50:.2f} ms, p99 {result.to_frame.p99:.2f} ms")
                    ceilings.append(result)
            if args.board_viewers or args.session_subscribers:
                if ceiling is None:
                    ceiling = ceiling_stack.enter_context(
                        uvicorn_server(
                            env,
                            logs,
                            factory="bench.api.ceiling:create_app",
                            ready="/select1",
                            name="ceiling",
                        )
                    )
                fans = runner.run(
                    fan_phases(
                        dsn,
                        args,
                        server=(port, pid),
                        ceiling=ceiling,
                        archer=archer,
                        shots=shots,
                        env=env,
                    )
                )
            ceiling_stack.close()
            for count in [] if args.no_sensor else args.subscriber_counts:
                say(
                    f"Arch Stats, {count} subscriber(s): {WARMUP_SHOTS} warm-up + {shots} shots "
                    f"at {args.rate:g}/s"
                )
                live = runner.run(
                    measure_live(
                        dsn,
                        port=port,
                        server_pid=pid,
                        archer=archer,
                        subscribers=count,
                        shots=shots,
                        rate=args.rate,
                        deflate=not args.no_deflate,
                        env=env,
                    )
                )
                say(
                    f"  every receipt p50 {live.every.p50:.2f} ms, p99 {live.every.p99:.2f} ms; "
                    f"last per shot p99 {live.last.p99:.2f} ms; {live.every.missing} missing"
                )
                lives.append(live)
        floor("last")
        if args.events:
            say(f"assembler: a burst of {args.events:,} events")
            assembler = runner.run(measure_assembler(dsn, events=args.events))

    load = os.getloadavg()
    header = [
        f"Arch Stats live benchmark — {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, load average "
        f"{load[0]:.1f} (1 min) at the end; 127.0.0.1",
        f"{shots} measured (+{WARMUP_SHOTS} warm-up) per phase at {args.rate:g}/s; server: "
        "uvicorn, 1 worker, uvloop, httptools, assembler "
        f"{'inside' if args.assembler == 'inside' else 'in a process of its own'}; "
        f"clients: websockets, one process{', no deflate' if args.no_deflate else ''}"
        f"{'; no stats.updated push (diagnostic)' if args.no_stats_push else ''}",
    ]
    lines, verdicts = report(header, floors, lives, assembler, posts, ceilings, fans=fans)
    print("\n".join(lines), flush=True)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "rate": args.rate,
                    "shots": shots,
                    "floors": [f.summary() for f in floors],
                    "live": [
                        {
                            "subscribers": r.subscribers,
                            "deflate": r.deflate,
                            "machine_busy": r.machine_busy,
                            "other_load": r.other_load,
                            "cpu_ms_per_shot": r.cpu_ms_per_shot,
                            **{
                                name: getattr(r, name).summary()
                                for name in (
                                    "every",
                                    "last",
                                    "first",
                                    "to_tx",
                                    "to_notify",
                                    "notify_to_first",
                                    "notify_to_last",
                                )
                            },
                        }
                        for r in lives
                    ],
                    "posts": [
                        {
                            "to_frame": p.to_frame.summary(),
                            "to_answer": p.to_answer.summary(),
                            "commit": p.commit.summary(),
                            "after_answer": p.after_answer.summary(),
                            "cpu_ms_per_shot": p.cpu_ms_per_shot,
                        }
                        for p in posts
                    ],
                    "session_posts": [
                        {
                            "subscribers": f.clients,
                            "every": f.every.summary(),
                            "last": f.last.summary(),
                            "cpu_ms_per_shot": f.cpu_ms_per_shot,
                        }
                        for f in fans.sessions
                    ],
                    "board_posts": [
                        {
                            "viewers": b.clients,
                            "every": b.every.summary(),
                            "last": b.last.summary(),
                            "cpu_ms_per_shot": b.cpu_ms_per_shot,
                        }
                        for b in fans.boards
                    ],
                    "ceiling_ws": [
                        {
                            "subscribers": c.clients,
                            "every": c.every.summary(),
                            "last": c.last.summary(),
                            "cpu_ms_per_shot": c.cpu_ms_per_shot,
                        }
                        for c in fans.ceilings
                    ],
                    "post_ceilings": [
                        {
                            "to_notify": p.to_frame.summary(),
                            "to_answer": p.to_answer.summary(),
                            "commit": p.commit.summary(),
                            "cpu_ms_per_write": p.cpu_ms_per_shot,
                        }
                        for p in ceilings
                    ],
                    "assembler": asdict(assembler) | {"events_per_s": assembler.events_per_s}
                    if assembler
                    else None,
                    "passed": all(verdicts),
                },
                indent=2,
            )
        )
    if args.strict and not all(verdicts):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Analysis benchmark: statistics, history and export on years of one archer's data.

    .venv/bin/python -m bench.history.run [--requests 200] [--database-url URL]

Starts an embedded PostgreSQL in a temporary directory (or uses --database-url), migrates
it, seeds one archer with 2,000 sessions and 150,000 shots by COPY (bench/history/seed.py),
serves Arch Stats with uvicorn on 127.0.0.1 (one process, uvloop, httptools, no access log,
no assembler) and measures, one request at a time over a keep-alive connection:

* GET /session/{id}/stats of a closed 72-arrow WA 720 (p50, p99 over --requests);
* GET /stats/history by session (2,000 rows), by week and by month (p50);
* GET /arrow/{id}/stats, the arrow that flies differently, by session and by month (p50);
* GET /export/shots.csv of all 150,000 shots, and of one year of them: rows/s, and the
  server process's resident memory (RSS, sampled every 5 ms) before and at its peak;
* GET /session/{id}/stats of one session of --big-shots shots (100,000 by default; another
  archer's, seeded by generate_series), --big-requests times, while another connection asks
  /api/health one request after another: how long the statistics take and how long
  /api/health waits meanwhile, against /api/health on an idle server (issue 11: 273,000
  shots took 8.6 s on the event loop and /api/health stalled up to 2.6 s).

Prints a table and the issue's targets as PASS/FAIL. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from arch_stats.core import migrations
from arch_stats.core.serving import uvicorn_flags
from bench.history.seed import SESSIONS, SHOTS, BigSession, Seeded, seed, seed_big_session

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[2]
API = "/api/v0"
SESSION_STATS_P50_MS = 10.0
HISTORY_P50_MS = 50.0
EXPORT_ROWS_PER_S = 100_000.0
HEALTH_UNDER_BIG_STATS_MAX_MS = 250.0


def say(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# --- database and server ---------------------------------------------------------------------


@contextmanager
def database(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    from arch_stats.core.embedded import start_embedded

    base = Path(tempfile.mkdtemp(prefix="ashist"))  # short: the socket path has a limit
    say(f"starting an embedded PostgreSQL in {base}")
    server = start_embedded(base, cleanup="delete")
    try:
        yield server.dsn
    finally:
        say("stopping the embedded PostgreSQL")
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


async def prepare(dsn: str, big_shots: int) -> tuple[Seeded, BigSession | None]:
    conn = await migrations.connect(dsn)
    try:
        applied = await migrations.up(conn)
        say(f"migrations: {len(applied)} applied; seeding {SESSIONS:,} sessions, {SHOTS:,} shots")
        started = time.perf_counter()
        seeded = await seed(conn, log=say)
        say(f"seeded in {time.perf_counter() - started:.1f} s")
        big = None
        if big_shots:
            started = time.perf_counter()
            big = await seed_big_session(conn, big_shots)
            took = time.perf_counter() - started
            say(f"one session of {big_shots:,} shots seeded in {took:.1f} s")
        return seeded, big
    finally:
        await conn.close()


async def unseed(dsn: str, archers: list[Any]) -> None:
    conn = await migrations.connect(dsn)
    try:
        async with conn.transaction():
            for archer_id in archers:
                await conn.execute("DELETE FROM shot WHERE archer_id = $1", archer_id)
                await conn.execute("DELETE FROM archer WHERE id = $1", archer_id)
    finally:
        await conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def server(dsn: str, logs: Path) -> Iterator[tuple[int, int]]:
    """uvicorn serving Arch Stats; yields (port, pid)."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "ACCESS_LOG": "false",
        "ASSEMBLER_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "arch_stats.app:create_app",
        "--factory",
        f"--host={HOST}",
        f"--port={port}",
        "--workers=1",
        *uvicorn_flags(),
        "--log-level=warning",
    ]
    log_path = logs / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    say(f"uvicorn pid {proc.pid} on http://{HOST}:{port} (log {log_path})")
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited ({proc.returncode}): {log_path.read_text()}")
            try:
                conn = http.client.HTTPConnection(HOST, port, timeout=5)
                conn.request("GET", "/api/ready")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready after 60 s: {log_path.read_text()}")
            time.sleep(0.2)
        yield port, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- measuring -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Latency:
    key: str
    label: str
    requests: int
    p50_ms: float
    p99_ms: float
    mean_ms: float
    bytes: int
    max_ms: float


@dataclass(frozen=True, slots=True)
class Export:
    key: str
    label: str
    rows: int
    bytes: int
    seconds: float
    rss_before_mb: float
    rss_peak_mb: float

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds

    @property
    def rss_growth_mb(self) -> float:
        return self.rss_peak_mb - self.rss_before_mb


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def latency(
    port: int, auth: dict[str, str], key: str, label: str, path: str, n: int, warmup: int = 5
) -> Latency:
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    times: list[float] = []
    size = 0
    for i in range(warmup + n):
        started = time.perf_counter()
        conn.request("GET", path, headers=auth)
        response = conn.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise RuntimeError(f"{label}: HTTP {response.status} {body[:300]!r}")
        if i >= warmup:
            times.append(elapsed)
            size = len(body)
    conn.close()
    result = Latency(
        key=key,
        label=label,
        requests=n,
        p50_ms=percentile(times, 0.5),
        p99_ms=percentile(times, 0.99),
        mean_ms=statistics.fmean(times),
        bytes=size,
        max_ms=max(times),
    )
    say(f"{label}: p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms ({n} requests)")
    return result


@dataclass(frozen=True, slots=True)
class UnderLoad:
    shots: int
    stats_ms: list[float]  # each GET /session/{id}/stats of the big session
    stats_bytes: int
    idle_health: Latency  # /api/health with nothing else running
    health_ms: list[float]  # /api/health answered while those ran

    @property
    def health_max_ms(self) -> float:
        return max(self.health_ms, default=0.0)


def under_load(port: int, auth: dict[str, str], shots: int, path: str, n: int) -> UnderLoad:
    """`n` requests of `path`, one after another, while a thread asks /api/health again and
    again on its own connection; the health latencies while they ran."""
    idle = latency(port, {}, "health_idle", "GET /api/health (idle)", "/api/health", 200)
    busy = threading.Event()
    done = threading.Event()
    health: list[float] = []

    def poll() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        while not done.is_set():
            started = time.perf_counter()
            conn.request("GET", "/api/health")
            conn.getresponse().read()
            elapsed = (time.perf_counter() - started) * 1000
            if busy.is_set():
                health.append(elapsed)
        conn.close()

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    conn = http.client.HTTPConnection(HOST, port, timeout=600)
    times: list[float] = []
    size = 0
    for _ in range(n):
        busy.set()
        started = time.perf_counter()
        conn.request("GET", path, headers=auth)
        response = conn.getresponse()
        body = response.read()
        times.append((time.perf_counter() - started) * 1000)
        busy.clear()
        if response.status != 200:
            raise RuntimeError(f"big session stats: HTTP {response.status} {body[:300]!r}")
        size = len(body)
    done.set()
    poller.join()
    conn.close()
    result = UnderLoad(shots, times, size, idle, health)
    say(
        f"stats of {shots:,} shots: {', '.join(f'{t:,.0f}' for t in times)} ms; /api/health "
        f"meanwhile: {len(health)} answers, max {result.health_max_ms:.1f} ms "
        f"(idle p99 {idle.p99_ms:.2f} ms)"
    )
    return result


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def export(port: int, pid: int, auth: dict[str, str], key: str, label: str, path: str) -> Export:
    before = rss_mb(pid)
    peak = before
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, rss_mb(pid))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    conn = http.client.HTTPConnection(HOST, port, timeout=300)
    started = time.perf_counter()
    conn.request("GET", path, headers=auth)
    response = conn.getresponse()
    if response.status != 200:
        raise RuntimeError(f"{label}: HTTP {response.status} {response.read()[:300]!r}")
    lines = size = 0
    while chunk := response.read(1 << 16):
        size += len(chunk)
        lines += chunk.count(b"\n")  # one per row: the seeded notes have no line breaks
    seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    conn.close()
    result = Export(
        key=key,
        label=label,
        rows=lines - 1,
        bytes=size,
        seconds=seconds,
        rss_before_mb=before,
        rss_peak_mb=peak,
    )
    say(
        f"{label}: {result.rows:,} rows, {size / 1e6:,.1f} MB in {seconds:.2f} s = "
        f"{result.rows_per_s:,.0f} rows/s; server RSS {before:.1f} → peak {peak:.1f} MB"
    )
    return result


# --- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.history.run",
        description="Benchmark session statistics, history, per-arrow history and CSV export.",
    )
    p.add_argument("--requests", type=int, default=200, help="session stats requests (≥ 200)")
    p.add_argument("--history-requests", type=int, default=50, help="requests per history view")
    p.add_argument(
        "--big-shots", type=int, default=100_000, help="shots of the large session (0: skip)"
    )
    p.add_argument("--big-requests", type=int, default=3, help="its statistics, how often")
    p.add_argument("--database-url", help="a disposable PostgreSQL instead of an embedded one")
    p.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    p.add_argument("--strict", action="store_true", help="exit 1 unless every target passes")
    args = p.parse_args(argv)
    if args.requests < 1 or args.history_requests < 1:
        p.error("--requests and --history-requests must be at least 1")
    return args


def verdicts(
    lat: dict[str, Latency], exports: dict[str, Export], big: UnderLoad | None
) -> list[tuple[bool, str]]:
    out = []
    s = lat["session_stats"]
    out.append(
        (
            s.p50_ms <= SESSION_STATS_P50_MS,
            f"session stats (72 arrows) p50 {s.p50_ms:.2f} ms "
            f"(target ≤ {SESSION_STATS_P50_MS:g} ms; p99 {s.p99_ms:.2f} ms)",
        )
    )
    for key in ("history_session", "history_week", "history_month"):
        h = lat[key]
        out.append(
            (h.p50_ms <= HISTORY_P50_MS, f"{h.label} p50 {h.p50_ms:.2f} ms (target ≤ 50 ms)")
        )
    e = exports["export_all"]
    out.append(
        (
            e.rows_per_s >= EXPORT_ROWS_PER_S,
            f"export of {e.rows:,} shots: {e.rows_per_s:,.0f} rows/s (target ≥ 100,000 rows/s)",
        )
    )
    part = exports["export_year"]
    # Memory that does not grow with the row count: four times the rows of a year's export,
    # within a few MB of its memory (the CSV itself is 60+ MB).
    flat = e.rss_growth_mb <= part.rss_growth_mb + 8
    out.append(
        (
            flat,
            f"export memory: server RSS +{e.rss_growth_mb:.1f} MB for {e.rows:,} rows "
            f"({e.bytes / 1e6:,.0f} MB sent), +{part.rss_growth_mb:.1f} MB for {part.rows:,} "
            "rows (target: not growing with the rows, ≤ +8 MB more)",
        )
    )
    if big is not None:
        out.append(
            (
                big.health_max_ms <= HEALTH_UNDER_BIG_STATS_MAX_MS,
                f"/api/health while the stats of {big.shots:,} shots run: max "
                f"{big.health_max_ms:.1f} ms over {len(big.health_ms)} answers "
                f"(target ≤ {HEALTH_UNDER_BIG_STATS_MAX_MS:g} ms; idle p99 "
                f"{big.idle_health.p99_ms:.2f} ms, max {big.idle_health.max_ms:.2f} ms)",
            )
        )
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logs = Path(tempfile.mkdtemp(prefix="ashist-logs"))
    with database(args.database_url) as dsn:
        seeded, big_session = asyncio.run(prepare(dsn, args.big_shots))
        auth = {"Authorization": seeded.auth_header}
        big = None
        try:
            with server(dsn, logs) as (port, pid):
                n, h = args.requests, args.history_requests
                stats = f"session/{seeded.session_72}/stats"
                arrow = f"arrow/{seeded.arrow_odd}/stats"
                hist = "stats/history"
                plan = [
                    ("session_stats", "GET /session/{id}/stats", stats, n),
                    ("history_session", "GET /stats/history (by session)", hist, h),
                    ("history_week", "GET /stats/history?group=week", f"{hist}?group=week", h),
                    ("history_month", "GET /stats/history?group=month", f"{hist}?group=month", h),
                    ("arrow_session", "GET /arrow/{id}/stats (by session)", arrow, h),
                    ("arrow_month", "GET /arrow/{id}/stats?group=month", f"{arrow}?group=month", h),
                ]  # fmt: skip
                lat = {
                    key: latency(port, auth, key, label, f"{API}/{path}", count)
                    for key, label, path, count in plan
                }
                exports = {}
                year = "?start_to=2022-12-31"
                for key, label, query in (
                    ("export_year", f"GET /export/shots.csv{year}", year),
                    ("export_all", "GET /export/shots.csv (all)", ""),
                    ("export_all_again", "GET /export/shots.csv (all, again)", ""),
                ):
                    exports[key] = export(
                        port, pid, auth, key, label, f"{API}/export/shots.csv{query}"
                    )
                if big_session is not None:
                    big = under_load(
                        port,
                        {"Authorization": big_session.auth_header},
                        args.big_shots,
                        f"{API}/session/{big_session.session_id}/stats",
                        args.big_requests,
                    )
        finally:
            if args.database_url:
                archers = [seeded.archer_id] + ([big_session.archer_id] if big_session else [])
                asyncio.run(unseed(dsn, archers))
    lines = [
        f"Arch Stats analysis benchmark — {SESSIONS:,} sessions, {SHOTS:,} shots, one archer",
        f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "",
        f"{'request':<40} {'n':>5} {'p50 ms':>9} {'p99 ms':>9} {'mean ms':>9} {'bytes':>10}",
        "-" * 86,
    ]
    for r in lat.values():
        lines.append(
            f"{r.label:<40} {r.requests:>5} {r.p50_ms:>9.2f} {r.p99_ms:>9.2f} "
            f"{r.mean_ms:>9.2f} {r.bytes:>10,}"
        )
    lines += [
        "",
        f"{'export':<40} {'rows':>8} {'MB':>7} {'s':>6} {'rows/s':>9} {'RSS MB':>16}",
        "-" * 91,
    ]
    for e in exports.values():
        lines.append(
            f"{e.label:<40} {e.rows:>8,} {e.bytes / 1e6:>7.1f} {e.seconds:>6.2f} "
            f"{e.rows_per_s:>9,.0f} {e.rss_before_mb:>7.1f} → {e.rss_peak_mb:>6.1f}"
        )
    if big is not None:
        ordered = sorted(big.stats_ms)
        lines += [
            "",
            f"GET /session/{{id}}/stats of {big.shots:,} shots ({big.stats_bytes / 1e6:.1f} MB): "
            f"{', '.join(f'{t:,.0f}' for t in big.stats_ms)} ms (median "
            f"{ordered[len(ordered) // 2]:,.0f} ms)",
            f"/api/health meanwhile: {len(big.health_ms)} answers, p50 "
            f"{percentile(big.health_ms, 0.5) if big.health_ms else 0:.2f} ms, p99 "
            f"{percentile(big.health_ms, 0.99) if big.health_ms else 0:.2f} ms, max "
            f"{big.health_max_ms:.2f} ms; idle: p50 {big.idle_health.p50_ms:.2f} ms, p99 "
            f"{big.idle_health.p99_ms:.2f} ms, max {big.idle_health.max_ms:.2f} ms",
        ]
    results = verdicts(lat, exports, big)
    lines += ["", "targets:"]
    lines += [f"  {'PASS' if ok else 'FAIL'}  {text}" for ok, text in results]
    print("\n".join(lines))
    if args.json:
        payload: dict[str, Any] = {
            "latency": {k: asdict(v) for k, v in lat.items()},
            "export": {k: {**asdict(v), "rows_per_s": v.rows_per_s} for k, v in exports.items()},
            "big_session": None if big is None else asdict(big),
            "targets": [{"pass": ok, "text": text} for ok, text in results],
        }
        args.json.write_text(json.dumps(payload, indent=2))
    return 1 if args.strict and not all(ok for ok, _ in results) else 0


if __name__ == "__main__":
    sys.exit(main())

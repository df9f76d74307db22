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
  server process's resident memory (RSS, sampled every 5 ms) before and at its peak.

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
from bench.history.seed import SESSIONS, SHOTS, Seeded, seed

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[2]
API = "/api/v0"
SESSION_STATS_P50_MS = 10.0
HISTORY_P50_MS = 50.0
EXPORT_ROWS_PER_S = 100_000.0


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


async def prepare(dsn: str) -> Seeded:
    conn = await migrations.connect(dsn)
    try:
        applied = await migrations.up(conn)
        say(f"migrations: {len(applied)} applied; seeding {SESSIONS:,} sessions, {SHOTS:,} shots")
        started = time.perf_counter()
        seeded = await seed(conn, log=say)
        say(f"seeded in {time.perf_counter() - started:.1f} s")
        return seeded
    finally:
        await conn.close()


async def unseed(dsn: str, seeded: Seeded) -> None:
    conn = await migrations.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute("DELETE FROM shot WHERE archer_id = $1", seeded.archer_id)
            await conn.execute("DELETE FROM archer WHERE id = $1", seeded.archer_id)
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
    )
    say(f"{label}: p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms ({n} requests)")
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
    p.add_argument("--database-url", help="a disposable PostgreSQL instead of an embedded one")
    p.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    p.add_argument("--strict", action="store_true", help="exit 1 unless every target passes")
    args = p.parse_args(argv)
    if args.requests < 1 or args.history_requests < 1:
        p.error("--requests and --history-requests must be at least 1")
    return args


def verdicts(lat: dict[str, Latency], exports: dict[str, Export]) -> list[tuple[bool, str]]:
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
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logs = Path(tempfile.mkdtemp(prefix="ashist-logs"))
    with database(args.database_url) as dsn:
        seeded = asyncio.run(prepare(dsn))
        auth = {"Authorization": seeded.auth_header}
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
        finally:
            if args.database_url:
                asyncio.run(unseed(dsn, seeded))
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
    results = verdicts(lat, exports)
    lines += ["", "targets:"]
    lines += [f"  {'PASS' if ok else 'FAIL'}  {text}" for ok, text in results]
    print("\n".join(lines))
    if args.json:
        payload: dict[str, Any] = {
            "latency": {k: asdict(v) for k, v in lat.items()},
            "export": {k: {**asdict(v), "rows_per_s": v.rows_per_s} for k, v in exports.items()},
            "targets": [{"pass": ok, "text": text} for ok, text in results],
        }
        args.json.write_text(json.dumps(payload, indent=2))
    return 1 if args.strict and not all(ok for ok, _ in results) else 0


if __name__ == "__main__":
    sys.exit(main())

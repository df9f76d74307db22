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
import os
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.common.cpu import rss_mib
from bench.common.db import connect, database, migrate, unseed
from bench.common.load import loop_runner, one_at_a_time, raw_request
from bench.common.numbers import Latency, percentile
from bench.common.report import Column, Table, common_options, machine, say, verdict, write_json
from bench.common.server import HOST, uvicorn
from bench.history.seed import SESSIONS, SHOTS, BigSession, Seeded, seed, seed_big_session

API = "/api/v0"
SESSION_STATS_P50_MS = 10.0
HISTORY_P50_MS = 50.0
EXPORT_ROWS_PER_S = 100_000.0
HEALTH_UNDER_BIG_STATS_MAX_MS = 250.0


async def prepare(dsn: str, big_shots: int) -> tuple[Seeded, BigSession | None]:
    await migrate(dsn)
    say(f"seeding {SESSIONS:,} sessions, {SHOTS:,} shots")
    async with connect(dsn) as conn:
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


# --- measuring -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timed:
    """One request's latencies, one at a time over a keep-alive connection."""

    key: str
    latency: Latency
    bytes: int  # of one answer

    def summary(self) -> dict[str, Any]:
        lat = self.latency
        return {
            "key": self.key,
            "label": lat.label,
            "requests": lat.n,
            "p50_ms": lat.p50,
            "p99_ms": lat.p99,
            "mean_ms": lat.mean,
            "bytes": self.bytes,
            "max_ms": lat.max,
        }


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


def answer(port: int, path: str, auth: dict[str, str], timeout: float = 60) -> bytes:
    """One GET; its body (an error unless 200)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=auth)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: HTTP {response.status} {body[:300]!r}")
    return body


def timed(
    port: int, auth: dict[str, str], key: str, label: str, path: str, n: int, warmup: int = 5
) -> Timed:
    size = len(answer(port, path, auth))
    lat = Latency(label)
    raw = raw_request("GET", path, port, auth)
    with loop_runner() as runner:
        runner.run(one_at_a_time(port, raw, lat, count=n, warmup=warmup, answer_within=60))
    if lat.missing:
        raise RuntimeError(f"{label}: {lat.missing} requests failed")
    say(f"{label}: p50 {lat.p50:.2f} ms, p99 {lat.p99:.2f} ms ({n} requests)")
    return Timed(key, lat, size)


@dataclass(frozen=True, slots=True)
class UnderLoad:
    shots: int
    stats_ms: list[float]  # each GET /session/{id}/stats of the big session
    stats_bytes: int
    idle_health: Timed  # /api/health with nothing else running
    health_ms: list[float]  # /api/health answered while those ran

    @property
    def health_max_ms(self) -> float:
        return max(self.health_ms, default=0.0)


async def _health_meanwhile(
    port: int, path: str, auth: dict[str, str], n: int
) -> tuple[Latency, Latency]:
    """`n` requests of `path` one after another, while another connection asks /api/health
    again and again; the latencies of `path` (values) and of /api/health meanwhile."""
    stop = asyncio.Event()
    health = Latency()
    poller = asyncio.create_task(
        one_at_a_time(port, raw_request("GET", "/api/health", port, {}), health, stop=stop)
    )
    stats = Latency()
    await one_at_a_time(
        port, raw_request("GET", path, port, auth), stats, count=n, answer_within=600
    )
    stop.set()
    await poller
    if stats.missing:
        raise RuntimeError(f"big session stats: {stats.missing} requests failed")
    return Latency(stats.label, stats.values), health


def under_load(port: int, auth: dict[str, str], shots: int, path: str, n: int) -> UnderLoad:
    """The idle /api/health, then `_health_meanwhile`."""
    idle = timed(port, {}, "health_idle", "GET /api/health (idle)", "/api/health", 200)
    with loop_runner() as runner:
        stats, health = runner.run(_health_meanwhile(port, path, auth, n))
    size = len(answer(port, path, auth, timeout=600))  # after: the first measured one is cold
    result = UnderLoad(shots, stats.values, size, idle, health.values)
    say(
        f"stats of {shots:,} shots: {', '.join(f'{t:,.0f}' for t in stats.values)} ms; "
        f"/api/health meanwhile: {health.n} answers, max {result.health_max_ms:.1f} ms "
        f"(idle p99 {idle.latency.p99:.2f} ms)"
    )
    return result


def export(port: int, pid: int, auth: dict[str, str], key: str, label: str, path: str) -> Export:
    before = rss_mib(pid)
    peak = before
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, rss_mib(pid))
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
    result = Export(key, label, lines - 1, size, seconds, before, peak)
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
    common_options(p)
    args = p.parse_args(argv)
    if args.requests < 1 or args.history_requests < 1:
        p.error("--requests and --history-requests must be at least 1")
    return args


def verdicts(
    lat: dict[str, Timed], exports: dict[str, Export], big: UnderLoad | None
) -> list[tuple[bool, str]]:
    out = []
    s = lat["session_stats"].latency
    out.append(
        (
            s.p50 <= SESSION_STATS_P50_MS,
            f"session stats (72 arrows) p50 {s.p50:.2f} ms "
            f"(target ≤ {SESSION_STATS_P50_MS:g} ms; p99 {s.p99:.2f} ms)",
        )
    )
    for key in ("history_session", "history_week", "history_month"):
        h = lat[key].latency
        out.append((h.p50 <= HISTORY_P50_MS, f"{h.label} p50 {h.p50:.2f} ms (target ≤ 50 ms)"))
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
                f"{big.idle_health.latency.p99:.2f} ms, max {big.idle_health.latency.max:.2f} ms)",
            )
        )
    return out


PLAN = (
    ("session_stats", "GET /session/{id}/stats", "session/{s72}/stats"),
    ("history_session", "GET /stats/history (by session)", "stats/history"),
    ("history_week", "GET /stats/history?group=week", "stats/history?group=week"),
    ("history_month", "GET /stats/history?group=month", "stats/history?group=month"),
    ("arrow_session", "GET /arrow/{id}/stats (by session)", "arrow/{odd}/stats"),
    ("arrow_month", "GET /arrow/{id}/stats?group=month", "arrow/{odd}/stats?group=month"),
)
YEAR = "?start_to=2022-12-31"
EXPORTS = (
    ("export_year", f"GET /export/shots.csv{YEAR}", YEAR),
    ("export_all", "GET /export/shots.csv (all)", ""),
    ("export_all_again", "GET /export/shots.csv (all, again)", ""),
)
LATENCY = Table(
    [
        Column("request", 40, "<"),
        Column("n", 5),
        Column("p50 ms", 9, fmt=".2f"),
        Column("p99 ms", 9, fmt=".2f"),
        Column("mean ms", 9, fmt=".2f"),
        Column("bytes", 10, fmt=","),
    ],
    rule=86,
)
EXPORT = Table(
    [
        Column("export", 40, "<"),
        Column("rows", 8, fmt=","),
        Column("MB", 7, fmt=".1f"),
        Column("s", 6, fmt=".2f"),
        Column("rows/s", 9, fmt=",.0f"),
        Column("RSS MB", 16),
    ],
    rule=91,
)


@dataclass(slots=True)
class Results:
    lat: dict[str, Timed]
    exports: dict[str, Export]
    big: UnderLoad | None = None


def measure(port: int, pid: int, seeded: Seeded, big: BigSession | None, args: Any) -> Results:
    auth = {"Authorization": seeded.auth_header}
    lat = {}
    for key, label, path in PLAN:
        n = args.requests if key == "session_stats" else args.history_requests
        path = path.format(s72=seeded.session_72, odd=seeded.arrow_odd)
        lat[key] = timed(port, auth, key, label, f"{API}/{path}", n)
    exports = {
        key: export(port, pid, auth, key, label, f"{API}/export/shots.csv{query}")
        for key, label, query in EXPORTS
    }
    out = Results(lat, exports)
    if big is not None:
        out.big = under_load(
            port,
            {"Authorization": big.auth_header},
            args.big_shots,
            f"{API}/session/{big.session_id}/stats",
            args.big_requests,
        )
    return out


def report(r: Results) -> list[str]:
    lines = [
        f"Arch Stats analysis benchmark — {SESSIONS:,} sessions, {SHOTS:,} shots, one archer",
        machine(),
        "",
        *LATENCY.header(),
    ]
    for t in r.lat.values():
        x = t.latency
        lines.append(LATENCY.row(x.label, x.n, x.p50, x.p99, x.mean, t.bytes))
    lines += ["", *EXPORT.header()]
    for e in r.exports.values():
        rss = f"{e.rss_before_mb:>7.1f} → {e.rss_peak_mb:>6.1f}"
        lines.append(EXPORT.row(e.label, e.rows, e.bytes / 1e6, e.seconds, e.rows_per_s, rss))
    if (big := r.big) is not None:
        idle = big.idle_health.latency
        health = Latency(values=big.health_ms)
        lines += [
            "",
            f"GET /session/{{id}}/stats of {big.shots:,} shots ({big.stats_bytes / 1e6:.1f} MB): "
            f"{', '.join(f'{t:,.0f}' for t in big.stats_ms)} ms (median "
            f"{percentile(big.stats_ms, 0.5):,.0f} ms)",
            f"/api/health meanwhile: {health.n} answers, p50 {health.p50:.2f} ms, p99 "
            f"{health.p99:.2f} ms, max {big.health_max_ms:.2f} ms; idle: p50 {idle.p50:.2f} ms, "
            f"p99 {idle.p99:.2f} ms, max {idle.max:.2f} ms",
        ]
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env_extra = {"ASSEMBLER_ENABLED": "false", "LOG_LEVEL": "WARNING"}
    with ExitStack() as stack:
        dsn = stack.enter_context(database(args.database_url, prefix="ashist"))
        seeded, big_session = asyncio.run(prepare(dsn, args.big_shots))
        if args.database_url:
            archers = [seeded.archer_id] + ([big_session.archer_id] if big_session else [])
            stack.callback(lambda: asyncio.run(unseed(dsn, archers)))
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ashist-logs")))
        env = {**os.environ, "DATABASE_URL": dsn, **env_extra}
        port, pid = stack.enter_context(uvicorn("arch-stats", env, logs, ready_path="/api/ready"))
        results = measure(port, pid, seeded, big_session, args)
    lines = report(results)
    checks = verdicts(results.lat, results.exports, results.big)
    lines += ["", "targets:", *(verdict(ok, text) for ok, text in checks)]
    print("\n".join(lines))
    write_json(
        args.json,
        {
            "latency": {k: v.summary() for k, v in results.lat.items()},
            "export": {
                k: {**asdict(v), "rows_per_s": v.rows_per_s} for k, v in results.exports.items()
            },
            "big_session": None if results.big is None else _big_json(results.big),
            "targets": [{"pass": ok, "text": text} for ok, text in checks],
        },
    )
    return 1 if args.strict and not all(ok for ok, _ in checks) else 0


def _big_json(big: UnderLoad) -> dict[str, Any]:
    return {**asdict(big), "idle_health": big.idle_health.summary()}


if __name__ == "__main__":
    sys.exit(main())

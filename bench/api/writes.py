"""Write benchmark: many archers posting shots at once, next to two durable-write ceilings.

    .venv/bin/python -m bench.api.writes [--duration 10] [--rounds 2] [--archers 32]
    .venv/bin/python -m bench.api.writes --compare /work/main/src     # + that code, same run

Starts an embedded PostgreSQL (or uses --database-url), migrates it, seeds `--archers`
archers each with a login token and their own open session, and serves with uvicorn on
127.0.0.1 (as `arch-stats serve` does):

* the ceilings (`bench/common/ceiling.py`, plain uvicorn, nothing of Arch Stats): a bare
  Starlette + asyncpg endpoint that durably INSERTs one row of a shot's width into an indexed
  table with one foreign key (no NOTIFY), and the same into a table with a row trigger that
  NOTIFYs the row (the original backend's design); our shots/s are given as a share of both;
* Arch Stats, 1 process (and 2, `--workers 2`, for the many-archers shape);
* with `--compare SRC`: Arch Stats from another checkout's `src` on a second database of the
  same PostgreSQL, migrated by that code (A/B in one run).

Each round runs every leg once, in the same order (legs of a round are interleaved with those
of the next, so a busy spell of the machine hits all of them): warm-up, then the measured
window, during which the server's and PostgreSQL's CPU time is read from /proc, the WAL
written from `pg_current_wal_lsn()`, and the wait events of active backends sampled from
`pg_stat_activity` every 50 ms. Each connection posts as its own archer into their own
session (the many-archers shape), or all of them into one session. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from bench.api.run import API
from bench.api.seed import FACE_CENTRE_MM, Archer, seed_archers
from bench.common import load as loadgen
from bench.common.ceiling import WRITE_NOTIFY_PATH, WRITE_PATH
from bench.common.cpu import tree_cpu
from bench.common.db import (
    connect,
    create_database,
    database,
    migrate,
    postmaster_pid,
    write_tables,
)
from bench.common.load import Load, Request, Result
from bench.common.report import Column, Table, machine, say, write_json
from bench.common.server import ceiling_server, server_env, uvicorn

END = [(0, 0), (40, -25), (-60, 35), (95, 80), (-130, -110), (200, 15)]


@dataclass(frozen=True, slots=True)
class Leg:
    key: str
    label: str
    server: str  # "ceiling", "a", "a2" (2 workers), "b" (--compare)
    requests: list[Request]
    shots_per_post: int


@dataclass(slots=True)
class Measured:
    leg: Leg
    result: Result
    server_cpu_s: float
    pg_cpu_s: float
    wal_bytes: int
    deadlocks: int  # PostgreSQL's count for the database (pg_stat_database) during the window
    waits: Counter[str] = field(default_factory=Counter)
    samples: int = 0

    @property
    def shots(self) -> int:
        return self.result.requests * self.leg.shots_per_post

    def per_shot_us(self, seconds: float) -> float:
        return seconds / self.shots * 1e6 if self.shots else float("nan")


# --- the legs --------------------------------------------------------------------------------


def _shot_body(archer: Archer, count: int) -> str:
    shots = [
        {
            "session_id": str(archer.session_id),
            "target_id": str(archer.target_id),
            "x_mm": FACE_CENTRE_MM + dx,
            "y_mm": FACE_CENTRE_MM + dy,
        }
        for dx, dy in END[:count]
    ]
    return json.dumps(shots[0] if count == 1 else shots, separators=(",", ":"))


def _post(archer: Archer, count: int) -> Request:
    headers = {"Authorization": f"Bearer {archer.token}", "Content-Type": "application/json"}
    return Request("POST", f"{API}/shot", headers, _shot_body(archer, count))


def _ceiling_post(path: str, session_id: UUID) -> Request:
    body = {"session_id": str(session_id), "x_mm": FACE_CENTRE_MM, "y_mm": FACE_CENTRE_MM + 20}
    body["score"] = 10
    return Request(
        "POST", path, {"Content-Type": "application/json"}, json.dumps(body, separators=(",", ":"))
    )


def legs(
    archers: list[Archer],
    archers_b: list[Archer] | None,
    ceiling_sessions: list[UUID],
    *,
    workers2: bool,
) -> list[Leg]:
    n = len(archers)
    out = [
        Leg(
            "ceiling_write",
            "ceiling: INSERT (1 FK, 1 index)",
            "ceiling",
            [_ceiling_post(WRITE_PATH, s) for s in ceiling_sessions],
            1,
        ),
        Leg(
            "ceiling_notify",
            "ceiling: INSERT + NOTIFY trigger",
            "ceiling",
            [_ceiling_post(WRITE_NOTIFY_PATH, s) for s in ceiling_sessions],
            1,
        ),
    ]

    def arch_stats(server: str, who: list[Archer], tag: str) -> list[Leg]:
        return [
            Leg(f"{tag}one_session", f"{tag}1 shot, {n} conns, ONE session", server,
                [_post(who[0], 1)], 1),
            Leg(f"{tag}archers_shot", f"{tag}1 shot, {n} archers", server,
                [_post(a, 1) for a in who], 1),
            Leg(f"{tag}archers_end", f"{tag}end of 6, {n} archers", server,
                [_post(a, 6) for a in who], 6),
        ]  # fmt: skip

    out += arch_stats("a", archers, "")
    if workers2:
        out.append(
            Leg("w2_archers_shot", f"1 shot, {n} archers, --workers 2", "a2",
                [_post(a, 1) for a in archers], 1)
        )  # fmt: skip
        # Each archer on two connections, which the kernel hands to either process: both
        # processes' joint writes hold the same sessions (an archer's phone and reader, or a
        # proxy spreading one client's requests).
        out.append(
            Leg("w2_archers_both", f"1 shot, {n} archers × 2 conns, --workers 2", "a2",
                [_post(a, 1) for a in archers] * 2, 1)
        )  # fmt: skip
    if archers_b is not None:
        out += arch_stats("b", archers_b, "B ")
    return out


# --- WAL and wait events ----------------------------------------------------------------


class Sampler:
    """Samples wait events of active client backends every 50 ms, in a thread."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.waits: Counter[str] = Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            while not self._stop.is_set():
                rows = await conn.fetch(
                    """SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') AS w
                       FROM pg_stat_activity
                       WHERE state = 'active' AND backend_type = 'client backend'
                         AND pid <> pg_backend_pid()"""
                )
                self.samples += 1
                self.waits.update(r["w"] for r in rows)
                await asyncio.sleep(0.05)
        finally:
            await conn.close()

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


async def _wal_and_deadlocks(dsn: str) -> tuple[int, int]:
    """The WAL position, and the deadlocks PostgreSQL has counted in the database."""
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow(
            """SELECT pg_current_wal_lsn() - '0/0'::pg_lsn AS wal, deadlocks
               FROM pg_stat_database WHERE datname = current_database()"""
        )
        assert row is not None
        return int(row["wal"]), int(row["deadlocks"])
    finally:
        await conn.close()


def run_leg(leg: Leg, port: int, server_pid: int, pg_pid: int, dsn: str, load: Load) -> Measured:
    say(f"{leg.label}: {load.warmup:g} s warm-up + {load.duration:g} s")
    if load.warmup > 0:
        loadgen.run_each(leg.requests, replace(load, port=port, warmup=0, duration=load.warmup))
    wal0, deadlocks0 = asyncio.run(_wal_and_deadlocks(dsn))
    server0, pg0 = tree_cpu(server_pid), tree_cpu(pg_pid)
    with Sampler(dsn) as sampler:
        result = loadgen.run_each(leg.requests, replace(load, port=port, warmup=0))
    server1, pg1 = tree_cpu(server_pid), tree_cpu(pg_pid)
    # The statistics reach pg_stat_database when a backend reports them (at most once a
    # second): the warm-up of the next leg, or the pause below, lets them arrive.
    time.sleep(1.2)
    wal1, deadlocks1 = asyncio.run(_wal_and_deadlocks(dsn))
    m = Measured(leg, result, server1 - server0, pg1 - pg0, wal1 - wal0, deadlocks1 - deadlocks0)
    m.waits, m.samples = sampler.waits, sampler.samples
    say(
        f"  {result.rps:,.0f} req/s, p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, "
        f"{result.errors} errors, {m.deadlocks} deadlocks, "
        f"CPU/shot server {m.per_shot_us(m.server_cpu_s):.0f} µs + PG "
        f"{m.per_shot_us(m.pg_cpu_s):.0f} µs, WAL {m.wal_bytes / max(result.requests, 1):,.0f} "
        "B/post"
    )
    return m


# --- setup -----------------------------------------------------------------------------------


async def _prepare(dsn: str, archers: int, *, ceiling: bool) -> tuple[list[Archer], list[UUID]]:
    """The archers (and, in the first database, the ceilings' tables and session rows)."""
    if ceiling:
        await migrate(dsn)
    async with connect(dsn) as conn:
        sessions = await write_tables(conn, archers) if ceiling else []
        return await seed_archers(conn, archers), sessions


def _migrate_with(src: Path, dsn: str) -> None:
    env = {**os.environ, "DATABASE_URL": dsn, "PYTHONPATH": str(src)}
    subprocess.run(
        [sys.executable, "-m", "arch_stats", "migrate", "up"], env=env, check=True, timeout=300
    )


# --- report ----------------------------------------------------------------------------------


def _top_waits(ms: list[Measured]) -> str:
    waits: Counter[str] = Counter()
    samples = 0
    for m in ms:
        waits.update(m.waits)
        samples += m.samples
    if not samples:
        return ""
    return ", ".join(f"{w} {c / samples:.1f}" for w, c in waits.most_common(3))


TABLE = Table(
    [
        Column("leg", 34, "<"),
        Column("req/s per round", 22),
        Column("shots/s", 9, fmt=",.0f"),
        Column("p50 ms", 7, fmt=".2f"),
        Column("p99 ms", 7, fmt=".2f"),
        Column("err", 4),
        Column("deadlk", 6),
        Column("vs bare INSERT", 16),
        Column("vs notify ceiling", 18),
        Column("CPU µs/shot srv+pg", 20),
        Column("WAL B/post", 10, fmt=",.0f"),
    ],
    rule=202,
    tail="  active backends (mean): top waits",
)


def cpu_per_shot(m: Measured) -> float:
    """Server + PostgreSQL CPU per written shot, µs."""
    return (m.server_cpu_s + m.pg_cpu_s) / m.shots * 1e6 if m.shots else float("nan")


def _shot_targets(i: int, shot: Measured, bare: Measured, notify: Measured) -> list[str]:
    """Issue 23's targets for one shot per post, 32 archers, in round `i`: ≥ 50 % of the bare
    durable INSERT's rows/s, about 1.0–1.35× the NOTIFY ceiling's, CPU per written shot ≤ 2×
    the bare INSERT's."""
    of_bare = shot.result.rps / bare.result.rps
    of_notify = shot.result.rps / notify.result.rps
    cpu = cpu_per_shot(shot) / cpu_per_shot(bare)
    posts = f"1 shot/post, {len(shot.leg.requests)} archers"
    ok = of_bare >= 0.50 and not shot.result.errors
    return [
        f"  round {i}: {'PASS' if ok else 'FAIL'}  {posts}: {of_bare:.0%} of the bare INSERT "
        f"({shot.result.rps:,.0f} / {bare.result.rps:,.0f}) (≥ 50 %)",
        f"  round {i}: {'PASS' if of_notify >= 1.0 else 'FAIL'}  {posts}: {of_notify:.2f}× the "
        f"NOTIFY ceiling ({shot.result.rps:,.0f} / {notify.result.rps:,.0f}) (about 1.0–1.35×)",
        f"  round {i}: {'PASS' if cpu <= 2.0 else 'FAIL'}  CPU per written shot: {cpu:.2f}× the "
        f"bare INSERT's ({cpu_per_shot(shot):,.0f} / {cpu_per_shot(bare):,.0f} µs) (≤ 2×)",
    ]


def report(rounds: list[dict[str, Measured]], header: list[str]) -> list[str]:
    keys = list(rounds[0])
    lines = [*header, "", *TABLE.header()]
    for key in keys:
        ms = [r[key] for r in rounds]
        rps = " / ".join(f"{m.result.rps:,.0f}" for m in ms)
        shots = sum(m.result.rps * m.leg.shots_per_post for m in ms) / len(ms)
        p50 = sum(m.result.p50_ms for m in ms) / len(ms)
        p99 = max(m.result.p99_ms for m in ms)
        errors = sum(m.result.errors for m in ms)
        deadlocks = sum(m.deadlocks for m in ms)
        bare, ratios = (
            " / ".join(
                f"{r[key].result.rps * r[key].leg.shots_per_post / r[base].result.rps:.0%}"
                for r in rounds
            )
            for base in ("ceiling_write", "ceiling_notify")
        )
        srv = sum(m.server_cpu_s for m in ms) / sum(m.shots for m in ms) * 1e6
        pg = sum(m.pg_cpu_s for m in ms) / sum(m.shots for m in ms) * 1e6
        cpu = f"{srv:,.0f}+{pg:,.0f}={srv + pg:,.0f}"
        wal = sum(m.wal_bytes for m in ms) / max(sum(m.result.requests for m in ms), 1)
        row = (ms[0].leg.label, rps, shots, p50, p99, errors, deadlocks, bare, ratios, cpu, wal)
        lines.append(TABLE.row(*row, tail=f"  {_top_waits(ms)}"))
    lines += ["", "targets (per round):"]
    for i, r in enumerate(rounds, 1):
        if "archers_shot" not in r:
            continue
        lines += _shot_targets(i, r["archers_shot"], r["ceiling_write"], r["ceiling_notify"])
        shot = r["archers_shot"]
        if "w2_archers_shot" in r:
            w = r["w2_archers_shot"].result.rps / shot.result.rps
            mark = "PASS" if w >= 1.0 else "FAIL"
            lines.append(f"  round {i}: {mark}  --workers 2 / 1: {w:.2f}× (≥ 1)")
        for key in ("one_session", "archers_shot", "archers_end"):
            if key in r and f"B {key}" in r:
                x = r[key].result.rps / r[f"B {key}"].result.rps
                lines.append(f"  round {i}:       A/B {key}: {x:.2f}×")
    return lines


# --- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.api.writes", description=__doc__)
    p.add_argument("--duration", type=float, default=10.0, help="seconds measured per leg")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per leg")
    p.add_argument("--rounds", type=int, default=2, help="interleaved rounds of every leg")
    p.add_argument("--archers", type=int, default=32, help="archers = connections")
    p.add_argument("--pool-size", type=int, help="PG_POOL_MAX for every server")
    p.add_argument("--no-workers2", action="store_true", help="skip the --workers 2 leg")
    p.add_argument(
        "--w2-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment of the --workers 2 server",
    )
    p.add_argument("--only", help="comma-separated leg keys (the ceilings always run)")
    p.add_argument("--compare", type=Path, help="another checkout's src: its Arch Stats too")
    p.add_argument(
        "--compare-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment of the --compare server (e.g. a setting to A/B)",
    )
    p.add_argument("--database-url", help="a disposable PostgreSQL (with --compare: a cluster)")
    p.add_argument("--json", type=Path, help="also write the results as JSON")
    args = p.parse_args(argv)
    if args.archers < 1 or args.duration <= 0 or args.rounds < 1:
        p.error("--archers ≥ 1, --duration > 0, --rounds ≥ 1")
    return args


def _kv(pairs: list[str]) -> dict[str, str]:
    return dict(kv.split("=", 1) for kv in pairs)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load = Load(port=0, connections=args.archers, duration=args.duration, warmup=args.warmup)
    with ExitStack() as stack:
        dsn = stack.enter_context(database(args.database_url))
        archers, ceiling_sessions = asyncio.run(_prepare(dsn, args.archers, ceiling=True))
        archers_b = None
        dsn_b = None
        if args.compare:
            dsn_b = asyncio.run(create_database(dsn, "arch_stats_bench_b"))
            say(f"migrating the B database with {args.compare}")
            _migrate_with(args.compare, dsn_b)
            archers_b, _ = asyncio.run(_prepare(dsn_b, args.archers, ceiling=False))
        pg_pid = asyncio.run(postmaster_pid(dsn))
        env, pool = server_env(dsn, args.pool_size)
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="asbench-logs")))
        ports = {
            "ceiling": stack.enter_context(ceiling_server(env, logs)),
            "a": stack.enter_context(uvicorn("a", env, logs)),
        }
        all_legs = legs(archers, archers_b, ceiling_sessions, workers2=not args.no_workers2)
        wanted = set(args.only.split(",")) if args.only else None
        chosen = [
            leg
            for leg in all_legs
            if leg.server == "ceiling" or wanted is None or leg.key.removeprefix("B ") in wanted
        ]
        if dsn_b is not None and args.compare is not None:
            env_b, _ = server_env(dsn_b, args.pool_size)
            env_b = {**env_b, "PYTHONPATH": str(args.compare), **_kv(args.compare_env)}
            ports["b"] = stack.enter_context(uvicorn("b", env_b, logs))

        rounds: list[dict[str, Measured]] = []
        for i in range(args.rounds):
            say(f"--- round {i + 1} of {args.rounds}")
            measured: dict[str, Measured] = {}
            for leg in chosen:
                target_dsn = dsn_b if leg.server == "b" and dsn_b else dsn
                if leg.server == "a2":
                    # Started for its leg only: its idle listeners would otherwise be woken
                    # by every other leg's notifications on the same database.
                    env2 = {**env, **_kv(args.w2_env)}
                    with uvicorn("a2", env2, logs, workers=2) as (port, pid):
                        leg_load = replace(
                            load, connections=max(load.connections, len(leg.requests))
                        )
                        measured[leg.key] = run_leg(leg, port, pid, pg_pid, target_dsn, leg_load)
                    continue
                port, pid = ports[leg.server]
                measured[leg.key] = run_leg(leg, port, pid, pg_pid, target_dsn, load)
            rounds.append(measured)

    header = [
        f"Arch Stats write benchmark — {machine()}, {args.archers} connections, "
        f"{args.warmup:g} s warm-up + {args.duration:g} s per leg, {args.rounds} rounds",
        f"servers: uvicorn, uvloop, httptools, no access log; pool {pool[0]}–{pool[1]}; "
        "127.0.0.1; PostgreSQL fsync and synchronous_commit on",
        "vs bare INSERT / notify ceiling: shots/s over that ceiling's rows/s, per round (the "
        "ceilings: plain uvicorn + Starlette + asyncpg); CPU: server (its processes) + "
        "PostgreSQL (all its processes) per written shot",
    ]
    print("\n".join(report(rounds, header)), flush=True)
    write_json(args.json, [{k: _json(m) for k, m in r.items()} for r in rounds])
    return 0


def _json(m: Measured) -> dict[str, Any]:
    r = m.result
    return {
        "rps": r.rps,
        "p50_ms": r.p50_ms,
        "p99_ms": r.p99_ms,
        "errors": r.errors,
        "shots": m.shots,
        "server_cpu_s": m.server_cpu_s,
        "pg_cpu_s": m.pg_cpu_s,
        "wal_bytes": m.wal_bytes,
        "deadlocks": m.deadlocks,
        "waits": dict(m.waits),
        "samples": m.samples,
    }


if __name__ == "__main__":
    sys.exit(main())

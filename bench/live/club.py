"""Club-board benchmark: a club night through the sensor path, watched on the live board.

    .venv/bin/python -m bench.live.club [--archers 40] [--period 4] [--viewers 50]
                                        [--duration 60] [--json out.json]

Starts its own embedded PostgreSQL (or --database-url, a disposable one), migrates it, and,
on 127.0.0.1 only: one Arch Stats server (uvicorn, 1 worker, the assembler inside it, as
`arch-stats serve`); a club of --archers members, each with an open session; --viewers board
WebSocket clients (`/api/v0/ws?club_id=…`, all in one separate process, `bench.live.receiver
ws --board`); and here an inserter playing every archer's sensors: each archer shoots one
arrow every --period seconds (the archers evenly staggered), each arrow being
`arrow_identified` + `arrow_engaged` + `arrow_released` in one statement, then 50 ms later
`arrow_landed` alone (inside the landing window: the assembler pairs them at once).

Latency = from the landing INSERT's return (its commit) to each viewer's receipt of the
`board.shot.created` frame, matched by the shot's `landed_at` (every clock is `time.time()`,
shared by the processes of one machine). Reported over every receipt and over the last receipt
per shot, with `landing commit → shot NOTIFY` (at a bare LISTEN connection here) and the
server's CPU per shot (user + system from /proc). The first round of arrows (one per archer)
is a warm-up, not counted. Target (issue 12): p99 of every receipt ≤ 50 ms; printed as
PASS/FAIL (a benchmark, not a test). Bounded in time: the phase lasts --duration seconds plus
at most a few minutes of grace; every process it starts is stopped by its pid.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from arch_stats.core import migrations
from bench.common.cpu import cpu_line, per_shot
from bench.common.db import database, migrate
from bench.common.load import loop_runner
from bench.common.numbers import Latency, latencies
from bench.common.report import common_options, machine, say, verdict, write_json
from bench.common.seed import add_club, add_shooter, open_session
from bench.common.server import HOST, uvicorn
from bench.live.run import (
    Receiver,
    between,
    receipts,
    sensor_run,
    wait_for_assembler,
)

TARGET_P99_MS = 50.0
LANDING_AFTER_S = 0.05


async def measure(
    dsn: str,
    *,
    port: int,
    server_pid: int,
    archers: int,
    period: float,
    viewers: int,
    duration: float,
    env: dict[str, str],
) -> dict[str, Any]:
    conn = await migrations.connect(dsn)
    rng = random.Random(archers * 1000 + viewers)
    team = [await add_shooter(conn, "Live Bench", "bench-live") for _ in range(archers)]
    sessions = [await open_session(conn, a.archer_id) for a in team]
    club_id = await add_club(conn, [a.archer_id for a in team])
    url = f"ws://{HOST}:{port}/api/v0/ws?club_id={club_id}"
    rate = archers / period  # shots per second, all archers together
    warmup = archers  # one arrow each: the board's first lookup of every session
    shots = max(1, round(duration * rate))
    receiver = Receiver(
        ["ws", "--board", f"--url={url}", f"--clients={viewers}", "--no-deflate"],
        {**env, "BENCH_LIVE_TOKEN": team[0].token},
        (shots + warmup) / rate + 180,
    )
    plan = [
        (team[i % archers], sessions[i % archers], (i / rate, i / rate + LANDING_AFTER_S))
        for i in range(warmup + shots)
    ]
    try:
        run = await sensor_run(
            dsn, conn, receiver, server_pid, plan, warmup=warmup, rng=rng, clients="viewers"
        )
        made = await conn.fetchval(
            "SELECT count(*) FROM shot WHERE session_id = ANY($1::uuid[])",
            [s for s, _ in sessions],
        )
        if made != warmup + shots:
            say(f"  warning: {made} shots made, {warmup + shots} expected")
    finally:
        await conn.close()

    sent, notified, (cpu, busy, other) = run.sent, run.notified, run.cpu
    got = receipts(sent, run.clients)
    return {
        "archers": archers,
        "period_s": period,
        "viewers": viewers,
        "shots": len(sent),
        "rate": rate,
        "every": Latency("landing commit → board frame, every receipt", got.every, got.missing),
        "last": latencies("landing commit → board frame, last viewer per shot", sent, got.complete),
        "notify": latencies("  landing commit → shot NOTIFY at a bare listener", sent, notified),
        "notify_to_last": between(
            "  shot NOTIFY → last board receipt", sent, notified, got.complete
        ),
        "cpu_ms_per_shot": per_shot(cpu, len(sent)),
        "machine_busy": busy,
        "other_load": other,
        "frames": run.frames,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.live.club", description=__doc__)
    p.add_argument("--archers", type=int, default=40)
    p.add_argument("--period", type=float, default=4.0, help="seconds between one archer's shots")
    p.add_argument("--viewers", type=int, default=50)
    p.add_argument("--duration", type=float, default=60.0, help="measured seconds")
    common_options(p)
    args = p.parse_args(argv)
    if not (1 <= args.archers <= 500 and 1 <= args.viewers <= 500):
        p.error("--archers and --viewers must be between 1 and 500")
    if not (0.5 <= args.period <= 60 and 1 <= args.duration <= 600):
        p.error("--period must be in [0.5, 60] s and --duration in [1, 600] s")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with ExitStack() as stack:
        runner = stack.enter_context(loop_runner())
        dsn = stack.enter_context(database(args.database_url))
        env = {**os.environ, "DATABASE_URL": dsn, "ASSEMBLER_ENABLED": "true"}
        env.pop("BENCH_LIVE_TOKEN", None)
        runner.run(migrate(dsn))
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="asclub")))
        port, pid = stack.enter_context(uvicorn("arch-stats", env, logs))
        runner.run(wait_for_assembler(dsn))
        say(
            f"club board: {args.archers} archers, one arrow each every {args.period:g} s, "
            f"{args.viewers} viewers, {args.duration:g} s measured"
        )
        result = runner.run(
            measure(
                dsn,
                port=port,
                server_pid=pid,
                archers=args.archers,
                period=args.period,
                viewers=args.viewers,
                duration=args.duration,
                env=env,
            )
        )
    every: Latency = result["every"]
    passed = every.p99 <= TARGET_P99_MS and every.missing == 0
    lines = [
        f"Arch Stats club-board benchmark — {machine()} at the end; 127.0.0.1",
        f"{result['archers']} archers × 1 arrow / {result['period_s']:g} s "
        f"({result['rate']:g} shots/s, sensor path, assembler inside the server), "
        f"{result['viewers']} board viewers (one process), {result['shots']} shots measured",
        "",
        *Latency.header("ms", "n"),
        *(result[k].row() for k in ("every", "last", "notify", "notify_to_last")),
        "",
        cpu_line(result["cpu_ms_per_shot"], result["machine_busy"], result["other_load"]),
        f"frames received by the viewers: {result['frames']:,}",
        verdict(
            passed,
            f"p99 every receipt {every.p99:.2f} ms (target ≤ {TARGET_P99_MS:g} ms), "
            f"{every.missing} missing",
        ),
    ]
    print("\n".join(lines), flush=True)
    out = {k: (v.summary() if isinstance(v, Latency) else v) for k, v in result.items()}
    write_json(args.json, {**out, "passed": passed})
    return 1 if args.strict and not passed else 0


if __name__ == "__main__":
    sys.exit(main())

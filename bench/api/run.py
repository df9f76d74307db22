"""API benchmark: Arch Stats next to a bare `SELECT 1` ceiling, served the same way.

    .venv/bin/python -m bench.api.run [--duration 10] [--connections 32]

Starts its own embedded PostgreSQL (or uses --database-url), migrates and seeds it, serves
the ceiling app and Arch Stats with uvicorn on 127.0.0.1 (1 process, uvloop, httptools,
no access log, same pool size), loads each scenario with `wrk` (or the Python fallback),
and prints a table and the issue's targets as PASS/FAIL lines. Progress goes to stderr.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from bench.api.seed import ARROWS_PER_END, FACE_CENTRE_MM, SESSIONS, SHOTS_LARGE, Seeded, seed
from bench.common import load as loadgen
from bench.common.ceiling import PATH as CEILING_PATH
from bench.common.ceiling import ceiling_server
from bench.common.db import connect, database, migrate, unseed
from bench.common.load import Load, Request, Result
from bench.common.report import Column, Table, common_options, machine, say, verdict, write_json
from bench.common.server import HOST, server_env, uvicorn

API = "/api/v0"


# --- what is measured ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """A goal from the issue: a fraction of the ceiling's requests/s, or an absolute rate."""

    of_ceiling: float | None = None
    min_rps: float | None = None

    def describe(self) -> str:
        if self.of_ceiling is not None:
            return f"≥ {self.of_ceiling:.0%} of the ceiling"
        return f"≥ {self.min_rps:g} req/s"


@dataclass(frozen=True, slots=True)
class Scenario:
    key: str
    label: str
    request: Request
    target: Target | None = None
    expect_items: int | None = None  # a list endpoint should return this many items


def end_of_six(seeded: Seeded) -> str:
    """POST /shot body: one end of 6 arrows on the open session's target, all on the face."""
    offsets = [(0, 0), (40, -25), (-60, 35), (95, 80), (-130, -110), (200, 15)]
    shots = [
        {
            "session_id": str(seeded.open_session),
            "target_id": str(seeded.open_target),
            "x_mm": FACE_CENTRE_MM + dx,
            "y_mm": FACE_CENTRE_MM + dy,
        }
        for dx, dy in offsets[:ARROWS_PER_END]
    ]
    return json.dumps(shots, separators=(",", ":"))


def scenarios(seeded: Seeded) -> list[Scenario]:
    auth = {"Authorization": seeded.auth_header}
    s72, s10k = seeded.session_72, seeded.session_10k
    return [
        Scenario(
            "session_get",
            "GET /session/{id}",
            Request("GET", f"{API}/session/{s72}", auth),
            Target(of_ceiling=0.80),
        ),
        Scenario(
            "session_list",
            f"GET /session ({SESSIONS} sessions)",
            Request("GET", f"{API}/session", auth),
            Target(of_ceiling=0.50),
            expect_items=SESSIONS,
        ),
        Scenario(
            "shots_72",
            "GET /session/{id}/shot (72)",
            Request("GET", f"{API}/session/{s72}/shot", auth),
            expect_items=72,
        ),
        Scenario(
            "shots_10k",
            "GET /session/{id}/shot (10,000)",
            # The whole session in one page (the list is paged: 1,000 shots by default).
            Request("GET", f"{API}/session/{s10k}/shot?limit={SHOTS_LARGE}", auth),
            Target(min_rps=20),
            expect_items=SHOTS_LARGE,
        ),
        # Last: it writes (into the open session), the reads above see the seeded data only.
        Scenario(
            "shot_post",
            "POST /shot (end of 6)",
            Request(
                "POST",
                f"{API}/shot",
                {**auth, "Content-Type": "application/json"},
                end_of_six(seeded),
            ),
            Target(of_ceiling=0.60),
            expect_items=ARROWS_PER_END,
        ),
    ]


SCENARIO_KEYS = ("session_get", "session_list", "shots_72", "shots_10k", "shot_post")
CEILING = Scenario("ceiling", "ceiling: SELECT 1", Request("GET", CEILING_PATH))


# --- data ------------------------------------------------------------------------------------


async def prepare(dsn: str) -> Seeded:
    await migrate(dsn)
    say("seeding")
    started = time.perf_counter()
    async with connect(dsn) as conn:
        seeded = await seed(conn, log=say)
    say(f"seeded in {time.perf_counter() - started:.1f} s")
    return seeded


# --- running ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    scenario: Scenario
    result: Result | None = None
    unavailable: str | None = None  # why it was not measured
    items: int | None = None  # items in one response of a list endpoint


def get(port: int, request: Request) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        body = request.body.encode() if request.body is not None else None
        conn.request(request.method, request.path, body=body, headers=request.headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def probe(port: int, scenario: Scenario) -> tuple[str | None, int | None]:
    """One request before the load: (why it cannot be measured or None, items returned)."""
    try:
        status, body = get(port, scenario.request)
    except OSError as exc:
        return f"no answer ({exc})", None
    try:
        envelope: Any = json.loads(body)
    except ValueError:
        envelope = None
    errors = envelope.get("errors") if isinstance(envelope, dict) else None
    if status == 405 or (status == 404 and errors == ["no such route"]):
        return "not available (no such endpoint yet)", None
    if not 200 <= status < 300:
        return f"failed: HTTP {status} {errors if errors is not None else body[:200]!r}", None
    data = envelope.get("data") if isinstance(envelope, dict) else None
    items = len(data) if isinstance(data, list) else None
    if scenario.expect_items is not None and items != scenario.expect_items:
        say(f"  warning: {scenario.label} returned {items} items, {scenario.expect_items} expected")
    return None, items


def measure(port: int, scenario: Scenario, load: Load, tool: str) -> Outcome:
    why, items = probe(port, scenario)
    if why is not None:
        say(f"{scenario.label}: {why}")
        return Outcome(scenario, unavailable=why)
    say(f"{scenario.label}: {load.warmup:g} s warm-up + {load.duration:g} s ({tool})")
    try:
        result = loadgen.run(scenario.request, replace(load, port=port), tool=tool)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        say(f"  load generator failed: {exc}")
        return Outcome(scenario, unavailable=f"load generator failed: {exc}"[:120])
    say(
        f"  {result.rps:,.1f} req/s, p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, "
        f"{result.errors} errors"
    )
    return Outcome(scenario, result=result, items=items)


# --- report ----------------------------------------------------------------------------------


def ceiling_rps(first: Outcome, last: Outcome) -> float | None:
    rates = [o.result.rps for o in (first, last) if o.result is not None]
    return sum(rates) / len(rates) if rates else None


def verdict_of(outcome: Outcome, ceiling: float | None) -> tuple[str, str]:
    """("PASS" | "FAIL" | "N/A", explanation) for a scenario with a target."""
    target = outcome.scenario.target
    assert target is not None
    if outcome.result is None:
        return "N/A", outcome.unavailable or "not measured"
    r = outcome.result
    if target.of_ceiling is not None:
        if not ceiling:
            return "N/A", "no ceiling measured"
        ratio = r.rps / ceiling
        ok = ratio >= target.of_ceiling
        text = f"{ratio:.0%} of the ceiling ({r.rps:,.0f} / {ceiling:,.0f} req/s)"
    else:
        assert target.min_rps is not None
        ok = r.rps >= target.min_rps
        text = f"{r.rps:,.1f} req/s"
    if r.errors:
        ok = False
        text += f", {r.errors} errors"
    return ("PASS" if ok else "FAIL"), text


TABLE = Table(
    [
        Column("scenario", 34, "<"),
        Column("req/s", 10, fmt=",.1f"),
        Column("p50 ms", 9, fmt=".2f"),
        Column("p99 ms", 9, fmt=".2f"),
        Column("errors", 7),
        Column("vs ceiling", 10),
    ],
    rule=94,
    tail="  note",
)


def report(outcomes: list[Outcome], ceiling: float | None, header: list[str]) -> list[str]:
    lines = [*header, "", *TABLE.header()]
    for o in outcomes:
        s = o.scenario
        if o.result is None:
            lines.append(TABLE.row(s.label, *"-----", tail=f"  {o.unavailable}"))
            continue
        r = o.result
        ratio = f"{r.rps / ceiling:.0%}" if ceiling and s.key != "ceiling" else ""
        notes = [f"{o.items} items/response"] if o.items is not None else []
        if r.steady_rps is not None:
            notes.append("req/s = connections / mean latency")
        row = TABLE.row(s.label, r.rps, r.p50_ms, r.p99_ms, r.errors, ratio)
        lines.append(f"{row}  {'; '.join(notes)}")
    if ceiling:
        lines.append(f"{'ceiling (mean of first and last)':<34} {ceiling:>10,.1f}")
    lines += ["", "targets:"]
    for o in outcomes:
        if o.scenario.target is not None:
            mark, text = verdict_of(o, ceiling)
            text = f"{o.scenario.label}: {text} (target {o.scenario.target.describe()})"
            lines.append(verdict(mark == "PASS", text, mark=mark))
    return lines


# --- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.api.run",
        description="Benchmark the Arch Stats API against a bare asyncpg SELECT 1 ceiling.",
    )
    p.add_argument("--duration", type=float, default=10.0, help="seconds measured per scenario")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per scenario")
    p.add_argument("--connections", type=int, default=32, help="concurrent keep-alive connections")
    p.add_argument("--threads", type=int, default=1, help="wrk threads (default 1: 2-core box)")
    p.add_argument(
        "--loadgen",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator (auto: wrk when installed, else the Python one)",
    )
    p.add_argument("--pool-size", type=int, help="PG_POOL_MAX for both servers (default: app's)")
    p.add_argument(
        "--only",
        help=f"comma-separated scenario keys: {', '.join(SCENARIO_KEYS)} "
        "(the ceiling is always measured)",
    )
    common_options(p)
    args = p.parse_args(argv)
    if args.connections < 1 or args.duration <= 0 or args.warmup < 0 or args.threads < 1:
        p.error("--connections and --threads ≥ 1, --duration > 0, --warmup ≥ 0")
    if args.threads > args.connections:
        p.error("--threads cannot exceed --connections")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tool = args.loadgen
    if tool == "auto":
        tool = "wrk" if loadgen.have_wrk() else "python"
    elif tool == "wrk" and not loadgen.have_wrk():
        say("wrk is not installed (apt-get install wrk); use --loadgen python")
        return 2
    load = Load(
        port=0,
        connections=args.connections,
        duration=args.duration,
        warmup=args.warmup,
        threads=args.threads,
    )
    wanted = set(args.only.split(",")) if args.only else None
    if wanted and (unknown := wanted - set(SCENARIO_KEYS)):
        say(f"unknown scenario(s): {', '.join(sorted(unknown))}; known: {', '.join(SCENARIO_KEYS)}")
        return 2

    with ExitStack() as stack:
        dsn = stack.enter_context(database(args.database_url))
        seeded = asyncio.run(prepare(dsn))
        if args.database_url:
            stack.callback(lambda: asyncio.run(unseed(dsn, [seeded.archer_id])))
        env, pool = server_env(dsn, args.pool_size)
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="asbench-logs")))
        ceiling_port, _ = stack.enter_context(ceiling_server(env, logs))
        app_port, _ = stack.enter_context(uvicorn("arch-stats", env, logs))

        def run(port: int, scenario: Scenario) -> Outcome:
            return measure(port, scenario, load, tool)

        first = run(ceiling_port, replace(CEILING, label=f"{CEILING.label} (first)"))
        outcomes = [run(app_port, s) for s in scenarios(seeded) if not wanted or s.key in wanted]
        last = run(ceiling_port, replace(CEILING, label=f"{CEILING.label} (last)"))

    ceiling = ceiling_rps(first, last)
    header = [
        f"Arch Stats API benchmark — {machine()}, load: {tool}, "
        f"{args.connections} connections, {args.warmup:g} s warm-up + {args.duration:g} s each",
        f"servers: uvicorn, 1 process, uvloop, httptools, no access log; "
        f"pool {pool[0]}–{pool[1]} connections; 127.0.0.1",
    ]
    all_outcomes = [first, *outcomes, last]
    print("\n".join(report(all_outcomes, ceiling, header)), flush=True)

    verdicts = [verdict_of(o, ceiling)[0] for o in outcomes if o.scenario.target is not None]
    write_json(
        args.json,
        {
            "loadgen": tool,
            "connections": args.connections,
            "duration": args.duration,
            "ceiling_rps": ceiling,
            "scenarios": [
                {
                    "key": o.scenario.key,
                    "label": o.scenario.label,
                    "result": asdict(o.result) if o.result else None,
                    "rps": o.result.rps if o.result else None,
                    "unavailable": o.unavailable,
                    "verdict": verdict_of(o, ceiling)[0] if o.scenario.target else None,
                }
                for o in all_outcomes
            ],
        },
    )
    if args.strict and any(v != "PASS" for v in verdicts):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

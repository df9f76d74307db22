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
from bench.common.cpu import tree_cpu
from bench.common.db import connect, database, migrate, unseed
from bench.common.load import Load, Request, Result
from bench.common.report import Column, Table, common_options, machine, say, verdict, write_json
from bench.common.server import HOST, ceiling_server, server_env, uvicorn

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
# The bound on the server's CPU per request, × the bare ceiling's.
CPU_TARGETS = {"session_get": 1.3}
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
    server: str = "A"  # "A" (this checkout), "B" (--compare), "ceiling"
    result: Result | None = None
    unavailable: str | None = None  # why it was not measured
    items: int | None = None  # items in one response of a list endpoint
    cpu_us: float | None = None  # the server's CPU per request completed in the window


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


@dataclass(frozen=True, slots=True)
class Server:
    name: str  # "A", "B", "ceiling"
    port: int
    pid: int


def measure(server: Server, scenario: Scenario, load: Load, tool: str) -> Outcome:
    """Warm-up, then the window, with the server's CPU time read around the window."""
    why, items = probe(server.port, scenario)
    if why is not None:
        say(f"{server.name} {scenario.label}: {why}")
        return Outcome(scenario, server.name, unavailable=why)
    say(f"{server.name} {scenario.label}: {load.warmup:g} s warm-up + {load.duration:g} s ({tool})")
    load = replace(load, port=server.port)
    try:
        if load.warmup > 0:
            loadgen.run(scenario.request, replace(load, duration=load.warmup, warmup=0), tool=tool)
        cpu0 = tree_cpu(server.pid)
        result = loadgen.run(scenario.request, replace(load, warmup=0), tool=tool)
        cpu = tree_cpu(server.pid) - cpu0
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        say(f"  load generator failed: {exc}")
        return Outcome(scenario, server.name, unavailable=f"load generator failed: {exc}"[:120])
    cpu_us = cpu / result.requests * 1e6 if result.requests else None
    say(
        f"  {result.rps:,.1f} req/s, p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, "
        f"{result.errors} errors, server CPU {cpu_us or 0:,.0f} µs/request"
    )
    return Outcome(scenario, server.name, result=result, items=items, cpu_us=cpu_us)


# --- report ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Round:
    """One round: the ceiling before it, every scenario on A (and B), the ceiling after it
    (the next round's first)."""

    before: Outcome
    outcomes: list[Outcome]
    after: Outcome | None = None

    @property
    def ceiling(self) -> float | None:
        rates = [o.result.rps for o in (self.before, self.after) if o and o.result is not None]
        return sum(rates) / len(rates) if rates else None

    @property
    def ceiling_cpu(self) -> float | None:
        cpus = [o.cpu_us for o in (self.before, self.after) if o and o.cpu_us is not None]
        return sum(cpus) / len(cpus) if cpus else None

    def of(self, key: str, server: str) -> Outcome | None:
        return next(
            (o for o in self.outcomes if o.scenario.key == key and o.server == server), None
        )


def ratio_of(o: Outcome | None, r: Round) -> float | None:
    """The scenario's req/s over the ceiling's of its round (the mean of before and after)."""
    ceiling = r.ceiling
    if o is None or o.result is None or not ceiling:
        return None
    return o.result.rps / ceiling


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def verdict_of(key: str, server: str, rounds: list[Round]) -> tuple[str, str]:
    """("PASS" | "FAIL" | "N/A", explanation) for a scenario with a target, over the rounds
    (the mean of each round's ratio to its own ceiling)."""
    outcomes = [r.of(key, server) for r in rounds]
    first = next((o for o in outcomes if o is not None), None)
    assert first is not None and first.scenario.target is not None
    target = first.scenario.target
    measured = [o for o in outcomes if o is not None and o.result is not None]
    if not measured:
        return "N/A", first.unavailable or "not measured"
    errors = sum(o.result.errors for o in measured if o.result is not None)
    if target.of_ceiling is not None:
        ratios = [ratio_of(o, r) for o, r in zip(outcomes, rounds, strict=True)]
        ratio = _mean(ratios)
        if ratio is None:
            return "N/A", "no ceiling measured"
        ok = ratio >= target.of_ceiling
        per_round = " / ".join(f"{x:.0%}" for x in ratios if x is not None)
        text = f"{ratio:.0%} of the ceiling (per round {per_round})"
    else:
        assert target.min_rps is not None
        rps = sum(o.result.rps for o in measured if o.result is not None) / len(measured)
        ok = rps >= target.min_rps
        text = f"{rps:,.1f} req/s"
    if errors:
        ok = False
        text += f", {errors} errors"
    return ("PASS" if ok else "FAIL"), text


def cpu_verdict(key: str, server: str, rounds: list[Round], limit: float) -> tuple[bool, str]:
    """The scenario's server CPU per request over the ceiling's, in each round."""
    ratios = []
    for r in rounds:
        o, base = r.of(key, server), r.ceiling_cpu
        if o is not None and o.cpu_us is not None and base:
            ratios.append(o.cpu_us / base)
    if not ratios:
        return False, "not measured"
    mean = sum(ratios) / len(ratios)
    per_round = " / ".join(f"{x:.2f}×" for x in ratios)
    return mean <= limit, f"{mean:.2f}× the ceiling's (per round {per_round})"


TABLE = Table(
    [
        Column("scenario", 36, "<"),
        Column("req/s per round", 26),
        Column("p50 ms", 7, fmt=".2f"),
        Column("p99 ms", 7, fmt=".2f"),
        Column("errors", 6),
        Column("vs ceiling per round", 20),
        Column("CPU µs/req", 10, fmt=",.0f"),
    ],
    rule=124,
    tail="  note",
)


def _row(label: str, outcomes: list[Outcome | None], rounds: list[Round] | None) -> str:
    measured = [o for o in outcomes if o is not None and o.result is not None]
    if not measured:
        why = next((o.unavailable for o in outcomes if o is not None), None)
        return TABLE.row(label, *"------", tail=f"  {why}")
    results = [o.result for o in measured if o.result is not None]
    rps = " / ".join(f"{r.rps:,.0f}" for r in results)
    p50 = sum(r.p50_ms for r in results) / len(results)
    p99 = max(r.p99_ms for r in results)
    errors = sum(r.errors for r in results)
    ratios = ""
    if rounds is not None:
        known = [ratio_of(o, r) for o, r in zip(outcomes, rounds, strict=True)]
        ratios = " / ".join(f"{x:.0%}" for x in known if x is not None)
    cpu = _mean([o.cpu_us for o in measured])
    notes = [f"{measured[0].items} items/response"] if measured[0].items is not None else []
    if any(r.steady_rps is not None for r in results):
        notes.append("req/s = connections / mean latency")
    return TABLE.row(label, rps, p50, p99, errors, ratios, cpu, tail=f"  {'; '.join(notes)}")


def report(rounds: list[Round], servers: list[str], header: list[str]) -> list[str]:
    lines = [*header, "", *TABLE.header()]
    ceilings: list[Outcome | None] = [rounds[0].before, *(r.after for r in rounds)]
    lines.append(_row("ceiling: SELECT 1 (bare)", ceilings, None))
    keys = list(dict.fromkeys(o.scenario.key for o in rounds[0].outcomes))
    for key in keys:
        for server in servers:
            outcomes = [r.of(key, server) for r in rounds]
            first = next(o for o in outcomes if o is not None)
            label = (
                first.scenario.label if len(servers) == 1 else f"{server} {first.scenario.label}"
            )
            lines.append(_row(label, outcomes, rounds))
    lines += ["", "targets (the mean of the rounds' ratios, each to its round's ceiling):"]
    for key in keys:
        first = next(o for o in rounds[0].outcomes if o.scenario.key == key)
        target = first.scenario.target
        for server in servers:
            tag = "" if len(servers) == 1 else f"{server} "
            if target is not None:
                mark, text = verdict_of(key, server, rounds)
                text = f"{tag}{first.scenario.label}: {text} (target {target.describe()})"
                lines.append(verdict(mark == "PASS", text, mark=mark))
            if key in CPU_TARGETS:
                ok, text = cpu_verdict(key, server, rounds, CPU_TARGETS[key])
                text = (
                    f"{tag}{first.scenario.label}: server CPU per request {text} "
                    f"(target ≤ {CPU_TARGETS[key]:g}×)"
                )
                lines.append(verdict(ok, text))
        if "B" in servers:
            ab = [(r.of(key, "A"), r.of(key, "B")) for r in rounds]
            xs = [a.result.rps / b.result.rps for a, b in ab if a and b and a.result and b.result]
            if xs:
                per_round = " / ".join(f"{x:.2f}×" for x in xs)
                lines.append(f"        A/B {first.scenario.label}: req/s {per_round}")
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
    p.add_argument("--rounds", type=int, default=1, help="interleaved rounds of every scenario")
    p.add_argument(
        "--compare",
        type=Path,
        help="another checkout's src: its Arch Stats too (B), on the same database, same run",
    )
    p.add_argument(
        "--loadgen",
        dest="tool",
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
    if (
        args.connections < 1
        or args.duration <= 0
        or args.warmup < 0
        or args.threads < 1
        or args.rounds < 1
    ):
        p.error("--connections, --threads and --rounds ≥ 1, --duration > 0, --warmup ≥ 0")
    if args.threads > args.connections:
        p.error("--threads cannot exceed --connections")
    return args


def _measure_rounds(
    servers: list[Server], ceiling: Server, chosen: list[Scenario], args: argparse.Namespace
) -> list[Round]:
    """Every round: the ceiling, then each scenario on each server in turn (A, B, A, B…);
    the ceiling once more at the end."""
    load = Load(
        port=0,
        connections=args.connections,
        duration=args.duration,
        warmup=args.warmup,
        threads=args.threads,
    )

    def ceiling_now() -> Outcome:
        return measure(ceiling, CEILING, load, args.tool)

    rounds: list[Round] = []
    before = ceiling_now()
    for i in range(args.rounds):
        say(f"--- round {i + 1} of {args.rounds}")
        outcomes = [measure(server, s, load, args.tool) for s in chosen for server in servers]
        rounds.append(Round(before, outcomes))
        before = rounds[-1].after = ceiling_now()
    return rounds


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.tool == "auto":
        args.tool = "wrk" if loadgen.have_wrk() else "python"
    elif args.tool == "wrk" and not loadgen.have_wrk():
        say("wrk is not installed (apt-get install wrk); use --loadgen python")
        return 2
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
        ceiling = Server("ceiling", *stack.enter_context(ceiling_server(env, logs)))
        servers = [Server("A", *stack.enter_context(uvicorn("arch-stats", env, logs)))]
        if args.compare is not None:
            # The same database: B reads what A reads (run --compare with code whose
            # migrations are A's, or a subset of them).
            env_b = {**env, "PYTHONPATH": str(args.compare.resolve())}
            servers.append(Server("B", *stack.enter_context(uvicorn("arch-stats-b", env_b, logs))))
        chosen = [s for s in scenarios(seeded) if not wanted or s.key in wanted]
        rounds = _measure_rounds(servers, ceiling, chosen, args)

    names = [s.name for s in servers]
    header = [
        f"Arch Stats API benchmark — {machine()}, load: {args.tool}, "
        f"{args.connections} connections, {args.warmup:g} s warm-up + {args.duration:g} s each, "
        f"{args.rounds} round(s)",
        f"Arch Stats: uvicorn, 1 process, uvloop, its edge protocol, no access log; ceiling: "
        f"plain uvicorn (httptools) + Starlette + asyncpg; pool {pool[0]}–{pool[1]} "
        "connections each; 127.0.0.1",
    ]
    if args.compare is not None:
        header.append(f"A: this checkout; B: {args.compare} (same run, interleaved)")
    print("\n".join(report(rounds, names, header)), flush=True)

    verdicts = [verdict_of(s.key, "A", rounds)[0] for s in chosen if s.target is not None]
    write_json(
        args.json,
        {
            "loadgen": args.tool,
            "connections": args.connections,
            "duration": args.duration,
            "rounds": [
                {
                    "ceiling_rps": r.ceiling,
                    "ceiling_cpu_us": r.ceiling_cpu,
                    "scenarios": [
                        {
                            "key": o.scenario.key,
                            "server": o.server,
                            "result": asdict(o.result) if o.result else None,
                            "cpu_us": o.cpu_us,
                            "unavailable": o.unavailable,
                        }
                        for o in r.outcomes
                    ],
                }
                for r in rounds
            ],
        },
    )
    if args.strict and any(v != "PASS" for v in verdicts):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

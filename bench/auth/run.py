"""Another archer's GET /arrow while strangers register accounts in a burst.

    .venv/bin/python -m bench.auth.run                      # 16 clients, 230 registrations
    .venv/bin/python -m bench.auth.run --register-limit 10  # the default per-address limit
    PYTHONPATH=/path/to/other/checkout/src .venv/bin/python -m bench.auth.run   # other code

One `arch-stats serve` process (1 worker, the app's pool and settings) on an embedded
PostgreSQL in a temporary directory (or --database-url, a disposable database). One archer
is registered and logged in; their GET /arrow is timed back to back, first alone for
--baseline seconds, then while --clients clients register --registrations new accounts as
fast as the server answers (no login needed; REGISTER_MAX_ATTEMPTS is raised to
--register-limit so that every registration hashes a password, unless told otherwise).
Not a test: it prints figures. The load generator runs on the same 2 cores as the server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import httpx

from bench.common.db import database
from bench.common.load import one_at_a_time, raw_request
from bench.common.numbers import Latency
from bench.common.report import common_options, sayer
from bench.common.server import HOST, arch_stats_serve

say = sayer("bench.auth")


def figures(latency: Latency) -> str:
    return (
        f"{latency.label:<42} n={latency.n:>5}  p50 {latency.p50:8.1f} ms  "
        f"p99 {latency.p99:8.1f} ms  max {latency.max:8.1f} ms"
        f"{f'  ({latency.missing} failed)' if latency.missing else ''}"
    )


async def time_arrows(port: int, token: str, label: str, stop: asyncio.Event) -> Latency:
    """GET /arrow back to back on one keep-alive connection until `stop`."""
    out = Latency(label)
    raw = raw_request("GET", "/api/v0/arrow", port, {"Authorization": f"Bearer {token}"})
    await one_at_a_time(port, raw, out, stop=stop, answer_within=120)
    return out


async def register_burst(base: str, clients: int, total: int) -> tuple[Counter[int], float]:
    codes: Counter[int] = Counter()
    next_id = iter(range(total))
    started = time.perf_counter()

    async def one_client(k: int) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=300) as http:
            for i in next_id:
                body = {"email": f"burst{i}-{k}@example.org", "password": "burst-password"}
                r = await http.post("/api/v0/auth/register", json={**body, "name": "Burst"})
                codes[r.status_code] += 1

    await asyncio.gather(*(one_client(k) for k in range(clients)))
    return codes, time.perf_counter() - started


async def scenario(port: int, args: argparse.Namespace) -> None:
    base = f"http://{HOST}:{port}"
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        me = {"email": "other-archer@example.org", "password": "other-archer-pw", "name": "O"}
        assert (await http.post("/api/v0/auth/register", json=me)).status_code == 201
        r = await http.post("/api/v0/auth/login", json={k: me[k] for k in ("email", "password")})
        token = r.json()["data"]["token"]
    stop = asyncio.Event()
    timer = asyncio.create_task(time_arrows(port, token, "GET /arrow alone", stop))
    await asyncio.sleep(args.baseline)
    stop.set()
    alone = await timer
    stop = asyncio.Event()
    during = "GET /arrow during the registrations"
    timer = asyncio.create_task(time_arrows(port, token, during, stop))
    codes, took = await register_burst(base, args.clients, args.registrations)
    stop.set()
    print(figures(alone))
    print(figures(await timer))
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(codes.items()))
    rate = args.registrations / took
    print(f"{args.registrations} registrations from {args.clients} clients in {took:.1f} s "
          f"({rate:.0f}/s; {statuses})")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--registrations", type=int, default=230)
    parser.add_argument("--baseline", type=float, default=5.0, help="seconds of GET /arrow alone")
    parser.add_argument("--register-limit", type=int, default=1_000_000)
    common_options(parser, json_file=False, strict=False)
    args = parser.parse_args(argv)

    with ExitStack() as stack:
        dsn = stack.enter_context(database(args.database_url, prefix="asauth"))
        env = {
            **os.environ,
            "DATABASE_URL": dsn,
            "ASSEMBLER_ENABLED": "false",
            "LOG_LEVEL": "WARNING",
            "ACCESS_LOG": "false",
            "REGISTER_MAX_ATTEMPTS": str(args.register_limit),
        }
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="asauth-logs")))
        port, _ = stack.enter_context(arch_stats_serve("serve", [], env, logs))
        asyncio.run(scenario(port, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

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
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

HOST = "127.0.0.1"


def say(msg: str) -> None:
    print(f"[bench.auth] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def figures(name: str, latencies: list[float]) -> str:
    ms = [v * 1000 for v in latencies]
    return (
        f"{name:<42} n={len(ms):>5}  p50 {statistics.median(ms):8.1f} ms  "
        f"p99 {percentile(ms, 99):8.1f} ms  max {max(ms):8.1f} ms"
    )


async def time_arrows(base: str, token: str, stop: asyncio.Event) -> list[float]:
    out = []
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        headers = {"Authorization": f"Bearer {token}"}
        while not stop.is_set():
            started = time.perf_counter()
            r = await http.get("/api/v0/arrow", headers=headers)
            out.append(time.perf_counter() - started)
            if r.status_code != 200:
                raise RuntimeError(f"GET /arrow answered {r.status_code}")
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


async def scenario(base: str, args: argparse.Namespace) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        me = {"email": "other-archer@example.org", "password": "other-archer-pw", "name": "O"}
        assert (await http.post("/api/v0/auth/register", json=me)).status_code == 201
        r = await http.post("/api/v0/auth/login", json={k: me[k] for k in ("email", "password")})
        token = r.json()["data"]["token"]
    stop = asyncio.Event()
    timer = asyncio.create_task(time_arrows(base, token, stop))
    await asyncio.sleep(args.baseline)
    stop.set()
    alone = await timer
    stop = asyncio.Event()
    timer = asyncio.create_task(time_arrows(base, token, stop))
    codes, took = await register_burst(base, args.clients, args.registrations)
    stop.set()
    during = await timer
    print(figures("GET /arrow alone", alone))
    print(figures("GET /arrow during the registrations", during))
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
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)

    from arch_stats.core.embedded import start_embedded

    base_dir = Path(tempfile.mkdtemp(prefix="asauth"))
    server = None
    dsn = args.database_url
    if dsn is None:
        say(f"starting an embedded PostgreSQL in {base_dir}")
        server = start_embedded(base_dir, cleanup="delete")
        dsn = server.dsn
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "ASSEMBLER_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
        "ACCESS_LOG": "false",
        "REGISTER_MAX_ATTEMPTS": str(args.register_limit),
    }
    log = (base_dir / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "arch_stats", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://{HOST}:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/api/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None:
                raise RuntimeError("serve exited")
            time.sleep(0.1)
        say(f"serve pid {proc.pid} on {base}")
        asyncio.run(scenario(base, args))
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        if server is not None:
            server.stop()
        shutil.rmtree(base_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

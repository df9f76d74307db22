"""Abuse benchmark: does one account (and a crowd of anonymous clients) stall everyone else?

    .venv/bin/python -m bench.abuse.run [--rounds 3] [--window 5] [--shape slow|json-list]

Serves Arch Stats as `bench.api` does (uvicorn with `serve`'s options, an embedded PostgreSQL
in a temporary directory, or --database-url), seeds two archers (bench/api/seed.py), then
measures the other archer's `GET /session/{id}` and `GET /api/health` in windows that
alternate between quiet and abused by one shape of abuse.

`slow` (the default): the abusing account keeps open

* 10 trickling imports: `POST /import/shots.csv`, the CSV header line, then a byte every 2 s;
* 10 stalled exports: `GET /export/shots.csv`, 16 KB read, then nothing read (a small
  receive buffer, so that the server really has to wait);

and 100 anonymous slow bodies: `POST /auth/login` declaring 100,000 bytes, a byte every 2 s.
A connection the server ends (a 429 for the second import of the account, a 408) is opened
again 2 s later.

`json-list`: two clients of the abusing account post a megabyte JSON list `[1,1,…]`, each
the next as soon as the last is answered, to `POST /shot` and `POST /sensor/event` in turn.

Targets (issues 11 and 18): under abuse, p99
of `GET /session/{id}` < 100 ms and of `/api/health` < 50 ms, and no failed request.
127.0.0.1 only; bounded in time (≈ rounds × (2 × window + 3) s after the set-up).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from arch_stats.core import migrations
from bench.api.load import HOST
from bench.api.run import database, server_env, uvicorn_server
from bench.api.seed import Seeded, seed

API = "/api/v0"
CSV_HEADER = b"session_id,session_start,location,distance_m,arrow,seq,end_no,x_mm,y_mm\n"
SESSION_P99_MS = 100.0
HEALTH_P99_MS = 50.0
RETRY_SECONDS = 2.0


def say(msg: str) -> None:
    print(f"[abuse] {msg}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# --- the measured client -------------------------------------------------------------------


@dataclass
class Samples:
    ms: list[float] = field(default_factory=list)
    errors: int = 0


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> int:
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def measure(port: int, path: str, token: str | None, until: float, out: Samples) -> None:
    """Requests one after another on a keep-alive connection (a new one if it is closed)."""
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n{auth}\r\n".encode()
    loop = asyncio.get_running_loop()
    conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    while loop.time() < until:
        started = time.perf_counter()
        try:
            if conn is None:
                conn = await asyncio.open_connection(HOST, port)
            async with asyncio.timeout(10):
                status = await _exchange(*conn, request)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
            out.errors += 1
            if conn is not None:
                conn[1].close()
            conn = None
            await asyncio.sleep(0.05)
            continue
        out.ms.append((time.perf_counter() - started) * 1000)
        if status != 200:
            out.errors += 1
        await asyncio.sleep(0.005)  # a client, not a load generator
    if conn is not None:
        conn[1].close()


# --- the abusers ---------------------------------------------------------------------------


async def _again(open_one: Callable[[], Awaitable[None]], stop: asyncio.Event) -> None:
    """Run `open_one` again 2 s after the server ends it (a refusal, a 408), until `stop`:
    the abuse stays as many open connections, not a flood of new requests."""
    while not stop.is_set():
        with contextlib.suppress(OSError, asyncio.IncompleteReadError, TimeoutError):
            await open_one()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), RETRY_SECONDS)


async def _trickle(writer: asyncio.StreamWriter, reader: asyncio.StreamReader) -> None:
    """A byte every 2 s until the server answers or closes."""
    while True:
        writer.write(b"1")
        await writer.drain()
        try:
            async with asyncio.timeout(2):
                await reader.read(1)  # closed, or an answer (408, 413, …): either way it let go
                return
        except TimeoutError:
            continue


def trickling_import(port: int, token: str) -> Callable[[], Awaitable[None]]:
    async def one() -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            writer.write(
                (
                    f"POST {API}/import/shots.csv HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                    f"Authorization: Bearer {token}\r\nContent-Type: text/csv\r\n"
                    "Content-Length: 1000000\r\n\r\n"
                ).encode()
                + CSV_HEADER
            )
            await _trickle(writer, reader)
        finally:
            writer.close()

    return one


def slow_login(port: int) -> Callable[[], Awaitable[None]]:
    async def one() -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            writer.write(
                (
                    f"POST {API}/auth/login HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                    "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
                ).encode()
            )
            await _trickle(writer, reader)
        finally:
            writer.close()

    return one


def stalled_export(port: int, token: str, stop: asyncio.Event) -> Callable[[], Awaitable[None]]:
    async def one() -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (HOST, port))
        reader, writer = await asyncio.open_connection(sock=sock, limit=16 * 1024)
        try:
            writer.write(
                (
                    f"GET {API}/export/shots.csv HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                    f"Authorization: Bearer {token}\r\n\r\n"
                ).encode()
            )
            await writer.drain()
            got = 0
            while got < 16 * 1024:
                chunk = await reader.read(16 * 1024 - got)
                if not chunk:
                    return
                got += len(chunk)
            # Read no more: the reader's buffer (twice its limit) and the small receive buffer
            # fill, and the server's writes wait.
            await stop.wait()
        finally:
            writer.close()

    return one


async def abuse(port: int, abuser: Seeded, stop: asyncio.Event) -> None:
    makers = [
        *(trickling_import(port, abuser.token) for _ in range(10)),
        *(stalled_export(port, abuser.token, stop) for _ in range(10)),
        *(slow_login(port) for _ in range(100)),
    ]
    tasks = [asyncio.create_task(_again(make, stop)) for make in makers]
    await stop.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


MEGABYTE_LIST = b"[" + b",".join([b"1"] * 500_000) + b"]"


async def json_lists(port: int, abuser: Seeded, stop: asyncio.Event) -> None:
    """Two clients post the megabyte list over and over, to POST /shot and POST /sensor/event
    in turn (a new connection when the server closes one, as it does after a 413)."""
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}") as http:
        r = await http.post(
            f"{API}/auth/token",
            json={"name": "abuse"},
            headers={"Authorization": f"Bearer {abuser.token}"},
        )
        device = r.json()["data"]["token"]

    def post(path: str, token: str) -> bytes:
        return (
            f"POST {API}{path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(MEGABYTE_LIST)}\r\n\r\n"
        ).encode() + MEGABYTE_LIST

    requests = (post("/shot", abuser.token), post("/sensor/event", device))

    async def client() -> None:
        turn = 0
        while not stop.is_set():
            conn = None
            with contextlib.suppress(OSError, asyncio.IncompleteReadError, ValueError):
                conn = await asyncio.open_connection(HOST, port)
                while not stop.is_set():
                    turn += 1
                    await _exchange(*conn, requests[turn % 2])
            if conn is not None:
                conn[1].close()

    tasks = [asyncio.create_task(client()) for _ in range(2)]
    await stop.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


Shape = Callable[[int, Seeded, asyncio.Event], Coroutine[Any, Any, None]]
SHAPES: dict[str, Shape] = {"slow": abuse, "json-list": json_lists}


# --- the run -------------------------------------------------------------------------------


@dataclass
class Phase:
    session: Samples = field(default_factory=Samples)
    health: Samples = field(default_factory=Samples)


async def run(
    port: int, victim: Seeded, abuser: Seeded, rounds: int, window: float, shape: Shape = abuse
) -> None:
    quiet, abused = Phase(), Phase()
    loop = asyncio.get_running_loop()
    session_path = f"{API}/session/{victim.session_72}"
    for n in range(rounds):
        for name, phase in (("quiet", quiet), ("abused", abused)):
            stop = asyncio.Event()
            abuser_task = None
            if phase is abused:
                abuser_task = asyncio.create_task(shape(port, abuser, stop))
                await asyncio.sleep(3)  # the abuse under way (slow: 120 connections open)
            say(f"round {n + 1}/{rounds}: {name} window, {window:g} s")
            until = loop.time() + window
            await asyncio.gather(
                measure(port, session_path, victim.token, until, phase.session),
                measure(port, "/api/health", None, until, phase.health),
            )
            stop.set()
            if abuser_task is not None:
                await abuser_task
    report(quiet, abused)


def report(quiet: Phase, abused: Phase) -> None:
    print(f"{'request':28} {'phase':7} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for label, pick in (("GET /session/{id}", "session"), ("GET /api/health", "health")):
        for name, phase in (("quiet", quiet), ("abused", abused)):
            s: Samples = getattr(phase, pick)
            print(
                f"{label:28} {name:7} {len(s.ms):>6} {percentile(s.ms, 0.5):>8.2f} "
                f"{percentile(s.ms, 0.99):>8.2f} {s.errors:>7}"
            )
    print("\ntargets (under abuse):")
    for label, s, limit in (
        ("GET /session/{id}", abused.session, SESSION_P99_MS),
        ("GET /api/health", abused.health, HEALTH_P99_MS),
    ):
        p99 = percentile(s.ms, 0.99)
        ok = s.ms and p99 < limit and s.errors == 0
        print(
            f"  {'PASS' if ok else 'FAIL'}  {label}: p99 {p99:.1f} ms, {s.errors} failed "
            f"(target p99 < {limit:g} ms, none failed)"
        )


async def prepare(dsn: str) -> tuple[Seeded, Seeded]:
    conn = await migrations.connect(dsn)
    try:
        await migrations.up(conn)
        say("seeding two archers (the measured one, the abusing one)")
        return await seed(conn), await seed(conn)
    finally:
        await conn.close()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.abuse.run", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="quiet/abused pairs (default 3)")
    parser.add_argument("--window", type=float, default=5.0, help="seconds measured per window")
    parser.add_argument("--database-url", help="a disposable database (default: embedded)")
    parser.add_argument("--shape", choices=SHAPES, default="slow", help="the abuse (default slow)")
    args = parser.parse_args(argv)
    if not 1 <= args.rounds <= 20 or not 1 <= args.window <= 60:
        parser.error("--rounds 1..20, --window 1..60 s: this benchmark is bounded")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with database(args.database_url) as dsn:
        victim, abuser = asyncio.run(prepare(dsn))
        env, _ = server_env(dsn, None)
        env["ASSEMBLER_ENABLED"] = "false"
        logs = Path(tempfile.mkdtemp(prefix="asabuse"))
        with uvicorn_server(
            "arch-stats", "bench.api.serve:create_app", env, "/api/ready", logs
        ) as port:
            say(f"abuse: {args.shape}")
            shape = SHAPES[args.shape]
            asyncio.run(
                asyncio.wait_for(run(port, victim, abuser, args.rounds, args.window, shape), 600)
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

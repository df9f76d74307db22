"""Abuse benchmark: does one account (and a crowd of anonymous clients) stall everyone else?

    .venv/bin/python -m bench.abuse.run [--rounds 3] [--window 5]
                                        [--shape slow|json-list|frames|viewers|cap]

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

`frames`: 40 WebSockets on a club board's public link each send one 16 MiB binary frame as
fast as the server takes it (again 2 s after the server closes one); figures: frames taken
whole, frames cut short, the server's largest RSS. `viewers`: 2,000 anonymous viewers on two
clubs' public links (1,000 each, from 100 loopback addresses, in a process of their own:
bench/abuse/viewers.py), opened before the first window; while abused, the archer shown on
both boards posts 10 arrows a second. `cap`: a server with MAX_CONNECTIONS=400, 415 slow
bodies (as `slow`'s) from one address, and a newcomer from another address every 0.2 s
(GET /api/health on a new connection): how many are refused. These abusers come from
127.0.0.2-4 and 127.1.x.y, the measured archer from 127.0.0.1; target (issue 18): the
measured archer's GET /session/{id} p99 ≤ 100 ms and no failed request.

Targets (issues 11 and 18): under abuse, p99
of `GET /session/{id}` < 100 ms and of `/api/health` < 50 ms, and no failed request.
127.0.0.1 only; bounded in time (≈ rounds × (2 × window + 3) s after the set-up).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import secrets
import socket
import sys
import tempfile
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from arch_stats.auth.tokens import token_hash
from arch_stats.board.service import LINK_PREFIX
from bench.api.seed import Seeded, seed
from bench.common.cpu import process_cpu, rss_mib
from bench.common.db import connect, database, migrate
from bench.common.load import FAILURES, exchange, one_at_a_time, raw_request
from bench.common.numbers import Latency
from bench.common.report import Column, Table, common_options, sayer, verdict
from bench.common.seed import CENTRE_MM, add_club
from bench.common.server import HOST, server_env, uvicorn

API = "/api/v0"
CSV_HEADER = b"session_id,session_start,location,distance_m,arrow,seq,end_no,x_mm,y_mm\n"
SESSION_P99_MS = 100.0
HEALTH_P99_MS = 50.0
RETRY_SECONDS = 2.0


say = sayer("abuse")


# --- the measured client -------------------------------------------------------------------


@dataclass
class Phase:
    """The measured archer's requests in the quiet (or the abused) windows."""

    session: Latency = field(default_factory=Latency)
    health: Latency = field(default_factory=Latency)


async def measure(port: int, path: str, token: str | None, until: float, out: Latency) -> None:
    """Requests one after another on a keep-alive connection (a new one if it is closed),
    5 ms apart: a client, not a load generator."""
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    raw = raw_request("GET", path, port, auth)
    await one_at_a_time(port, raw, out, until=until, pause=0.005)


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


def slow_login(port: int, local: str | None = None) -> Callable[[], Awaitable[None]]:
    """`local`: the address the connection comes from (default: the system's choice)."""

    async def one() -> None:
        reader, writer = await asyncio.open_connection(
            HOST, port, local_addr=(local, 0) if local else None
        )
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
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        return raw_request("POST", f"{API}{path}", port, headers, MEGABYTE_LIST)

    requests = (post("/shot", abuser.token), post("/sensor/event", device))

    async def client() -> None:
        turn = 0
        while not stop.is_set():
            conn = None
            with contextlib.suppress(OSError, asyncio.IncompleteReadError, ValueError):
                conn = await asyncio.open_connection(HOST, port)
                while not stop.is_set():
                    turn += 1
                    await exchange(*conn, requests[turn % 2])
            if conn is not None:
                conn[1].close()

    tasks = [asyncio.create_task(client()) for _ in range(2)]
    await stop.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


Shape = Callable[[int, Seeded, asyncio.Event], Coroutine[Any, Any, None]]
SHAPES: dict[str, Shape] = {"slow": abuse, "json-list": json_lists}


# --- WebSocket frames, board viewers, the connection cap (issue 18) --------------------------
#
# Each shape alternates quiet and abused windows as `run` does, and reports the measured
# archer's `GET /session/{id}` p99 (target ≤ 100 ms) with figures of its own. Abusers come
# from loopback addresses other than the measured archer's 127.0.0.1 (another client).

FRAME_BYTES = 16 * 1024 * 1024
FRAME_SOCKETS = 40
FRAME_SOURCE = "127.0.0.2"
VIEWERS_PER_LINK = 1000  # on each of two clubs' public links: 2,000 viewers
VIEWER_SOURCES = 100
ARROWS_PER_S = 10.0
CAP = 400  # MAX_CONNECTIONS of the cap shape's own server
CAP_SOCKETS = 415
CAP_SOURCE = "127.0.0.3"
NEWCOMER_SOURCE = "127.0.0.4"
WS_KEY = "dGhlIHNhbXBsZSBub25jZQ=="


async def board_link(dsn: str, shooter: Seeded, name: str) -> str:
    """A club of the shooter (owner, shown on public boards) with a public link: its token."""
    token = LINK_PREFIX + secrets.token_urlsafe(32)
    async with connect(dsn) as conn:
        club_id = await add_club(conn, [shooter.archer_id], public=True, name=name)
        await conn.execute(
            "INSERT INTO club_board_link (club_id, token_hash) VALUES ($1, $2)",
            club_id,
            token_hash(token),
        )
    return token


async def _ws_handshake(
    port: int, path: str, local: str
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(HOST, port, local_addr=(local, 0))
    writer.write(
        (
            f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {WS_KEY}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101"):
        writer.close()
        raise OSError(f"handshake refused: {head[:40]!r}")
    return reader, writer


@dataclass
class FrameTally:
    sent_whole: int = 0  # 16 MiB frames the server took to their end
    cut_short: int = 0  # frames the server closed the socket on before their end
    rss_max_mib: float = 0.0


def big_frame(port: int, path: str, tally: FrameTally) -> Callable[[], Awaitable[None]]:
    """A WebSocket that sends one binary frame of 16 MiB (masked with a zero key: the payload
    is zeros either way), as fast as the server takes it, then reads until closed."""
    header = bytes([0x82, 0x80 | 127]) + FRAME_BYTES.to_bytes(8, "big") + bytes(4)
    chunk = bytes(64 * 1024)

    async def one() -> None:
        reader, writer = await _ws_handshake(port, path, FRAME_SOURCE)
        drain = asyncio.create_task(reader.read(-1))  # the snapshot, then the close
        whole = False
        try:
            writer.write(header)
            for _ in range(FRAME_BYTES // len(chunk)):
                if drain.done():
                    break
                writer.write(chunk)
                await writer.drain()
            else:
                whole = True
        except OSError:
            pass
        try:
            if whole:
                tally.sent_whole += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(drain, RETRY_SECONDS)
            else:
                tally.cut_short += 1
        finally:
            drain.cancel()
            writer.close()

    return one


async def frames_shape(port: int, pid: int, path: str, stop: asyncio.Event) -> dict[str, Any]:
    tally = FrameTally()
    tasks = [
        asyncio.create_task(_again(big_frame(port, path, tally), stop))
        for _ in range(FRAME_SOCKETS)
    ]
    while not stop.is_set():
        tally.rss_max_mib = max(tally.rss_max_mib, rss_mib(pid))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.2)
    await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "frames of 16 MiB taken whole": tally.sent_whole,
        "cut short by the server": tally.cut_short,
        "server RSS max MiB": round(tally.rss_max_mib),
    }


async def arrows(port: int, pid: int, shooter: Seeded, stop: asyncio.Event) -> dict[str, Any]:
    """The shooter's arrows, one POST /shot at a time at ARROWS_PER_S, until `stop`; and the
    server's CPU per arrow meanwhile (its fan-out to every viewer included)."""
    rng = random.Random(18)
    reader, writer = await asyncio.open_connection(HOST, port)
    loop = asyncio.get_running_loop()
    start, posted, failed = loop.time(), 0, 0
    cpu_before = process_cpu(pid) or 0.0
    try:
        while not stop.is_set():
            body = orjson.dumps(
                {
                    "session_id": str(shooter.open_session),
                    "target_id": str(shooter.open_target),
                    "x_mm": CENTRE_MM + rng.gauss(0, 80),
                    "y_mm": CENTRE_MM + rng.gauss(0, 80),
                }
            )
            headers = {"Authorization": shooter.auth_header, "Content-Type": "application/json"}
            status = await exchange(
                reader, writer, raw_request("POST", f"{API}/shot", port, headers, body)
            )
            posted += 1
            failed += status != 201
            with contextlib.suppress(TimeoutError):
                delay = start + posted / ARROWS_PER_S - loop.time()
                await asyncio.wait_for(stop.wait(), max(delay, 0))
    finally:
        writer.close()
    cpu_ms = ((process_cpu(pid) or cpu_before) - cpu_before) * 1000 / max(posted, 1)
    return {
        "arrows posted": posted,
        "arrows failed": failed,
        "server CPU ms per arrow": round(cpu_ms, 1),
    }


class ViewerProcess:
    """`python -m bench.abuse.viewers` in a subprocess of ours."""

    def __init__(self, urls: list[str]) -> None:
        self.args = [f"--url={url}" for url in urls]
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> dict[str, Any]:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.abuse.viewers", *self.args,
            f"--clients={VIEWERS_PER_LINK}", f"--sources={VIEWER_SOURCES}",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 300)
        if not line.startswith(b"READY "):
            raise RuntimeError(f"viewers did not start: {line[:200]!r}")
        ready: dict[str, Any] = orjson.loads(line[6:])
        return ready

    async def stop(self) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin and self.proc.stdout
        self.proc.stdin.close()
        line = await asyncio.wait_for(self.proc.stdout.readline(), 60)
        await asyncio.wait_for(self.proc.wait(), 30)
        done: dict[str, Any] = orjson.loads(line[5:]) if line.startswith(b"DONE ") else {}
        return done

    def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()  # only our own child, by its handle


async def newcomers(port: int, stop: asyncio.Event, out: dict[str, int]) -> None:
    """A new client from another address every 0.2 s: a fresh connection, GET /api/health."""
    request = raw_request("GET", "/api/health", port, {})
    while not stop.is_set():
        out["newcomers"] = out.get("newcomers", 0) + 1
        try:
            reader, writer = await asyncio.open_connection(
                HOST, port, local_addr=(NEWCOMER_SOURCE, 0)
            )
            try:
                async with asyncio.timeout(10):
                    status = await exchange(reader, writer, request)
            finally:
                writer.close()
        except FAILURES:
            status = 0
        if status != 200:
            out["newcomers refused"] = out.get("newcomers refused", 0) + 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.2)


async def cap_shape(port: int, stop: asyncio.Event) -> dict[str, Any]:
    out: dict[str, int] = {}
    tasks = [
        asyncio.create_task(_again(slow_login(port, CAP_SOURCE), stop)) for _ in range(CAP_SOCKETS)
    ]
    await asyncio.sleep(3)  # the slow bodies are all in
    await newcomers(port, stop, out)
    await asyncio.gather(*tasks, return_exceptions=True)
    return dict(out)


# Runs until its event is set; then its figures, if it has any.
Abuse = Callable[[asyncio.Event], Coroutine[Any, Any, dict[str, Any] | None]]


async def run_shape(
    port: int, victim: Seeded, abuse: Abuse, rounds: int, window: float, name: str
) -> tuple[Phase, Phase, list[dict[str, Any]]]:
    """Quiet and abused windows, `rounds` times; the abuse's own figures of each window."""
    quiet, abused = Phase(), Phase()
    figures: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    session_path = f"{API}/session/{victim.session_72}"
    for n in range(rounds):
        for label, phase in (("quiet", quiet), ("abused", abused)):
            stop = asyncio.Event()
            task = asyncio.create_task(abuse(stop)) if phase is abused else None
            if task is not None:
                await asyncio.sleep(3)  # the abuse under way (slow: 120 connections open)
            say(f"{name}, round {n + 1}/{rounds}: {label} window, {window:g} s")
            until = loop.time() + window
            await asyncio.gather(
                measure(port, session_path, victim.token, until, phase.session),
                measure(port, "/api/health", None, until, phase.health),
            )
            stop.set()
            if task is not None and (figure := await task) is not None:
                figures.append(figure)
    return quiet, abused, figures


def report_shape(name: str, quiet: Phase, abused: Phase, figures: list[dict[str, Any]]) -> bool:
    print(f"\n{name}")
    report_rows(quiet, abused)
    for n, figure in enumerate(figures, 1):
        print(f"  abused window {n}: " + ", ".join(f"{k} {v}" for k, v in figure.items()))
    s = abused.session
    ok = bool(s.values) and s.p99 <= SESSION_P99_MS and s.missing == 0
    print(
        verdict(
            ok,
            f"{name}: another archer's GET /session/{{id}} p99 {s.p99:.1f} ms, {s.missing} "
            f"failed (target ≤ {SESSION_P99_MS:g} ms, none failed)",
        )
    )
    return ok


# --- the run -------------------------------------------------------------------------------


async def run(
    port: int, victim: Seeded, abuser: Seeded, rounds: int, window: float, shape: Shape = abuse
) -> None:
    quiet, abused, _ = await run_shape(
        port, victim, lambda stop: shape(port, abuser, stop), rounds, window, "abuse"
    )
    report(quiet, abused)


TABLE = Table(
    [
        Column("request", 28, "<"),
        Column("phase", 7, "<"),
        Column("n", 6),
        Column("p50 ms", 8, fmt=".2f"),
        Column("p99 ms", 8, fmt=".2f"),
        Column("errors", 7),
    ]
)


def report_rows(quiet: Phase, abused: Phase) -> None:
    print(*TABLE.header())
    for label, pick in (("GET /session/{id}", "session"), ("GET /api/health", "health")):
        for name, phase in (("quiet", quiet), ("abused", abused)):
            s: Latency = getattr(phase, pick)
            print(TABLE.row(label, name, s.n, s.p50, s.p99, s.missing))


def report(quiet: Phase, abused: Phase) -> None:
    report_rows(quiet, abused)
    print("\ntargets (under abuse):")
    for label, s, limit in (
        ("GET /session/{id}", abused.session, SESSION_P99_MS),
        ("GET /api/health", abused.health, HEALTH_P99_MS),
    ):
        ok = bool(s.values) and s.p99 < limit and s.missing == 0
        target = f"target p99 < {limit:g} ms, none failed"
        print(verdict(ok, f"{label}: p99 {s.p99:.1f} ms, {s.missing} failed ({target})"))


async def prepare(dsn: str) -> tuple[Seeded, Seeded]:
    await migrate(dsn)
    say("seeding two archers (the measured one, the abusing one)")
    async with connect(dsn) as conn:
        return await seed(conn), await seed(conn)


# The shapes of issue 18 here, and the server settings each runs with.
BOARD_SHAPES = ("frames", "viewers", "cap")
SHAPE_ENV = {"cap": {"MAX_CONNECTIONS": str(CAP)}}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.abuse.run", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="quiet/abused pairs (default 3)")
    parser.add_argument("--window", type=float, default=5.0, help="seconds measured per window")
    common_options(parser, json_file=False, strict=False)
    parser.add_argument(
        "--shape", choices=(*SHAPES, *BOARD_SHAPES), default="slow", help="the abuse (default slow)"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.rounds <= 20 or not 1 <= args.window <= 60:
        parser.error("--rounds 1..20, --window 1..60 s: this benchmark is bounded")
    return args


async def board_shape(
    dsn: str, port: int, pid: int, victim: Seeded, shooter: Seeded, args: argparse.Namespace
) -> None:
    """One of BOARD_SHAPES; frames and viewers on two clubs of the shooter's, with public links."""
    links = [await board_link(dsn, shooter, f"Abuse club {n}") for n in (1, 2)]
    if args.shape == "frames":
        path = f"{API}/ws?board={links[0]}"
        report_shape(
            f"{FRAME_SOCKETS} sockets sending 16 MiB WebSocket frames",
            *await run_shape(
                port, victim, lambda stop: frames_shape(port, pid, path, stop),
                args.rounds, args.window, "frames",
            ),
        )  # fmt: skip
    elif args.shape == "viewers":
        viewers = ViewerProcess([f"ws://{HOST}:{port}{API}/ws?board={t}" for t in links])
        try:
            say(f"opening {2 * VIEWERS_PER_LINK} board viewers from {VIEWER_SOURCES} addresses")
            ready = await viewers.start()
            say(f"  viewers: {ready}")
            results = await run_shape(
                port, victim, lambda stop: arrows(port, pid, shooter, stop),
                args.rounds, args.window, "viewers",
            )  # fmt: skip
            done = await viewers.stop()
        finally:
            viewers.kill()
        print(f"viewers when the arrows started: {ready}; at the end: {done}")
        report_shape(
            f"{2 * VIEWERS_PER_LINK} idle board viewers (2 public links) while "
            f"{ARROWS_PER_S:g} arrows/s land",
            *results,
        )
    else:
        report_shape(
            f"{CAP_SOCKETS} slow bodies from one address, MAX_CONNECTIONS={CAP}",
            *await run_shape(
                port, victim, lambda stop: cap_shape(port, stop), args.rounds, args.window, "cap"
            ),
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with database(args.database_url) as dsn:
        victim, abuser = asyncio.run(prepare(dsn))
        env, _ = server_env(dsn, None)
        env["ASSEMBLER_ENABLED"] = "false"
        env.update(SHAPE_ENV.get(args.shape, {}))
        with (
            tempfile.TemporaryDirectory(prefix="asabuse") as logs,
            uvicorn("arch-stats", env, Path(logs), ready_path="/api/ready") as (port, pid),
        ):
            say(f"abuse: {args.shape}")
            if args.shape in SHAPES:
                work = run(port, victim, abuser, args.rounds, args.window, SHAPES[args.shape])
            else:
                work = board_shape(dsn, port, pid, victim, abuser, args)
            asyncio.run(asyncio.wait_for(work, 900))
    return 0


if __name__ == "__main__":
    sys.exit(main())

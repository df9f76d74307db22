"""The receiving side of the live benchmark, in a process of its own (started by `run.py`).

    python -m bench.live.receiver floor --channel CH            (the DSN in $BENCH_LIVE_DSN)
    python -m bench.live.receiver ws --url ws://127.0.0.1:PORT/api/v0/ws?session_id=… \
        --clients 100          (the login token in $BENCH_LIVE_TOKEN)
    python -m bench.live.receiver ws --board --url ws://…/api/v0/ws?club_id=… --clients 50

`floor`: one bare asyncpg connection LISTENing on a channel. `ws`: N WebSocket clients
(`websockets.asyncio.client`) on one Arch Stats session. Every arrival is stamped with
`time.time()` (CLOCK_REALTIME, the clock the inserter stamps commits with, shared by all
processes of the machine) the moment it is handed over, and kept unparsed: parsing waits for
the end, so that it delays no receipt. Only `shot.created` frames are kept (the others are
counted); the garbage collector is off, its pauses would show as latency.

Protocol on stdin/stdout, one line each: the receiver prints `READY` once listening (every
client connected); the benchmark then inserts, and writes `STOP <key> <grace_s>`, `<key>`
being the last item it sent (a floor row id, or a landing's `landed_at` in µs since the
epoch). The receiver waits until every client has that item (frames arrive in order) or
`grace_s` has passed, prints one JSON line — per client, `[[key, arrival], …]` — and exits.
It never runs longer than `--max-seconds`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from websockets.asyncio.client import ClientConnection, connect

from bench.common.load import loop_runner

SHOT_CREATED = '"type":"shot.created"'
BOARD_SHOT = '"type":"board.shot.created"'


def _log(msg: str) -> None:
    print(f"[receiver] {msg}", file=sys.stderr, flush=True)


def landed_key(value: str) -> int:
    """A shot's `landed_at` (ISO 8601) as µs since the epoch: the key the inserter uses."""
    ts = datetime.fromisoformat(value)
    return int(ts.timestamp()) * 1_000_000 + ts.microsecond


def shot_key(text: str) -> int | None:
    """The key of a `shot.created` frame, None for any other frame."""
    if SHOT_CREATED not in text[:40]:
        return None
    body: Any = orjson.loads(text)
    landed = body["data"]["landed_at"]
    return landed_key(landed) if landed else None


def board_key(text: str) -> int | None:
    """The key of a club board's `board.shot.created` frame, None for any other frame."""
    if BOARD_SHOT not in text[:50]:
        return None
    body: Any = orjson.loads(text)
    landed = body["data"]["shot"]["landed_at"]
    return landed_key(landed) if landed else None


class Inbox:
    """What one client received: (arrival, raw text), in order; parsed only on demand."""

    __slots__ = ("got", "keyed", "keys", "others", "parse", "scanned")

    def __init__(self, parse: Callable[[str], int | None]) -> None:
        self.got: list[tuple[float, str]] = []
        self.parse = parse
        self.keyed: list[tuple[int, float]] = []
        self.keys: set[int] = set()
        self.scanned = 0
        self.others = 0  # frames received but not kept

    def scan(self) -> None:
        for t, text in self.got[self.scanned :]:
            key = self.parse(text)
            if key is not None:
                self.keyed.append((key, t))
                self.keys.add(key)
        self.scanned = len(self.got)

    def has(self, key: int) -> bool:
        self.scan()
        return key in self.keys


async def _await_stop(inboxes: list[Inbox], max_seconds: float, started: float) -> None:
    """Read `STOP key grace` from stdin; return once every inbox has `key`, or in time."""
    loop = asyncio.get_running_loop()
    line = await asyncio.wait_for(
        loop.run_in_executor(None, sys.stdin.readline),
        timeout=max(max_seconds - (time.monotonic() - started), 0.1),
    )
    parts = line.split()
    if len(parts) != 3 or parts[0] != "STOP":
        _log(f"unexpected control line {line!r}; stopping")
        return
    key, grace = int(parts[1]), float(parts[2])
    deadline = time.monotonic() + min(grace, max(max_seconds - (time.monotonic() - started), 0))
    waiting = list(inboxes)
    while waiting and time.monotonic() < deadline:
        waiting = [inbox for inbox in waiting if not inbox.has(key)]
        if waiting:
            await asyncio.sleep(0.02)
    if waiting:
        _log(f"{len(waiting)} client(s) never got the last item")


def _report(inboxes: list[Inbox], extra: dict[str, Any]) -> None:
    for inbox in inboxes:
        inbox.scan()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out = {
        "clients": [inbox.keyed for inbox in inboxes],
        "frames": sum(len(inbox.got) + inbox.others for inbox in inboxes),
        "cpu_s": usage.ru_utime + usage.ru_stime,
        **extra,
    }
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()


async def floor(dsn: str, channel: str, max_seconds: float) -> None:
    started = time.monotonic()
    inbox = Inbox(lambda text: int(text))
    conn = await asyncpg.connect(dsn)

    def on_notify(_c: object, _pid: int, _ch: str, payload: object) -> None:
        inbox.got.append((time.time(), str(payload)))

    try:
        await conn.add_listener(channel, on_notify)
        print("READY", flush=True)
        await _await_stop([inbox], max_seconds, started)
    finally:
        await conn.close()
    _report([inbox], {})


async def ws_clients(
    url: str, token: str, clients: int, max_seconds: float, deflate: bool, *, board: bool = False
) -> None:
    started = time.monotonic()
    kept = BOARD_SHOT if board else SHOT_CREATED
    inboxes = [Inbox(board_key if board else shot_key) for _ in range(clients)]
    conns: list[ClientConnection] = []
    gate = asyncio.Semaphore(20)  # do not open 100 handshakes at once

    async def open_one() -> ClientConnection:
        async with gate:
            return await connect(
                url,
                additional_headers={"Authorization": f"Bearer {token}"},
                compression="deflate" if deflate else None,
                open_timeout=30,
                max_queue=None,  # never push back on the server: we read everything
            )

    async def read(conn: ClientConnection, inbox: Inbox) -> None:
        got = inbox.got
        clock = time.time
        with contextlib.suppress(Exception):
            async for message in conn:
                t = clock()
                text = message if isinstance(message, str) else message.decode()
                if kept in text[:50]:  # the rest (stats.updated, …) is only counted
                    got.append((t, text))
                else:
                    inbox.others += 1

    readers: list[asyncio.Task[None]] = []
    try:
        conns = list(await asyncio.gather(*(open_one() for _ in range(clients))))
        readers = [
            asyncio.create_task(read(c, inbox)) for c, inbox in zip(conns, inboxes, strict=True)
        ]
        print("READY", flush=True)
        await _await_stop(inboxes, max_seconds, started)
    finally:
        for task in readers:
            task.cancel()
        await asyncio.gather(*(c.close() for c in conns), return_exceptions=True)
        await asyncio.gather(*readers, return_exceptions=True)
    _report(inboxes, {"deflate": deflate})


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.live.receiver")
    sub = p.add_subparsers(dest="mode", required=True)
    f = sub.add_parser("floor")
    f.add_argument("--channel", required=True)
    w = sub.add_parser("ws")
    w.add_argument("--url", required=True)
    w.add_argument("--clients", type=int, default=1)
    w.add_argument("--no-deflate", action="store_true")
    w.add_argument("--board", action="store_true", help="club board frames (?club_id=…)")
    for parser in (f, w):
        parser.add_argument("--max-seconds", type=float, default=600.0)
    args = p.parse_args(argv)
    # A collection of everything kept so far would delay receipts by milliseconds; the process
    # lives for one phase and makes next to no cyclic garbage.
    gc.disable()
    with loop_runner() as runner:
        if args.mode == "floor":
            runner.run(floor(os.environ["BENCH_LIVE_DSN"], args.channel, args.max_seconds))
        else:
            runner.run(
                ws_clients(
                    args.url,
                    os.environ["BENCH_LIVE_TOKEN"],
                    args.clients,
                    args.max_seconds,
                    not args.no_deflate,
                    board=args.board,
                )
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

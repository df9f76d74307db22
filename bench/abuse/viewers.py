"""Idle club-board viewers, in a process of their own (started by `bench.abuse.run`).

    python -m bench.abuse.viewers --url ws://127.0.0.1:PORT/api/v0/ws?board=TOKEN \
        --clients 1000 --sources 50 [--url …] [--max-seconds 300]

Opens --clients anonymous WebSocket viewers on each --url, from --sources loopback addresses
(127.1.0.1, 127.1.0.2, …; never 127.0.0.1, the measured archer's), at most 50 handshakes at a
time, and reads every frame they are sent (counted, not parsed). Prints one line, `READY
{json}` (how many are open, how many the server closed and with which code), once every
viewer has been tried; then keeps them open until its standard input closes (or
--max-seconds), and prints `DONE {json}` with the frames received.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections import Counter

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from bench.common.load import loop_runner

HANDSHAKES_AT_ONCE = 50


def source(n: int) -> str:
    """The n-th viewer address (127.1.0.1 …): loopback, not the measured archer's."""
    return f"127.1.{n // 250}.{1 + n % 250}"


class Viewers:
    def __init__(self, total: int) -> None:
        self.total = total
        self.all_tried = asyncio.Event()
        self.open: set[ClientConnection] = set()
        self.closed: Counter[str] = Counter()  # close code (or failure) → viewers
        self.frames = 0
        self.tried = 0  # handshakes done (or failed)

    async def watch(self, url: str, address: str, gate: asyncio.Semaphore) -> None:
        try:
            async with gate:
                ws = await connect(url, local_addr=(address, 0), compression=None, open_timeout=30)
        except (OSError, TimeoutError, InvalidStatus) as exc:
            self.closed[type(exc).__name__] += 1
            return
        finally:
            self.tried += 1
            if self.tried == self.total:
                self.all_tried.set()
        self.open.add(ws)
        try:
            async for _ in ws:
                self.frames += 1
        except ConnectionClosed:
            pass
        finally:
            self.open.discard(ws)
            code = ws.close_code
            self.closed[str(code)] += 1


async def main_async(urls: list[str], clients: int, sources: int, max_seconds: float) -> None:
    viewers = Viewers(len(urls) * clients)
    gate = asyncio.Semaphore(HANDSHAKES_AT_ONCE)
    tasks = [
        asyncio.create_task(viewers.watch(url, source(n % sources), gate))
        for url in urls
        for n in range(clients)
    ]
    with contextlib.suppress(TimeoutError):  # every handshake tried, or given up on
        await asyncio.wait_for(viewers.all_tried.wait(), 120)
    await asyncio.sleep(1.0)  # refusals come right after the handshake
    ready = {"open": len(viewers.open), "closed": dict(viewers.closed)}
    print("READY " + json.dumps(ready), flush=True)
    loop = asyncio.get_running_loop()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(loop.run_in_executor(None, sys.stdin.read), max_seconds)
    done = {"open": len(viewers.open), "closed": dict(viewers.closed), "frames": viewers.frames}
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    print("DONE " + json.dumps(done), flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.abuse.viewers")
    p.add_argument("--url", action="append", required=True)
    p.add_argument("--clients", type=int, default=1000, help="viewers per --url")
    p.add_argument("--sources", type=int, default=50, help="loopback addresses used")
    p.add_argument("--max-seconds", type=float, default=300.0)
    args = p.parse_args(argv)
    if not 1 <= args.clients <= 5000 or not 1 <= args.sources <= 5000:
        p.error("--clients and --sources: 1 to 5,000")
    with loop_runner() as runner:
        runner.run(main_async(args.url, args.clients, args.sources, args.max_seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The fallback load generator: asyncio raw sockets, HTTP/1.1 keep-alive, one process.

Run by `bench.common.load` as `python -m bench.common.pyload` with a JSON spec on stdin; prints
the result as JSON on stdout. Deliberately tiny (no HTTP client library) so that it leaves
as much CPU as possible to the server under test.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import asdict, dataclass, field

from bench.common.load import Load, Request, Result, loop_runner, read_response
from bench.common.numbers import percentile
from bench.common.server import HOST


@dataclass
class Tally:
    start: float  # measurement window, perf_counter seconds
    end: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0


async def connection(raw: bytes, port: int, tally: Tally, read_timeout: float) -> None:
    writer: asyncio.StreamWriter | None = None
    try:
        while time.perf_counter() < tally.end:
            sent = time.perf_counter()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(HOST, port)
                    sent = time.perf_counter()
                writer.write(raw)
                status, close = await asyncio.wait_for(read_response(reader), read_timeout)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
                done = time.perf_counter()
                if tally.start <= done <= tally.end:
                    tally.errors += 1
                if writer is None:  # could not connect: do not spin
                    await asyncio.sleep(0.01)
                else:
                    writer.close()
                    writer = None
                continue
            done = time.perf_counter()
            if tally.start <= done <= tally.end:
                tally.latencies.append(done - sent)
                if not 200 <= status < 300:
                    tally.errors += 1
            if close:
                writer.close()
                writer = None
    finally:
        if writer is not None:
            writer.close()


async def measure(requests: list[Request], load: Load) -> Result:
    """Connection i sends requests[i % len(requests)] (e.g. each archer its own session)."""
    now = time.perf_counter()
    tally = Tally(start=now + load.warmup, end=now + load.warmup + load.duration)
    raws = [request.raw(load.port) for request in requests]
    tasks = [
        asyncio.create_task(connection(raws[i % len(raws)], load.port, tally, load.timeout))
        for i in range(load.connections)
    ]
    # Requests still in flight at the end do not count; give them a moment, then stop.
    _, pending = await asyncio.wait(tasks, timeout=tally.end - now + load.timeout)
    for task in pending:
        task.cancel()
    for outcome in await asyncio.gather(*tasks, return_exceptions=True):
        if isinstance(outcome, Exception):
            raise outcome
    latencies = sorted(tally.latencies)
    return Result(
        requests=len(latencies),
        seconds=load.duration,
        p50_ms=percentile(latencies, 0.50) * 1000 if latencies else 0.0,
        p99_ms=percentile(latencies, 0.99) * 1000 if latencies else 0.0,
        mean_ms=sum(latencies) / len(latencies) * 1000 if latencies else 0.0,
        errors=tally.errors,
    )


def main() -> None:
    spec = json.loads(sys.stdin.read())
    if "requests" in spec:
        requests = [Request(**r) for r in spec["requests"]]
    else:
        requests = [Request(**spec["request"])]
    load = Load(**spec["load"])
    if load.connections < 1 or load.duration <= 0:
        raise SystemExit("connections ≥ 1 and duration > 0 needed")
    with loop_runner() as runner:
        result = runner.run(measure(requests, load))
    print(json.dumps(asdict(result)))


if __name__ == "__main__":
    main()

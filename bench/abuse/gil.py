"""Does parsing a large body in a worker thread leave the event loop free?

    .venv/bin/python -m bench.abuse.gil

For each piece of work a JSON request makes (orjson's and the standard library's parse of a
megabyte list `[1,1,…]`, the validation of a post of 1000 sensor events), run on the event
loop and in a worker thread (`asyncio.to_thread`): how long it takes, and the longest the
loop went without running a task that ticks every millisecond meanwhile. A loop left free
would show gaps of about 1 ms in the thread; gaps as long as the work say the thread holds
the GIL throughout (C and Rust code does not let go of it). Best of 5.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from pydantic import TypeAdapter

from arch_stats.sensors.schemas import MAX_EVENTS, SensorEventsIn

MEGABYTE_LIST = b"[" + b",".join([b"1"] * 500_000) + b"]"
RUNS = 5


def events() -> list[dict[str, Any]]:
    start = datetime(2026, 5, 1, 10, tzinfo=UTC)
    return [
        {
            "device": "bow-1",
            "kind": "arrow_engaged",
            "sensor_ts": (start + timedelta(seconds=n)).isoformat(),
        }
        for n in range(MAX_EVENTS)
    ]


async def _ticks(stop: asyncio.Event, gaps: list[float]) -> None:
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(0.001)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now


async def measure(work: Callable[[], object], *, thread: bool) -> tuple[float, float]:
    """Milliseconds the work took, and the longest gap between the loop's ticks."""
    best = (float("inf"), float("inf"))
    for _ in range(RUNS):
        stop, gaps = asyncio.Event(), list[float]()
        ticker = asyncio.create_task(_ticks(stop, gaps))
        await asyncio.sleep(0.02)
        started = time.perf_counter()
        if thread:
            await asyncio.to_thread(work)
        else:
            work()
        took = time.perf_counter() - started
        await asyncio.sleep(0.005)
        stop.set()
        await ticker
        best = min(best, (took * 1000, max(gaps) * 1000))
    return best


async def main() -> None:
    validate = TypeAdapter(SensorEventsIn).validate_python
    posted = events()
    works: dict[str, Callable[[], object]] = {
        "orjson.loads, 1 MB list": lambda: orjson.loads(MEGABYTE_LIST),
        "json.loads, 1 MB list": lambda: json.loads(MEGABYTE_LIST),
        f"validate {MAX_EVENTS} sensor events": lambda: validate(posted),
    }
    print(f"{'work':34} {'where':7} {'took ms':>8} {'longest loop gap ms':>20}")
    for name, work in works.items():
        for thread in (False, True):
            took, gap = await measure(work, thread=thread)
            where = "thread" if thread else "loop"
            print(f"{name:34} {where:7} {took:>8.2f} {gap:>20.2f}")


if __name__ == "__main__":
    asyncio.run(main())

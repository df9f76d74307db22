"""`arch-stats assemble`: the shot assembler on its own (it also runs inside `serve`)."""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import Any


async def _run(dsn: str) -> int:
    from arch_stats.assembler.runner import Assembler
    from arch_stats.core.settings import get_settings

    assembler = Assembler.from_settings(dsn, get_settings())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, assembler.request_stop)
    await assembler.run()
    return 0


def cmd_assemble(_: argparse.Namespace) -> int:
    from arch_stats.core.runtime import database
    from arch_stats.core.settings import get_settings

    with database(get_settings()) as dsn:
        return asyncio.run(_run(dsn))


def add_commands(sub: Any) -> None:
    assemble = sub.add_parser(
        "assemble",
        help="run the shot assembler alone",
        description="Turn sensor events into shots until Ctrl-C. Only one assembler works at "
        "a time (advisory lock); others, and `serve` processes, stand by and take over.",
    )
    assemble.set_defaults(func=cmd_assemble)

"""`python -m arch_stats.sensors ROLE …`: one reader, as `arch-stats sensor ROLE …` but with the
database from DATABASE_URL only, and without loading the web stack (a quicker start)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from arch_stats.core.logging import setup_logging
from arch_stats.sensors.commands import reader_config, sensor_arguments
from arch_stats.sensors.readers import run_reader


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m arch_stats.sensors")
    sensor_arguments(parser)
    args = parser.parse_args(argv)
    setup_logging(os.environ.get("LOG_LEVEL", "INFO").upper())
    cfg = reader_config(args)
    return asyncio.run(run_reader(os.environ.get("DATABASE_URL") or None, cfg))


if __name__ == "__main__":
    sys.exit(main())

"""Command-line parts of the sensors domain: `arch-stats sensor …` and `arch-stats simulate`."""

from __future__ import annotations

import argparse
import asyncio
import os
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:  # imported when a command runs: `arch-stats --help` stays quick
    from arch_stats.sensors.readers import ReaderConfig
    from arch_stats.sensors.simulation import ArcherModel


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be ≥ 1")
    return value


def _timestamp(text: str) -> datetime:
    from arch_stats.core.types import time_problem

    value = datetime.fromisoformat(text)
    problem = time_problem(value)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return value


def _view(text: str) -> tuple[float, float]:
    w, _, h = text.lower().partition("x")
    return float(w), float(h or w)


def _archer_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("the simulated archer (the same for every reader of a simulation)")
    g.add_argument("--seed", type=int, default=1, help="random seed shared by the readers")
    g.add_argument("--spread", type=_positive, help="group σ in mm (default 10 + distance in m)")
    g.add_argument("--bias-x", type=float, default=12.0, help="mm right of the aim (default 12)")
    g.add_argument("--bias-y", type=float, default=-18.0, help="mm above the aim (default -18)")
    g.add_argument("--miss-rate", type=float, default=0.03, help="arrows missing the view")
    g.add_argument("--fatigue", type=float, default=0.4, help="spread growth over 72 arrows")
    g.add_argument(
        "--odd-arrows", type=int, choices=(0, 1, 2), default=1, help="arrows that fly differently"
    )


def _model(args: argparse.Namespace) -> ArcherModel:
    from arch_stats.sensors.simulation import ArcherModel

    return ArcherModel(
        seed=args.seed,
        spread_mm=args.spread,
        bias_x_mm=args.bias_x,
        bias_y_mm=args.bias_y,
        miss_rate=args.miss_rate,
        fatigue=args.fatigue,
        odd_arrows=args.odd_arrows,
    )


def sensor_arguments(sensor: argparse.ArgumentParser) -> None:
    """The options of one reader (also `python -m arch_stats.sensors`, which the simulator
    uses: it starts faster than the whole command-line tool)."""
    sensor.add_argument("role", choices=("arrow", "bow", "target"))
    sensor.add_argument("--session", type=UUID, required=True, help="the session id")
    sensor.add_argument("--speed", type=_positive, default=1.0, help="divides every delay")
    sensor.add_argument("--device", help="device name (default sim-ROLE)")
    sensor.add_argument("--shots", type=_count, help="stop after this many shots")
    sensor.add_argument("--since", type=_timestamp, help=argparse.SUPPRESS)
    sensor.add_argument("--base", type=int, help=argparse.SUPPRESS)
    sensor.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
    sensor.add_argument("--go-on-stdin", action="store_true", help=argparse.SUPPRESS)
    _archer_options(sensor)
    http = sensor.add_argument_group(
        "without a database (each reader follows the plan on its own clock from --start)"
    )
    http.add_argument("--api", help="server URL, e.g. http://127.0.0.1:8000")
    http.add_argument("--token", help="device token (or ARCH_STATS_DEVICE_TOKEN)")
    http.add_argument("--start", type=_timestamp, help="common start time of the readers")
    http.add_argument("--arrow", type=UUID, action="append", help="arrow id (repeat)")
    http.add_argument("--target", type=UUID, help="target id")
    http.add_argument("--distance", type=_positive, default=70.0, help="metres (default 70)")
    http.add_argument("--arrows-per-end", type=_count, default=6)
    http.add_argument("--view", type=_view, default=(1300.0, 1300.0), help="WxH mm of the view")
    http.add_argument("--face", default="wa_122", help="face type, centred in the view")


def reader_config(args: argparse.Namespace) -> ReaderConfig:
    from arch_stats.sensors.readers import ReaderConfig

    return ReaderConfig(
        role=args.role,
        session_id=args.session,
        device=args.device or f"sim-{args.role}",
        speed=args.speed,
        model=_model(args),
        shots=args.shots,
        since=args.since,
        base=args.base,
        parent_pid=args.parent_pid,
        go_on_stdin=args.go_on_stdin,
        api=args.api,
        token=args.token or os.environ.get("ARCH_STATS_DEVICE_TOKEN"),
        start=args.start,
        arrows=tuple(args.arrow or ()),
        target_id=args.target,
        distance_m=args.distance,
        arrows_per_end=args.arrows_per_end,
        view_mm=args.view,
        face_type=args.face,
    )


def cmd_sensor(args: argparse.Namespace) -> int:
    from arch_stats.core.runtime import database
    from arch_stats.core.settings import get_settings
    from arch_stats.sensors.readers import run_reader

    cfg = reader_config(args)
    if args.api:
        return asyncio.run(run_reader(None, cfg))
    with database(get_settings()) as dsn:
        return asyncio.run(run_reader(dsn, cfg))


def cmd_simulate(args: argparse.Namespace) -> int:
    from arch_stats.core.runtime import database, migrate_up
    from arch_stats.core.settings import get_settings
    from arch_stats.sensors.simulator import Simulation

    with database(get_settings()) as dsn:
        if args.demo:
            asyncio.run(migrate_up(dsn))
        sim = Simulation(
            dsn, session_id=args.session, shots=args.shots, speed=args.speed, model=_model(args)
        )
        return asyncio.run(sim.run())


def add_commands(sub: Any) -> None:
    """Register `sensor` and `simulate` on the `arch-stats` sub-command parser."""
    sensor = sub.add_parser(
        "sensor",
        help="run one sensor reader (simulated driver)",
        description="Run the arrow, bow or target reader for a session, as its own process. "
        "It writes its events to the database and watches the others' there; without "
        "a database it posts them with a device token (--api, --token).",
    )
    sensor_arguments(sensor)
    sensor.set_defaults(func=cmd_sensor)

    simulate = sub.add_parser(
        "simulate",
        help="run the three readers with a simulated archer",
        description="Start the arrow, bow and target readers for a session with a simulated "
        "archer, print one line per shot, and stop on Ctrl-C or after --shots N. The shots "
        "are made by the assembler (inside `serve`, or `arch-stats assemble`).",
    )
    which = simulate.add_mutually_exclusive_group(required=True)
    which.add_argument("--session", type=UUID, help="an open session of any archer")
    which.add_argument(
        "--demo", action="store_true", help="the demo archer's open session (opened if needed)"
    )
    simulate.add_argument("--shots", type=_count, help="stop after this many shots")
    simulate.add_argument("--speed", type=_positive, default=1.0, help="divides every delay")
    _archer_options(simulate)
    simulate.set_defaults(func=cmd_simulate)

"""`arch-stats`: serve, migrate, seed (and, as they land, the sensor readers and export)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from arch_stats import __version__
from arch_stats.assembler.commands import add_commands as assembler_commands
from arch_stats.core import migrations
from arch_stats.core.logging import setup_logging
from arch_stats.core.serving import UVICORN
from arch_stats.core.settings import Settings, get_settings
from arch_stats.sensors.commands import add_commands as sensor_commands

if TYPE_CHECKING:
    from arch_stats.exchange.schemas import ExportQuery


def _err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@contextmanager
def database(settings: Settings) -> Iterator[str]:
    """DATABASE_URL when set; otherwise the embedded server in DATA_DIR, stopped on exit."""
    if settings.database_url:
        yield settings.database_url
        return
    from arch_stats.core.embedded import start_embedded

    _err(f"DATABASE_URL not set: starting the embedded PostgreSQL in {settings.data_dir}/pgdata …")
    server = start_embedded(settings.data_dir)
    try:
        yield server.dsn
    finally:
        _err("stopping the embedded PostgreSQL …")
        server.stop()


async def _migrate_up(dsn: str) -> int:
    conn = await migrations.connect(dsn)
    try:
        done = await migrations.up(conn, on_apply=lambda m: _err(f"  applying {m.filename}"))
    finally:
        await conn.close()
    return len(done)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    if args.no_assembler:
        settings = settings.model_copy(update={"assembler_enabled": False})
        os.environ["ASSEMBLER_ENABLED"] = "false"  # for the worker processes
    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    # The worker processes read the same settings from the environment.
    update: dict[str, object] = {"host": host}
    os.environ["HOST"] = host
    if args.allowed_hosts is not None:
        update["allowed_hosts"] = [h.strip() for h in args.allowed_hosts.split(",") if h.strip()]
        os.environ["ALLOWED_HOSTS"] = args.allowed_hosts
    settings = settings.model_copy(update=update)
    with database(settings) as dsn:
        applied = asyncio.run(_migrate_up(dsn))
        _err(f"migrations: {applied} applied, database current")
        if args.demo:
            from arch_stats.seed import seed_demo

            asyncio.run(seed_demo(dsn, log=_err))
        _err(
            f"Arch Stats {__version__}: web UI http://{host}:{port}/app/ · "
            f"API docs http://{host}:{port}/api/swagger · Ctrl-C stops"
        )
        common = {
            "host": host,
            "port": port,
            **UVICORN,
            "log_config": None,
            "proxy_headers": args.proxy_headers,
            **(
                {"forwarded_allow_ips": args.forwarded_allow_ips}
                if args.forwarded_allow_ips
                else {}
            ),
        }
        if args.workers > 1:
            os.environ["DATABASE_URL"] = dsn
            uvicorn.run("arch_stats.app:create_app", factory=True, workers=args.workers, **common)
        else:
            from arch_stats.app import create_app

            uvicorn.run(create_app(settings, dsn=dsn), **common)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = get_settings()

    async def run(dsn: str) -> int:
        conn = await migrations.connect(dsn)
        try:
            if args.action == "up":
                done = await migrations.up(conn, on_apply=lambda m: _err(f"applying {m.filename}"))
                print(f"{len(done)} migration(s) applied; database is current")
            elif args.action == "down":
                done = await migrations.down(
                    conn, args.steps, on_apply=lambda m: _err(f"reverting {m.filename}")
                )
                print(f"{len(done)} migration(s) reverted")
            else:
                rows = await migrations.status(conn)
                for r in rows:
                    when = r.applied_at.isoformat(timespec="seconds") if r.applied_at else ""
                    print(f"{r.state:8} {r.version}__{r.name}.sql {when}")
                bad = [r for r in rows if r.state in ("changed", "missing")]
                return 1 if bad else 0
        except migrations.MigrationError as exc:
            _err(f"error: {exc}")
            return 1
        finally:
            await conn.close()
        return 0

    with database(settings) as dsn:
        return asyncio.run(run(dsn))


def cmd_seed(args: argparse.Namespace) -> int:
    from arch_stats.seed import seed_demo

    settings = get_settings()
    with database(settings) as dsn:
        asyncio.run(_migrate_up(dsn))
        asyncio.run(seed_demo(dsn, log=_err, reset=args.reset))
    return 0


def _export_query(args: argparse.Namespace) -> ExportQuery:
    from arch_stats.exchange.schemas import ExportQuery

    return ExportQuery(
        start_from=args.start_from,
        start_to=args.start_to,
        distance_m=args.distance,
        face_type=args.face,
        round_code=args.round,
        is_indoor=args.indoor,
    )


def cmd_export(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from arch_stats.exchange.commands import export_csv

    try:
        query = _export_query(args)
    except ValidationError as exc:
        _err(f"error: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}")
        return 2
    settings = get_settings()
    with database(settings) as dsn:
        asyncio.run(_migrate_up(dsn))
        return export_csv(
            dsn,
            email=args.email,
            kind=args.kind,
            output=args.output,
            query=query,
            arrow=args.arrow,
            say=_err,
        )


def cmd_import(args: argparse.Namespace) -> int:
    from arch_stats.exchange.commands import import_csv

    if not args.file.is_file():
        _err(f"error: no file {args.file}")
        return 2
    settings = get_settings()
    with database(settings) as dsn:
        asyncio.run(_migrate_up(dsn))
        return import_csv(dsn, email=args.email, path=args.file, say=_err)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="arch-stats",
        description="Arch Stats: record every arrow, score it by World Archery rules, see it live.",
        epilog="Configuration comes from the environment (and .env): see the README.",
    )
    parser.add_argument("--version", action="version", version=f"arch-stats {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="apply migrations and serve the API and web UI",
        description="Serve Arch Stats. Without DATABASE_URL an embedded PostgreSQL is started "
        "in DATA_DIR (default ./var) and stopped on exit; pending migrations are applied first.",
    )
    serve.add_argument("--host", help="address to listen on (default HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default PORT or 8000)")
    serve.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    serve.add_argument(
        "--demo", action="store_true", help="add the demo archer and data if missing"
    )
    serve.add_argument(
        "--proxy-headers",
        action="store_true",
        help="trust X-Forwarded-For and X-Forwarded-Proto from a reverse proxy (client "
        "addresses for rate limits, https for the origin check)",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        help="with --proxy-headers: the proxy's addresses (comma-separated; default 127.0.0.1)",
    )
    serve.add_argument(
        "--allowed-hosts",
        help="host names answered, comma-separated, `*` for any (default ALLOWED_HOSTS, "
        "else --host, localhost and IP addresses)",
    )
    serve.add_argument(
        "--no-assembler",
        action="store_true",
        help="do not assemble shots here (run `arch-stats assemble` elsewhere)",
    )
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="apply, revert or list database migrations")
    migrate.add_argument("action", choices=["up", "down", "status"])
    migrate.add_argument("--steps", type=int, default=1, help="with down: how many to revert")
    migrate.set_defaults(func=cmd_migrate)

    seed = sub.add_parser("seed", help="add demo data")
    seed.add_argument("--demo", action="store_true", required=True, help="the demo archer and data")
    seed.add_argument("--reset", action="store_true", help="delete the demo archer first")
    seed.set_defaults(func=cmd_seed)

    export = sub.add_parser(
        "export",
        help="write one archer's shots or sessions as CSV",
        description="Export shots.csv (one row per shot; `arch-stats import` reads it back) or "
        "sessions.csv (one row per session with its figures). Progress goes to stderr.",
    )
    export.add_argument("kind", choices=["shots", "sessions"], help="which file")
    export.add_argument("--email", required=True, help="the archer's account")
    export.add_argument(
        "-o", "--output", type=Path, help="file to write (default: standard output)"
    )
    export.add_argument("--from", dest="start_from", help="first day, YYYY-MM-DD (UTC)")
    export.add_argument("--to", dest="start_to", help="last day, YYYY-MM-DD (UTC)")
    export.add_argument("--distance", type=float, help="only sessions at this distance (m)")
    export.add_argument("--face", help="only sessions with this face type (e.g. wa_122)")
    export.add_argument("--round", help="only sessions of this round (e.g. wa720_70)")
    place = export.add_mutually_exclusive_group()
    place.add_argument(
        "--indoor", dest="indoor", action="store_const", const=True, help="indoor sessions only"
    )
    place.add_argument(
        "--outdoor", dest="indoor", action="store_const", const=False, help="outdoor only"
    )
    export.add_argument("--arrow", help="only this arrow's shots (its identifier, e.g. A07)")
    export.set_defaults(func=cmd_export)

    imp = sub.add_parser(
        "import",
        help="read a shots.csv into one archer's account",
        description="Import a shots.csv (as `arch-stats export shots` writes it): all or "
        "nothing, bad lines listed; importing the same file again adds nothing.",
    )
    imp.add_argument("file", type=Path, help="the shots.csv")
    imp.add_argument("--email", required=True, help="the archer's account")
    imp.set_defaults(func=cmd_import)

    sensor_commands(sub)
    assembler_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(get_settings().log_level)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())

"""`arch-stats`: serve, migrate, seed (and, as they land, the sensor readers and export)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from arch_stats import __version__
from arch_stats.admin.commands import add_commands as admin_commands
from arch_stats.assembler.commands import add_commands as assembler_commands
from arch_stats.core import migrations
from arch_stats.core.logging import setup_logging
from arch_stats.core.runtime import database, migrate_up
from arch_stats.core.runtime import say as _err
from arch_stats.core.serving import UVICORN
from arch_stats.core.settings import get_settings
from arch_stats.sensors.commands import add_commands as sensor_commands

if TYPE_CHECKING:
    from arch_stats.exchange.schemas import ExportQuery


def _workers(text: str) -> int:
    """--workers: a number of server processes, 1 to 64 (WEB_CONCURRENCY's bounds)."""
    try:
        workers = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= workers <= 64:
        raise argparse.ArgumentTypeError(f"{workers} processes: give 1 to 64")
    return workers


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    # Its processes share what the server does at once (SHOT_WRITES_IN_FLIGHT): they are as
    # many as --workers says, whatever WEB_CONCURRENCY the environment had.
    settings = get_settings().model_copy(update={"web_concurrency": args.workers})
    os.environ["WEB_CONCURRENCY"] = str(args.workers)
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
    # SIGTERM (systemd, container runtimes) stops as cleanly as Ctrl-C: uvicorn shuts down
    # gracefully on both, then raises the signal again, which this turns into the same
    # KeyboardInterrupt as Ctrl-C (uvicorn.run catches it), and the embedded server is stopped.
    with database(settings, keep_alive=True) as dsn:
        applied = asyncio.run(migrate_up(dsn))
        _err(f"migrations and definitions: {applied} applied, database current")
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
                defined = sum(isinstance(d, migrations.Definition) for d in done)
                print(
                    f"{len(done) - defined} migration(s) and {defined} definition(s) applied; "
                    "database is current"
                )
            elif args.action == "down":
                reverted = await migrations.down(
                    conn, args.steps, on_apply=lambda m: _err(f"reverting {m.filename}")
                )
                print(
                    f"{len(reverted)} migration(s) reverted; the definitions are applied again "
                    "by the next `migrate up`"
                    if reverted
                    else "0 migration(s) reverted"
                )
            else:
                rows = await migrations.status(conn)
                for r in rows:
                    when = r.applied_at.isoformat(timespec="seconds") if r.applied_at else ""
                    print(f"{r.state:8} {r.version}__{r.name}.sql {when}")
                for d in await migrations.definition_status(conn):
                    when = d.applied_at.isoformat(timespec="seconds") if d.applied_at else ""
                    print(f"{d.state:8} {d.filename} {when}")
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
        asyncio.run(migrate_up(dsn))
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
        asyncio.run(migrate_up(dsn))
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
        asyncio.run(migrate_up(dsn))
        return import_csv(dsn, email=args.email, path=args.file, say=_err)


def cmd_backup(args: argparse.Namespace) -> int:
    from arch_stats.core.backup import BackupError, backup, default_backup_name

    settings = get_settings()
    output = None if str(args.output) == "-" else (args.output or default_backup_name())
    if output is not None and output.exists() and not args.force:
        _err(f"error: {output} exists: choose another file, or --force to replace it")
        return 1
    try:
        with database(settings) as dsn:
            backup(
                dsn,
                output,
                embedded=settings.database_url is None,
                pg_bin_dir=settings.pg_bin_dir,
                say=_err,
                force=args.force,
            )
    except BackupError as exc:
        _err(f"error: {exc}")
        return 1
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from arch_stats.core.backup import BackupError, restore

    if not args.file.is_file():
        _err(f"error: no file {args.file}")
        return 2
    settings = get_settings()
    try:
        with database(settings) as dsn:
            restore(
                dsn,
                args.file,
                embedded=settings.database_url is None,
                pg_bin_dir=settings.pg_bin_dir,
                say=_err,
                clean=args.clean,
            )
            _say_migrations(asyncio.run(_migration_status(dsn)))
    except BackupError as exc:
        _err(f"error: {exc}")
        return 1
    return 0


def _say_migrations(
    rows: tuple[list[migrations.MigrationStatus], list[migrations.DefinitionStatus]],
) -> None:
    versioned, definitions = rows
    pending = sum(r.state == "pending" for r in versioned)
    unknown = sum(r.state in ("changed", "missing") for r in versioned)
    to_define = sum(d.state != "applied" for d in definitions)
    if unknown:
        _err(
            f"warning: {unknown} migration(s) of the backup are not those of this version of "
            "Arch Stats (`arch-stats migrate status`): use the version that made the backup"
        )
    elif pending or to_define:
        _err(
            f"{pending} migration(s) and {to_define} definition(s) pending: `arch-stats serve` "
            "(or `migrate up`) applies them"
        )
    else:
        _err("migrations: the database is current")


async def _migration_status(
    dsn: str,
) -> tuple[list[migrations.MigrationStatus], list[migrations.DefinitionStatus]]:
    conn = await migrations.connect(dsn)
    try:
        return await migrations.status(conn), await migrations.definition_status(conn)
    finally:
        await conn.close()


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
        description="Serve Arch Stats. Without DATABASE_URL the embedded PostgreSQL of DATA_DIR "
        "(default ./var) is started, or used if it runs already, started again if it dies, and "
        "stopped on exit unless another arch-stats process still uses it. Pending migrations "
        "are applied first. Ctrl-C and SIGTERM stop it cleanly.",
    )
    serve.add_argument("--host", help="address to listen on (default HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default PORT or 8000)")
    serve.add_argument(
        "--workers",
        type=_workers,
        default=1,
        help="server processes, 1 to 64 (default 1)",
    )
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

    migrate = sub.add_parser(
        "migrate",
        help="apply, revert or list database migrations (and definitions)",
        description="up: apply pending migrations, then the definitions (functions, triggers, "
        "views) that are new or changed. down: revert migrations; the next up applies every "
        "definition again. status: list both.",
    )
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

    backup = sub.add_parser(
        "backup",
        help="write a backup of the database (pg_dump, custom format)",
        description="Back up the whole database (every archer) with pg_dump in its custom "
        "format: the embedded server's own pg_dump, or for DATABASE_URL one at least as new as "
        "the server (PG_BIN_DIR to choose). The file is complete once it has its name (it is "
        "written as FILE.partial, checked, then renamed). `serve` may keep running.",
        epilog="Nightly, from cron: 15 3 * * * cd /srv/arch-stats && "
        ".venv/bin/arch-stats backup -o backups/arch-stats-$(date +\\%F).dump "
        "(see the README for a systemd timer).",
    )
    backup.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="where to write it; `-` for standard output "
        "(default: arch-stats-YYYYMMDD-HHMMSS.dump in the current directory, UTC)",
    )
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser(
        "restore",
        help="restore a backup into an empty database",
        description="Restore a backup made by `arch-stats backup` into the database (a new "
        "DATA_DIR, or the empty database of DATABASE_URL), as one transaction: all of it or "
        "nothing. A database that is not empty is refused unless --clean is given. Stop "
        "`serve` first. Pending migrations are applied by the next `serve`.",
    )
    restore.add_argument("file", type=Path, help="the backup file")
    restore.add_argument(
        "--clean",
        "--force",
        dest="clean",
        action="store_true",
        help="drop everything in the database first (in the same transaction)",
    )
    restore.set_defaults(func=cmd_restore)

    sensor_commands(sub)
    assembler_commands(sub)
    admin_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # SIGTERM ends every command as Ctrl-C does: `finally` blocks run (the embedded server is
    # stopped, files are closed) instead of the process dying where it stands.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    setup_logging(get_settings().log_level)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())

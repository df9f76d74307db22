"""Processes of ours: uvicorn serving an app as `arch-stats serve` does, or `arch-stats serve`
itself; each on 127.0.0.1 and a port the OS picks, its output in a log file, stopped (only
it, by its handle) when done."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from arch_stats.core.serving import UVICORN, uvicorn_flags
from arch_stats.core.settings import Settings
from bench.common import ceiling
from bench.common.report import say

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[2]  # the checkout: `bench.…` factories load from it
APP = "bench.common.serve:create_app"  # Arch Stats as `serve` builds it, no access log
# Plain uvicorn for the bare ceilings: `serve`'s options, with uvicorn's own protocols in
# place of Arch Stats' edge (httptools, websockets' sans-I/O): nothing of ours in the process.
BARE: Final[dict[str, Any]] = {
    **UVICORN,
    "http": "httptools",
    "ws": "websockets-sansio",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def server_env(dsn: str, pool_size: int | None = None) -> tuple[dict[str, str], tuple[int, int]]:
    """The servers' environment and their pool bounds (the app's settings unless overridden)."""
    defaults = Settings(database_url=dsn)
    low, high = defaults.pg_pool_min, defaults.pg_pool_max
    if pool_size is not None:
        low, high = min(low, pool_size), pool_size
    env = {**os.environ, "DATABASE_URL": dsn, "PG_POOL_MIN": str(low), "PG_POOL_MAX": str(high)}
    # A load test writes tens of thousands of shots into one session: no cap on it.
    env["SESSION_MAX_SHOTS"] = "1000000"
    return env, (low, high)


def tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _warnings(path: Path) -> list[str]:
    return [
        line for line in path.read_text(errors="replace").splitlines()
        if "WARNING" in line or "ERROR" in line or "Traceback" in line
    ]  # fmt: skip


@contextmanager
def child(
    name: str,
    command: list[str],
    env: dict[str, str],
    logs: Path,
    *,
    stop: signal.Signals = signal.SIGTERM,
) -> Iterator[subprocess.Popen[bytes]]:
    """A subprocess of ours, its output in `logs/<name>.log`; stopped (only it) after, with
    `stop`, then SIGKILL if it is still there 15 s later. Its warnings and errors are told."""
    log_path = logs / f"{name}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    say(f"{name}: pid {proc.pid} (log {log_path})")
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(stop)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        say(f"{name}: stopped (pid {proc.pid})")
        if warnings := _warnings(log_path):
            say(f"{name}: {len(warnings)} warning/error line(s) in its log, the last ones:")
            for line in warnings[-10:]:
                say(f"  {line[:300]}")


def ready(port: int, path: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=5) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def wait_ready(
    proc: subprocess.Popen[bytes], port: int, path: str, log: Path, within: float = 60
) -> None:
    """Until GET `path` answers 200; an error if the process ends or `within` s pass first."""
    deadline = time.monotonic() + within
    while not ready(port, path):
        if proc.poll() is not None:
            raise RuntimeError(f"{log.stem} exited ({proc.returncode}):\n{tail(log)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{log.stem} not ready after {within:g} s:\n{tail(log)}")
        time.sleep(0.1)


@contextmanager
def uvicorn(
    name: str,
    env: dict[str, str],
    logs: Path,
    *,
    factory: str = APP,
    ready_path: str = "/api/health",
    workers: int = 1,
    profile: Path | None = None,
    options: dict[str, Any] = UVICORN,
) -> Iterator[tuple[int, int]]:
    """`uvicorn --factory` with `arch-stats serve`'s options (uvloop, httptools; warnings
    only; or other uvicorn `options`); yields its port and its (main) pid once `ready_path`
    answers 200.

    Its processes are told how many they are (WEB_CONCURRENCY), as `serve --workers` tells
    them, unless `env` says otherwise. With `profile`, under cProfile (written there when the
    server stops): a diagnostic, it slows the server down."""
    env = {"WEB_CONCURRENCY": str(workers), **env}
    port = free_port()
    command = [
        sys.executable, *(["-m", "cProfile", "-o", str(profile)] if profile else []),
        "-m", "uvicorn", factory, "--factory", f"--app-dir={ROOT}", f"--host={HOST}",
        f"--port={port}", f"--workers={workers}", *uvicorn_flags(options), "--log-level=warning",
    ]  # fmt: skip
    # uvicorn re-raises SIGTERM after its shutdown, which would lose cProfile's output.
    stop = signal.SIGINT if profile else signal.SIGTERM
    with child(name, command, env, logs, stop=stop) as proc:
        say(f"{name}: uvicorn on http://{HOST}:{port}")
        wait_ready(proc, port, ready_path, logs / f"{name}.log")
        yield port, proc.pid


@contextmanager
def arch_stats_serve(
    name: str, args: list[str], env: dict[str, str], logs: Path, *, within: float = 60
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """`python -m arch_stats serve ARGS --port P` (its own process tree: the embedded
    PostgreSQL too, if it has no DATABASE_URL); yields the port and the process once
    /api/ready answers. Stopped with SIGINT, as Ctrl-C would."""
    port = free_port()
    command = [sys.executable, "-m", "arch_stats", "serve", *args, "--port", str(port)]
    with child(name, command, env, logs, stop=signal.SIGINT) as proc:
        wait_ready(proc, port, "/api/ready", logs / f"{name}.log", within)
        say(f"{name}: serving on http://{HOST}:{port}")
        yield port, proc


@contextmanager
def ceiling_server(env: dict[str, str], logs: Path) -> Iterator[tuple[int, int]]:
    """The bare ceilings (`bench.common.ceiling`) under plain uvicorn; yields (port, pid)."""
    factory = "bench.common.ceiling:create_app"
    with uvicorn(
        "ceiling", env, logs, factory=factory, ready_path=ceiling.PATH, options=BARE
    ) as port_pid:
        yield port_pid

"""`arch-stats` as a real process on an embedded PostgreSQL in a temporary DATA_DIR."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from tests.live.test_multiprocess import free_port

# Generous: the machine is shared, and a first start runs initdb and every migration.
READY_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 60.0


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update({"DATA_DIR": str(data_dir), "ASSEMBLER_ENABLED": "false", **extra})
    return env


def run_cli(
    *args: str, data_dir: Path, cwd: Path, timeout: float = 180, **extra: str
) -> subprocess.CompletedProcess[str]:
    """`arch-stats ARGS…`, to the end; stdout and stderr apart."""
    return subprocess.run(
        [sys.executable, "-m", "arch_stats", *args],
        env=cli_env(data_dir, **extra),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def postmaster_pid(data_dir: Path) -> int | None:
    path = data_dir / "pgdata" / "postmaster.pid"
    try:
        return int(path.read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def handles(data_dir: Path) -> list[int]:
    path = data_dir / "pgdata" / ".handle_pids.json"
    text = path.read_text().strip() if path.exists() else ""
    return list(json.loads(text)) if text else []


def running(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@dataclass
class Serve:
    """One `arch-stats serve` process; its output (stdout and stderr) goes to a file."""

    data_dir: Path
    cwd: Path
    args: tuple[str, ...] = ()
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Serve:
        self.log = self.cwd / f"serve-{self.port}.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "arch_stats", "serve", "--port", str(self.port), *self.args],
                env=cli_env(self.data_dir),
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log else ""

    async def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.base, timeout=5) as http:
            while time.monotonic() < deadline:
                assert self.proc.poll() is None, f"serve exited early:\n{self.output}"
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/api/ready")).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise AssertionError(f"serve not ready in {timeout} s:\n{self.output}")

    def signal(self, sig: int) -> int:
        """Send `sig` and wait for the exit; the exit code."""
        assert self.proc is not None
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=STOP_TIMEOUT_S)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT_S)


def stop_leftovers(data_dir: Path) -> None:
    """After a test: no PostgreSQL left running on the temporary directory, whatever failed."""
    pid = postmaster_pid(data_dir)
    if running(pid):
        assert pid is not None
        os.kill(pid, signal.SIGQUIT)  # immediate shutdown
        with contextlib.suppress(psutil.NoSuchProcess, psutil.TimeoutExpired):
            psutil.Process(pid).wait(timeout=30)


async def wait_for(condition: object, timeout: float, what: str) -> None:
    """Poll `condition()` until it is true."""
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"not within {timeout} s: {what}")

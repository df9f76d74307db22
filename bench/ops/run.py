"""Operating the embedded PostgreSQL: how long `serve` is down when it dies, how long a stop
takes, and what a backup and a restore of the demo data cost. Not a test: figures.

    .venv/bin/python -m bench.ops.run [--kills 3]

Runs `arch-stats serve --demo` on a new DATA_DIR in a temporary directory (127.0.0.1, a port
chosen by the OS), kills its PostgreSQL's postmaster with SIGKILL `--kills` times and times
each until /api/ready answers 200 again, stops serve with SIGTERM and times the exit; then
times `arch-stats backup` and `arch-stats restore` (into a second new DATA_DIR) of that data.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common.server import arch_stats_serve, ready


def _postmaster(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "pgdata" / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def _env(data_dir: Path) -> dict[str, str]:
    """serve's own embedded PostgreSQL in `data_dir` (no DATABASE_URL)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return {**env, "DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING"}


def _cli(*args: str, data_dir: Path, cwd: Path) -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "arch_stats", *args],
        env=_env(data_dir),
        cwd=cwd,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.monotonic() - started


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kills", type=int, default=3)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="ops-") as tmp:
        root = Path(tmp)
        data_dir = root / "var"
        with arch_stats_serve("serve", ["--demo"], _env(data_dir), root, within=300) as (
            port,
            serve,
        ):
            for n in range(args.kills):
                pid = _postmaster(data_dir)
                assert pid is not None
                started = time.monotonic()
                os.kill(pid, signal.SIGKILL)
                while _postmaster(data_dir) == pid or not ready(port, "/api/ready"):
                    time.sleep(0.05)
                took = time.monotonic() - started
                print(f"postmaster killed ({n + 1}): ready again in {took:.1f} s")
            started = time.monotonic()
            serve.send_signal(signal.SIGTERM)
            code = serve.wait(timeout=120)
            print(f"SIGTERM: serve exited {code} in {time.monotonic() - started:.1f} s")
        dump = root / "demo.dump"
        seconds = _cli("backup", "-o", str(dump), data_dir=data_dir, cwd=root)
        size = dump.stat().st_size / 1024
        print(f"backup: {size:.0f} kB in {seconds:.1f} s (PostgreSQL start and stop included)")
        seconds = _cli("restore", str(dump), data_dir=root / "restored", cwd=root)
        print(f"restore into a new DATA_DIR: {seconds:.1f} s (initdb, start and stop included)")


if __name__ == "__main__":
    main()

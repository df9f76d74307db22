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
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _ready(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/api/ready", timeout=5) as r:  # noqa: S310
            return bool(r.status == 200)
    except OSError:
        return False


def _postmaster(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "pgdata" / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def _cli(*args: str, data_dir: Path, cwd: Path) -> float:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DATA_DIR"] = str(data_dir)
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "arch_stats", *args],
        env=env,
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
        data_dir, port = root / "var", _port()
        base = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update({"DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING"})
        with (root / "serve.log").open("wb") as log:
            serve = subprocess.Popen(
                [sys.executable, "-m", "arch_stats", "serve", "--demo", "--port", str(port)],
                env=env,
                cwd=root,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + 300
            while not _ready(base):
                assert serve.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.1)
            for n in range(args.kills):
                pid = _postmaster(data_dir)
                assert pid is not None
                started = time.monotonic()
                os.kill(pid, signal.SIGKILL)
                while _postmaster(data_dir) == pid or not _ready(base):
                    time.sleep(0.05)
                took = time.monotonic() - started
                print(f"postmaster killed ({n + 1}): ready again in {took:.1f} s")
            started = time.monotonic()
            serve.send_signal(signal.SIGTERM)
            code = serve.wait(timeout=120)
            print(f"SIGTERM: serve exited {code} in {time.monotonic() - started:.1f} s")
        finally:
            if serve.poll() is None:
                serve.kill()
        dump = root / "demo.dump"
        seconds = _cli("backup", "-o", str(dump), data_dir=data_dir, cwd=root)
        size = dump.stat().st_size / 1024
        print(f"backup: {size:.0f} kB in {seconds:.1f} s (PostgreSQL start and stop included)")
        seconds = _cli("restore", str(dump), data_dir=root / "restored", cwd=root)
        print(f"restore into a new DATA_DIR: {seconds:.1f} s (initdb, start and stop included)")


if __name__ == "__main__":
    main()

"""CPU time and memory from /proc, the machine's busy share, and the noise note.

The machine is shared: the share of its CPU that none of the benchmark's processes used
(`other work`) says whether a phase measured the service or the neighbours.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

_TICK = os.sysconf("SC_CLK_TCK")
NOISY = 0.15  # other work above this share of the machine's CPU makes a phase suspect


def process_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a process, None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK


def tree_cpu(pid: int) -> float:
    """User + system CPU seconds of a process and its descendants (e.g. uvicorn's workers,
    PostgreSQL's backends)."""
    try:
        root = psutil.Process(pid)
        pids = [root.pid, *(p.pid for p in root.children(recursive=True))]
    except psutil.NoSuchProcess:
        return 0.0
    return sum(process_cpu(p) or 0.0 for p in pids)


def rss_mib(pid: int) -> float:
    """A process's resident memory, MiB (NaN if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return math.nan


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine since boot."""
    parts = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    total = sum(parts[:8])
    idle = parts[3] + parts[4]
    return total - idle, total


@dataclass(slots=True)
class CpuMeter:
    """CPU spent by groups of processes (and by the whole machine) between start and stop."""

    pids: dict[str, Callable[[], list[int]]]
    before: dict[str, dict[int, float]] = field(default_factory=dict)
    machine: tuple[float, float] = (0.0, 0.0)

    def start(self) -> None:
        self.before = {
            name: {pid: process_cpu(pid) or 0.0 for pid in get()} for name, get in self.pids.items()
        }
        self.machine = machine_cpu()

    def stop(self) -> tuple[dict[str, float], float, float]:
        """CPU seconds per group; the machine's busy fraction meanwhile, and the part of it
        that none of the groups accounts for (other work on the machine)."""
        spent: dict[str, float] = {}
        for name, get in self.pids.items():
            before = self.before.get(name, {})
            total = 0.0
            for pid in set(get()) | set(before):
                now = process_cpu(pid)
                if now is not None:
                    total += now - before.get(pid, 0.0)
            spent[name] = total
        busy, total = machine_cpu()
        d_total = total - self.machine[1]
        if not d_total:
            return spent, math.nan, math.nan
        d_busy = busy - self.machine[0]
        ours = sum(spent.values()) * _TICK
        return spent, d_busy / d_total, max(d_busy - ours, 0.0) / d_total


def per_shot(cpu: dict[str, float], shots: int) -> dict[str, float]:
    """CPU seconds per group → ms per shot."""
    return {name: seconds * 1000 / max(shots, 1) for name, seconds in cpu.items()}


def cpu_line(
    cpu_ms: dict[str, float],
    busy: float | None = None,
    other: float | None = None,
    *,
    unit: str = "shot",
) -> str:
    """`CPU ms per shot: server 1.20, …; machine busy 80% (other work 12%)`."""
    line = f"CPU ms per {unit}: " + ", ".join(f"{k} {v:.2f}" for k, v in cpu_ms.items())
    if busy is not None and other is not None:
        line += f"; machine busy {busy:.0%} (other work {other:.0%})"
    return line


def noise_note(other_loads: Sequence[float]) -> list[str]:
    """The note under a table when other work took more than NOISY of the machine in a phase."""
    busy = [load for load in other_loads if load > NOISY]
    if not busy:
        return []
    return [
        "",
        f"note: other work used more than {NOISY:.0%} of the machine's CPU during "
        f"{len(busy)} phase(s): these latencies are not the service's; run again.",
    ]

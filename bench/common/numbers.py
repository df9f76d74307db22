"""One percentile for every benchmark, and a measured series of latencies."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@dataclass(slots=True)
class Latency:
    """Latencies in ms of one measured series, and how many expected answers or receipts never
    came (or failed)."""

    label: str = ""
    values: list[float] = field(default_factory=list)
    missing: int = 0

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def p50(self) -> float:
        return percentile(self.values, 0.50)

    @property
    def p99(self) -> float:
        return percentile(self.values, 0.99)

    @property
    def max(self) -> float:
        return max(self.values) if self.values else math.nan

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values) if self.values else math.nan

    @staticmethod
    def header(title: str = "latency, ms", n: str = "receipts") -> list[str]:
        """The titles and rule above `row`s."""
        titles = f"{title:<52} {n:>8} {'p50':>8} {'p99':>8} {'max':>8} {'missing':>8}"
        return [titles, "-" * 97]

    def row(self) -> str:
        """A line of the live benchmarks' tables: label, n, p50, p99, max, missing."""
        return (
            f"{self.label:<52} {self.n:>8,} {self.p50:>8.2f} {self.p99:>8.2f} "
            f"{self.max:>8.2f} {self.missing:>8,}"
        )

    def summary(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "n": self.n,
            "p50_ms": self.p50,
            "p99_ms": self.p99,
            "max_ms": self.max,
            "missing": self.missing,
        }


def latencies(label: str, sent: dict[int, float], got: dict[int, float]) -> Latency:
    """arrival − start (s → ms) for every sent key; keys never received count as missing."""
    values = [(got[k] - t) * 1000 for k, t in sent.items() if k in got]
    return Latency(label, values, missing=sum(k not in got for k in sent))

"""Failed-login limiter: per account and per client address, sliding window, in memory.

Per process: with N processes behind a proxy an attacker gets at most N times the budget,
which still turns an online guessing attack from millions of tries into a handful.
"""

from __future__ import annotations

import time
from collections import deque


class FailureLimiter:
    def __init__(
        self, *, max_failures: int, window_seconds: float, max_keys: int = 100_000
    ) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self.max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, key: str, now: float | None = None) -> int:
        """Seconds until `key` may try again; 0 when it may try now."""
        now = time.monotonic() if now is None else now
        times = self._failures.get(key)
        if not times:
            return 0
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) < self.max_failures:
            return 0
        return max(1, int(times[0] + self.window - now + 0.999))

    def fail(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if len(self._failures) >= self.max_keys:
            self._prune(now)
        self._failures.setdefault(key, deque()).append(now)

    def reset(self, key: str) -> None:
        self._failures.pop(key, None)

    def _prune(self, now: float) -> None:
        stale = [k for k, t in self._failures.items() if not t or t[-1] <= now - self.window]
        for key in stale:
            del self._failures[key]
        if len(self._failures) >= self.max_keys:  # still full: forget the oldest half
            for key in list(self._failures)[: self.max_keys // 2]:
                del self._failures[key]

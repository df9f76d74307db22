"""Rate limits kept in PostgreSQL, shared by every server process and counted atomically.

Each key (e.g. failed logins of one account from one address) allows `max_attempts` at once,
then one more every `window / max_attempts` seconds (GCRA, one row per key: see
`definitions/auth_limit_take.sql`). An attempt is *taken* before the work it guards (a password
check), on all of its keys in one statement, and given back when it turns out to be a
success: so 100 parallel wrong passwords against a limit of 10 get at most 10 answers other
than 429, whichever process they reach.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from arch_stats.auth import repository as repo
from arch_stats.core.database import Executor
from arch_stats.core.errors import TooManyRequests


@dataclass(frozen=True, slots=True)
class Limit:
    key: str
    max_attempts: int

    def interval(self, window_s: float) -> float:
        return window_s / self.max_attempts


async def take(conn: Executor, limits: Sequence[Limit], *, window_s: float, what: str) -> None:
    """Take one attempt on every limit, or raise TooManyRequests (429) and take none."""
    wait = await repo.limit_take(
        conn, [lim.key for lim in limits], [lim.interval(window_s) for lim in limits], window_s
    )
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise TooManyRequests(f"too many {what}; try again in {seconds} s", retry_after=seconds)


async def give_back(conn: Executor, limits: Sequence[Limit], *, window_s: float) -> None:
    """Return the attempt taken on each limit (it was not a failure)."""
    if limits:
        await repo.limit_give_back(
            conn, [lim.key for lim in limits], [lim.interval(window_s) for lim in limits]
        )


async def reset(conn: Executor, limits: Sequence[Limit]) -> None:
    """Forget every attempt counted on these limits."""
    if limits:
        await repo.limit_reset(conn, [lim.key for lim in limits])

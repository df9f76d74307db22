"""What the accounts domain keeps per process: the token cache, last-use notes, the password
hasher, and the hearing of revocations.

Revoking a token (logout, password change, sign out everywhere, a device token deleted, an
account deleted) fires `NOTIFY arch_stats_auth` with the token id, from a trigger, in the
revoking transaction: every process hears it at commit, through the live hub's LISTEN
connection. Each process then evicts the token from its cache and tells whoever asked with
`on_revoked` (the live hub closes that token's WebSockets with 4401) at once, as the note is
heard: before any later note (a shot committed after the revocation) is handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from uuid import UUID

from arch_stats.auth import repository as repo
from arch_stats.auth.cache import TokenCache
from arch_stats.auth.passwords import PasswordHasher
from arch_stats.auth.usage import TokenUsage
from arch_stats.core.database import Pool
from arch_stats.core.settings import Settings

log = logging.getLogger("arch_stats.auth")

CHANNEL = "arch_stats_auth"

RevokedCallback = Callable[[frozenset[UUID]], None]


class AuthRuntime:
    def __init__(self, pool: Pool, settings: Settings, *, listener_up: Callable[[], bool]) -> None:
        self.pool = pool
        self.settings = settings
        self.usage = TokenUsage(pool)
        self.cache = TokenCache(trusted=listener_up, usage=self.usage)
        self.hasher = PasswordHasher(
            concurrency=settings.password_hash_concurrency, queue=settings.password_hash_queue
        )
        self._on_revoked: list[RevokedCallback] = []
        self._task: asyncio.Task[None] | None = None

    # -- revocations -----------------------------------------------------------------------

    def on_revoked(self, callback: RevokedCallback) -> None:
        """Call `callback(token_ids)` when tokens are revoked (heard from any process)."""
        self._on_revoked.append(callback)

    def notified(self, payload: str) -> None:
        """A note on CHANNEL: the id of a token revoked or deleted."""
        try:
            token_id = UUID(payload)
        except ValueError:
            log.warning("unreadable token revocation note ignored")
            return
        self.cache.evict(token_id)
        ids = frozenset((token_id,))
        for callback in self._on_revoked:
            try:
                callback(ids)
            except Exception:
                log.exception("revocation callback failed")

    def revoked_here(self, token_ids: list[UUID]) -> None:
        """Tokens this process has just revoked (committed): out of the cache before the
        response goes, without waiting for the note to come back."""
        for token_id in token_ids:
            self.cache.evict(token_id)

    async def invalid_among(self, token_ids: set[UUID]) -> set[UUID]:
        """Those of `token_ids` that are revoked, expired or gone, asked of the database."""
        if not token_ids:
            return set()
        return token_ids - await repo.valid_token_ids(self.pool, list(token_ids))

    # -- housekeeping ----------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._housekeeping(), name="auth-housekeeping")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await asyncio.wait_for(self.usage.flush(), timeout=5)
        except Exception as exc:
            log.warning("token last-use not written at stop: %s", type(exc).__name__)

    async def _housekeeping(self) -> None:
        """Write the tokens' last use, and drop rate-limit keys that hold nothing any more."""
        while True:
            await asyncio.sleep(self.settings.token_use_flush_seconds)
            try:
                await self.usage.flush()
                await repo.limit_prune(self.pool)
            except Exception as exc:
                log.warning("auth housekeeping failed: %s", type(exc).__name__)

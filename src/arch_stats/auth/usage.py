"""When each token was last used, without a database write per request.

A request only notes the time in a dict (no I/O, no await). `AuthRuntime`'s housekeeping task
calls `flush()` every TOKEN_USE_FLUSH_SECONDS: one statement for all the tokens used meanwhile,
so a token's row is written at most once per interval whatever its traffic, and never on the
request path. Up to one interval of use is lost when the process is killed; a clean stop
writes the rest.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from uuid import UUID

from arch_stats.auth import repository as repo
from arch_stats.core.database import Pool


class TokenUsage:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self._pending: dict[UUID, float] = {}

    def seen(self, token_id: UUID) -> None:
        self._pending[token_id] = time.time()

    def pending(self, token_id: UUID) -> datetime | None:
        """The last use noted here and not written yet (the list of sign-ins shows it)."""
        at = self._pending.get(token_id)
        return None if at is None else datetime.fromtimestamp(at, UTC)

    async def flush(self) -> int:
        """Write the uses noted so far; returns how many tokens were written."""
        if not self._pending:
            return 0
        pending, self._pending = self._pending, {}
        try:
            await repo.record_token_use(
                self.pool, list(pending), [datetime.fromtimestamp(t, UTC) for t in pending.values()]
            )
        except Exception:
            # Not worth an error: keep what was noted for the next round.
            for token_id, at in pending.items():
                self._pending.setdefault(token_id, at)
            raise
        return len(pending)

"""Live subscribers end with 4401 when the token they were opened with stops working.

- Revoked (logout, password change, sign out everywhere, account disabled, …): every process
  hears the token's revocation note (`AuthRuntime.on_revoked`) and closes that token's
  subscribers as it hears it, before the note of anything committed afterwards is handled.
- Expired: the hub ends each subscription at its token's expiry (`Subscriber.expires_at`).
- Notes missed while the LISTEN connection was down: when it is back, the tokens of the
  process's subscribers are checked against the database once, and the dead ones closed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from uuid import UUID

from arch_stats.auth.runtime import AuthRuntime
from arch_stats.live.hub import LiveHub

log = logging.getLogger("arch_stats.live")

TOKEN_REVOKED = (4401, "token revoked")


def close_on_revocation(hub: LiveHub, auth: AuthRuntime) -> None:
    def revoked(token_ids: frozenset[UUID]) -> None:
        hub.close_tokens(token_ids, *TOKEN_REVOKED)

    auth.on_revoked(revoked)
    pending: set[asyncio.Task[None]] = set()

    async def recheck() -> None:
        tokens = {sub.token_id for sub in hub.each() if sub.token_id is not None}
        dead = await auth.invalid_among(tokens)
        if dead:
            revoked(frozenset(dead))

    def reconnected() -> None:
        if not hub.subscribers:
            return
        task = asyncio.get_running_loop().create_task(recheck())
        pending.add(task)
        task.add_done_callback(_finished(pending))

    hub.on_connect(reconnected)


def _finished(pending: set[asyncio.Task[None]]) -> Callable[[asyncio.Task[None]], None]:
    def done(task: asyncio.Task[None]) -> None:
        pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("token recheck after reconnect failed: %r", task.exception())

    return done

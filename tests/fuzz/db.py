"""Database writes from synchronous test code (schemathesis tests are synchronous)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from anyio.from_thread import BlockingPortal, start_blocking_portal

from arch_stats.auth.tokens import PREFIX_LOGIN, PREFIX_SENSOR, token_hash
from arch_stats.core import migrations
from arch_stats.core.database import Connection
from tests.conftest import ArcherCtx, password_hash


class SyncDb:
    """One connection driven on an event loop of its own, in a thread (an anyio portal)."""

    def __init__(self, portal: BlockingPortal, conn: Connection) -> None:
        self._portal = portal
        self._conn = conn

    def new_token(self, archer_id: UUID, *, scope: str = "login") -> str:
        """A new token for the archer: a login token, or a device token (scope `sensor`)."""
        token = (PREFIX_LOGIN if scope == "login" else PREFIX_SENSOR) + secrets.token_urlsafe(32)
        self._portal.call(
            self._conn.execute,
            "INSERT INTO auth_token (archer_id, token_hash, scope, expires_at) "
            "VALUES ($1, $2, $3, now() + interval '1 hour')",
            archer_id,
            token_hash(token),
            scope,
        )
        return token

    def new_archer(self, name: str = "Fuzz Archer") -> ArcherCtx:
        """A new archer, logged in (like the `make_archer` fixture)."""
        email = f"fuzz-{secrets.token_hex(6)}@example.test"
        archer_id: UUID = self._portal.call(
            self._conn.fetchval,
            "INSERT INTO archer (email, password_hash, name) VALUES ($1, $2, $3) RETURNING id",
            email,
            password_hash(),
            name,
        )
        return ArcherCtx(id=archer_id, email=email, token=self.new_token(archer_id))


@contextmanager
def sync_db(dsn: str) -> Iterator[SyncDb]:
    with start_blocking_portal() as portal:
        conn = portal.call(migrations.connect, dsn)
        try:
            yield SyncDb(portal, conn)
        finally:
            portal.call(conn.close)

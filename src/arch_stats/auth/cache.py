"""A per-process cache of valid login tokens, so that most requests skip the token lookup.

It can never accept a revoked token for longer than it takes PostgreSQL to deliver one
notification: revoking (logout, revoking a device token, deleting an account) fires
`NOTIFY arch_stats_auth` with the token id, and every process's live hub evicts it. Within
the revoking process the entry is dropped before the response is sent. The cache is only
trusted while the hub's LISTEN connection is up: when it drops, the cache is emptied and
bypassed until the listener is back (a notification could have been missed meanwhile).
Entries also expire with their token, and after `ttl` seconds whatever happens.

A lookup that misses reads the database, then caches what it read. A notification that
arrives while that read is in flight may be about the very token being read (revoked just
after the read): `generation` counts evictions, and an entry read before the latest one is
not cached (`put(..., generation=…)` with the value taken before the read).

Every token found, in the cache or the database, is reported to `usage` (last-use tracking
without a database write per request; see `auth.usage`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from arch_stats.auth.usage import TokenUsage


@dataclass(frozen=True, slots=True)
class CachedToken:
    token_id: UUID
    archer_id: UUID
    scope: str
    expires_at: float  # epoch seconds; inf for tokens that never expire
    cached_at: float


class TokenCache:
    def __init__(
        self,
        *,
        trusted: Callable[[], bool],
        ttl: float = 60.0,
        max_entries: int = 50_000,
        usage: TokenUsage | None = None,
    ) -> None:
        self._trusted = trusted
        self.ttl = ttl
        self.max_entries = max_entries
        self.usage = usage
        # Bumped by every eviction and clear; see the module's docstring.
        self.generation = 0
        self._by_hash: dict[bytes, CachedToken] = {}
        self._hash_by_id: dict[UUID, bytes] = {}

    def get(self, token_hash: bytes) -> CachedToken | None:
        entry = self._by_hash.get(token_hash)
        if entry is None:
            return None
        now = time.time()
        if not self._trusted() or now >= entry.expires_at or now - entry.cached_at > self.ttl:
            self._drop(token_hash, entry.token_id)
            return None
        if self.usage is not None:
            self.usage.seen(entry.token_id)
        return entry

    def seen(self, token_id: UUID) -> None:
        """A token found valid outside the cache (read from the database) was used."""
        if self.usage is not None:
            self.usage.seen(token_id)

    @property
    def trusted(self) -> bool:
        return self._trusted()

    def put(
        self,
        token_hash: bytes,
        *,
        token_id: UUID,
        archer_id: UUID,
        scope: str,
        expires_at: datetime | None,
        generation: int | None = None,
    ) -> None:
        if not self._trusted() or (generation is not None and generation != self.generation):
            return
        if len(self._by_hash) >= self.max_entries:
            self.clear()
        expiry = expires_at.timestamp() if expires_at is not None else float("inf")
        self._by_hash[token_hash] = CachedToken(token_id, archer_id, scope, expiry, time.time())
        self._hash_by_id[token_id] = token_hash

    def evict(self, token_id: UUID) -> None:
        self.generation += 1
        token_hash = self._hash_by_id.pop(token_id, None)
        if token_hash is not None:
            self._by_hash.pop(token_hash, None)

    def clear(self) -> None:
        self.generation += 1
        self._by_hash.clear()
        self._hash_by_id.clear()

    def __len__(self) -> int:
        return len(self._by_hash)

    def _drop(self, token_hash: bytes, token_id: UUID) -> None:
        self._by_hash.pop(token_hash, None)
        self._hash_by_id.pop(token_id, None)

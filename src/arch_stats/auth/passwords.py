"""Password hashing (argon2id through pwdlib), in threads, a few at a time.

An argon2id hash costs tens of milliseconds of CPU and 64 MiB of memory by design. It runs in a
worker thread (argon2 releases the GIL), never while a pooled database connection or a
transaction is held, and at most `concurrency` at once per process: a burst of registrations
or logins queues here instead of taking every core and connection from the other archers.
At most `queue` more may wait; beyond that the request is answered 429 at once
(`arch_stats.core.threads`).
"""

from __future__ import annotations

from pwdlib import PasswordHash

from arch_stats.core.threads import ThreadSlots

_hasher = PasswordHash.recommended()


class PasswordHasher(ThreadSlots):
    def __init__(self, *, concurrency: int, queue: int) -> None:
        super().__init__(
            concurrency=concurrency,
            queue=queue,
            busy="the server is busy checking passwords; try again in a moment",
        )
        # Verifying against this when the account does not exist keeps the timing the same.
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        return await self.run(_hasher.hash, password)

    async def verify(self, password: str, hashed: str | None) -> bool:
        """Whether `password` matches `hashed`; None (no such account) costs the same time."""
        if hashed is None:
            if self._dummy is None:
                self._dummy = await self.run(_hasher.hash, "not-a-real-password")
            await self.run(_hasher.verify, password, self._dummy)
            return False
        return await self.run(_hasher.verify, password, hashed)

"""Shots posted at the same time to one session go to PostgreSQL together.

Writing shots locks their session's row until the commit (it numbers them: `last_seq`), so
concurrent posts to one session are written one after the other whatever we do; each write
also pays a statement, its triggers and a durable commit. While one write to a session is
in flight, the posts that arrive for the same session wait here, and are then written by
one statement (one lock, one set of triggers, one commit), each still getting its own shots,
numbered in arrival order, and its own request id in the live notifications.

A post that finds no write in flight is written at once, alone: nothing waits when there is
no contention. If a joint write fails, each post of it is written again on its own, so that
one post's failure never becomes another's. Per process; processes simply wait for the lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from arch_stats.core.database import Pool
from arch_stats.core.logging import request_id_var
from arch_stats.shots import repository as repo
from arch_stats.shots.repository import Announce, ShotRow

# Most shots one joint statement writes (later posts wait for the next one).
MAX_JOINT_SHOTS = 2000

# Per pool (by id): who announces the shots written through it once committed, instead of
# the NOTIFY trigger inside the write's transaction (the live hub: `LiveHub.announce`).
_ANNOUNCERS: dict[int, Announce] = {}


def announce_with(pool: Pool, announce: Announce | None) -> None:
    """Shots posted through `pool` are announced by `announce` after their commit (None:
    by the trigger, as every other writer of shots)."""
    if announce is None:
        _ANNOUNCERS.pop(id(pool), None)
    else:
        _ANNOUNCERS[id(pool)] = announce


_Key = tuple[UUID, UUID]  # (session, archer)


@dataclass(slots=True)
class _Post:
    shots: Sequence[ShotRow]
    request_id: str | None
    targets: Collection[tuple[UUID, str]]
    max_shots: int | None
    done: asyncio.Future[str | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class SessionWriter:
    def __init__(self) -> None:
        # A key is present while a write to that session is in flight; its list, the posts
        # that came meanwhile.
        self._waiting: dict[_Key, list[_Post]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.joint_writes = 0  # statements that wrote more than one post (for tests)

    async def insert(
        self,
        pool: Pool,
        *,
        session_id: UUID,
        archer_id: UUID,
        shots: Sequence[ShotRow],
        targets: Collection[tuple[UUID, str]] = (),
        max_shots: int | None = None,
    ) -> str | None:
        """`repo.insert_shots`, shared with whoever posts to the session meanwhile."""
        key = (session_id, archer_id)
        waiting = self._waiting.get(key)
        if waiting is None:
            self._waiting[key] = []
            try:
                return await repo.insert_shots(
                    pool,
                    session_id=session_id,
                    archer_id=archer_id,
                    shots=shots,
                    targets=targets,
                    max_shots=max_shots,
                    announce=_ANNOUNCERS.get(id(pool)),
                )
            finally:
                self._next(pool, key)
        post = _Post(shots, request_id_var.get(), targets, max_shots)
        waiting.append(post)
        # Cancelled while waiting (client gone): the future is cancelled with us, and a
        # write that has not started skips it.
        return await post.done

    def _next(self, pool: Pool, key: _Key) -> None:
        """Start the joint write of the posts that came while the last write was in flight."""
        waiting = [p for p in self._waiting.get(key, []) if not p.done.done()]
        if not waiting:
            self._waiting.pop(key, None)
            return
        batch: list[_Post] = []
        count = 0
        while waiting and (not batch or count + len(waiting[0].shots) <= MAX_JOINT_SHOTS):
            post = waiting.pop(0)
            batch.append(post)
            count += len(post.shots)
        self._waiting[key] = waiting
        task = asyncio.create_task(self._write(pool, key, batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _write(self, pool: Pool, key: _Key, batch: list[_Post]) -> None:
        session_id, archer_id = key
        try:
            try:
                parts = await repo.insert_shot_groups(
                    pool,
                    session_id=session_id,
                    archer_id=archer_id,
                    groups=[(p.shots, p.request_id) for p in batch],
                    targets={t for p in batch for t in p.targets},
                    max_shots=_least(p.max_shots for p in batch),
                    announce=_ANNOUNCERS.get(id(pool)),
                )
            except Exception as exc:
                if len(batch) == 1:  # on its own already: that is its outcome
                    if not batch[0].done.done():
                        batch[0].done.set_exception(exc)
                    return
                parts = None
                failed = True
            else:
                failed = False
                if len(batch) > 1:
                    self.joint_writes += 1
            if not failed:
                for i, post in enumerate(batch):
                    if not post.done.done():
                        post.done.set_result(None if parts is None else parts[i])
                return
            # Nothing was written: each post on its own, with its own outcome.
            for post in batch:
                if post.done.done():
                    continue
                token = request_id_var.set(post.request_id)
                try:
                    json = await repo.insert_shots(
                        pool,
                        session_id=session_id,
                        archer_id=archer_id,
                        shots=post.shots,
                        targets=post.targets,
                        max_shots=post.max_shots,
                        announce=_ANNOUNCERS.get(id(pool)),
                    )
                except Exception as exc:
                    if not post.done.done():
                        post.done.set_exception(exc)
                else:
                    if not post.done.done():
                        post.done.set_result(json)
                finally:
                    request_id_var.reset(token)
        finally:
            for post in batch:  # only if this task itself was cancelled (shutdown)
                if not post.done.done():
                    post.done.set_exception(RuntimeError("shot write interrupted"))
            self._next(pool, key)


def _least(limits: Iterable[int | None]) -> int | None:
    known = [limit for limit in limits if limit is not None]
    return min(known) if known else None

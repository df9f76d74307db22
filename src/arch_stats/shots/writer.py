"""Shots posted at the same time go to PostgreSQL together, whoever's session they are for.

Each write pays a statement, its triggers and a durable commit, and writing shots locks
their session's row until the commit (it numbers them: `last_seq`), so posts to one session
are written one after the other whatever we do. Here at most `max_in_flight` writes are in
flight at once; the posts that arrive meanwhile wait, and are then written together by one
statement (one transaction, one commit), the posts of every session whose earlier posts are
not still being written: the archers of a club night posting one arrow each share one
commit instead of queueing for one each. Each post still gets its own shots, numbered in
arrival order within its session, its own answer (a closed session refuses its own posts
only) and its own request id in the live notifications.

A post that finds a free slot and nobody waiting is written at once, alone: nothing waits
when there is no contention. If a joint write fails, each post of it is written again on
its own, so that one post's failure never becomes another's. Per process; processes simply
wait for the sessions' locks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from arch_stats.core.database import Pool
from arch_stats.core.logging import request_id_var
from arch_stats.core.settings import WRITES_IN_FLIGHT
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


# Writes in flight at once (each one statement, possibly of many posts): by default the
# whole server's; the app sets it from `Settings.writes_in_flight` (SHOT_WRITES_IN_FLIGHT,
# or WRITES_IN_FLIGHT shared by the processes).
MAX_IN_FLIGHT = WRITES_IN_FLIGHT

_Key = tuple[UUID, UUID]  # (session, archer)


@dataclass(slots=True)
class _Post:
    key: _Key
    shots: Sequence[ShotRow]
    request_id: str | None
    targets: Collection[tuple[UUID, str]]
    max_shots: int | None
    done: asyncio.Future[str | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class SessionWriter:
    def __init__(self, max_in_flight: int = MAX_IN_FLIGHT) -> None:
        self.max_in_flight = max_in_flight
        self._waiting: list[_Post] = []  # in arrival order
        self._busy: set[_Key] = set()  # sessions with a write in flight
        self._in_flight = 0
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
        """`repo.insert_shots`, shared with whoever posts meanwhile."""
        key = (session_id, archer_id)
        if not self._waiting and key not in self._busy and self._in_flight < self.max_in_flight:
            self._busy.add(key)
            self._in_flight += 1
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
                self._busy.discard(key)
                self._in_flight -= 1
                self._next(pool)
        post = _Post(key, shots, request_id_var.get(), targets, max_shots)
        self._waiting.append(post)
        # Cancelled while waiting (client gone): the future is cancelled with us, and a
        # write that has not started skips it.
        return await post.done

    def _next(self, pool: Pool) -> None:
        """Start joint writes of the waiting posts while a slot is free: every post whose
        session has no write in flight (a session's posts stay in their order)."""
        self._waiting = [p for p in self._waiting if not p.done.done()]
        while self._waiting and self._in_flight < self.max_in_flight:
            batch: list[_Post] = []
            rest: list[_Post] = []
            blocked = set(self._busy)
            count = 0
            for post in self._waiting:
                if post.key in blocked or (batch and count + len(post.shots) > MAX_JOINT_SHOTS):
                    rest.append(post)
                    blocked.add(post.key)  # its later posts wait behind it
                    continue
                batch.append(post)
                count += len(post.shots)
            if not batch:
                return
            self._waiting = rest
            keys = {post.key for post in batch}
            self._busy |= keys
            self._in_flight += 1
            task = asyncio.create_task(self._write(pool, batch, keys))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _write(self, pool: Pool, batch: list[_Post], keys: set[_Key]) -> None:
        announce = _ANNOUNCERS.get(id(pool))
        try:
            if not await self._write_jointly(pool, batch, announce):
                # Nothing was written: each post on its own, with its own outcome.
                for post in batch:
                    if not post.done.done():
                        await _write_alone(pool, post, announce)
        finally:
            for post in batch:  # only if this task itself was cancelled (shutdown)
                _fail(post, RuntimeError("shot write interrupted"))
            self._busy -= keys
            self._in_flight -= 1
            self._next(pool)

    async def _write_jointly(
        self, pool: Pool, batch: list[_Post], announce: Announce | None
    ) -> bool:
        """The batch in one statement: each post gets its outcome, unless the statement of
        several posts failed (False: nothing was written)."""
        try:
            parts = await repo.insert_posts(
                pool,
                [repo.Post(p.key[0], p.key[1], p.shots, p.request_id, p.targets) for p in batch],
                max_shots=_least(p.max_shots for p in batch),
                announce=announce,
            )
        except Exception as exc:
            if len(batch) > 1:
                return False
            _fail(batch[0], exc)  # on its own already: that is its outcome
            return True
        if len(batch) > 1:
            self.joint_writes += 1
        for post, part in zip(batch, parts, strict=True):
            _succeed(post, part)
        return True


async def _write_alone(pool: Pool, post: _Post, announce: Announce | None) -> None:
    token = request_id_var.set(post.request_id)
    try:
        json = await repo.insert_shots(
            pool,
            session_id=post.key[0],
            archer_id=post.key[1],
            shots=post.shots,
            targets=post.targets,
            max_shots=post.max_shots,
            announce=announce,
        )
    except Exception as exc:
        _fail(post, exc)
    else:
        _succeed(post, json)
    finally:
        request_id_var.reset(token)


def _succeed(post: _Post, json: str | None) -> None:
    if not post.done.done():  # not cancelled meanwhile (client gone)
        post.done.set_result(json)


def _fail(post: _Post, exc: BaseException) -> None:
    if not post.done.done():
        post.done.set_exception(exc)


def _least(limits: Iterable[int | None]) -> int | None:
    known = [limit for limit in limits if limit is not None]
    return min(known) if known else None

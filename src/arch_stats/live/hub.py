"""The live hub: one dedicated LISTEN connection per process, fanned out in memory.

Pooled connections lose their listeners when released, so the hub keeps its own connection,
reconnects by itself when it drops, and then resynchronises every subscriber from the database
(notifications sent while it was away are lost for good otherwise).

Each subscriber has a bounded queue: the hub only appends to it, never awaits a client, so a slow
or stalled client can delay no one else; when its queue is full the oldest frame is dropped and
a WARN is logged.

A client that joins is first given the shots it missed (those after its `after`, or without one
those written while it was joining), read from the database page by page and sent at the
client's pace (the WebSocket route), never through that lossy queue. Meanwhile its live frames
are held: `shot.created` ones only as the highest shot number seen (the replay reads those shots
from the database, until it has reached that number), the others in a bounded list that is
released, in order, once the replay is done.

Shots posted through the API are announced by their writer once committed (`announce`): by
a NOTIFY of their own, sent afterwards in batches, outside the write's transaction (a NOTIFY
inside it would make every writer of the database commit one at a time: migration
202611270300). Every other change comes by the trigger's NOTIFY. Notes can therefore reach a
process out of order, or (should a writer die between its commit and its NOTIFY) not at all: a
subscriber that is announced a shot beyond the next one it expects reads the gap from the
database first (as a joining client's replay does), and once a second (`gap_check_seconds`)
the hub compares each watched session's last seq with what its subscribers were given, and
fills what was never announced.

Every frame of a note reaches subscribers only as the note is heard on the LISTEN connection,
the writer's own process included (it does not hand its shots to its subscribers directly).
PostgreSQL delivers the notifications of committed transactions in commit order, on every
channel of one connection alike: a revocation or a change of access (`access.live`,
`live.revocation`) is heard before the note of any shot committed after it, and is acted on
(the subscriber suspended or ended: `Subscriber.suspend`) before that note is handled. Frames
read from a snapshot instead (a replay, statistics) are checked against that same snapshot by
their senders.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from arch_stats.core.database import SERVER_SETTINGS, Connection, Pool

log = logging.getLogger("arch_stats.live")

CHANNEL = "arch_stats_live"
QUEUE_LIMIT = 1000
# Most bytes of one NOTIFY payload (PostgreSQL's limit is 8000), as the trigger does.
NOTIFY_BYTES = 7900
# Subscribers given a heartbeat per turn of the event loop (a push may be a socket write).
HEARTBEAT_BATCH = 100
# The close code and reason of a subscription whose credential has expired.
CREDENTIAL_EXPIRED = (4401, "token expired")


# A batch of announcements: nothing durable in its transaction, so no commit waits on a flush.
_NOTIFY = """SELECT count(pg_notify($1, p))
              FROM set_config('synchronous_commit', 'off', true),
                   unnest($2::text[]) WITH ORDINALITY AS u(p, o)"""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def frame(kind: str, data: Any, *, request_id: str | None = None) -> str:
    """A frame `{"type","ts","request_id","data"}`, built once for all its subscribers.

    `data` may be an `orjson.Fragment` (JSON made by PostgreSQL, spliced in as it is)."""
    body = {"type": kind, "ts": now_iso(), "request_id": request_id, "data": data}
    return orjson.dumps(body).decode()


class Subscriber:
    """One WebSocket client watching one session.

    `token_id` and `expires_at` (epoch seconds) are those of the credential it was opened
    with: the hub ends the subscription when it expires, and whoever revokes the credential
    ends it with `LiveHub.close_where`."""

    __slots__ = (
        "_due",
        "_held",
        "_newest",
        "_suspended",
        "_timer",
        "_waiter",
        "archer_id",
        "close_code",
        "close_reason",
        "closed",
        "dropped",
        "expires_at",
        "last_seq",
        "queue",
        "session_id",
        "token_id",
    )

    def __init__(
        self,
        session_id: UUID,
        archer_id: UUID,
        *,
        last_seq: int,
        token_id: UUID | None = None,
        expires_at: float | None = None,
    ) -> None:
        self.session_id = session_id
        self.archer_id = archer_id
        self.token_id = token_id
        self.expires_at = expires_at
        self.last_seq = last_seq  # the highest shot seq this client has been given
        self.queue: deque[str] = deque(maxlen=QUEUE_LIMIT)
        self.dropped = 0
        self.closed = False
        # Set by `end`: the WebSocket close code and reason the client is to be given.
        self.close_code: int | None = None
        self.close_reason = ""
        self._timer: asyncio.TimerHandle | None = None
        # The task sending to this client waits on this future when its queue is empty: the
        # cheapest wake-up asyncio has (no Event and its list of waiters), paid per client.
        self._waiter: asyncio.Future[None] | None = None
        # While the client is being given what it missed, live frames other than
        # `shot.created` wait here, so that the replay comes first and the join has no gap and
        # no duplicate; `_newest` is the highest `shot.created` seq announced meanwhile, which
        # the replay must reach before it ends.
        self._held: deque[str] | None = deque(maxlen=QUEUE_LIMIT)
        self._newest = 0
        self._due = False  # a catch-up replay is due (`catch_up`)
        # While above 0 nothing queued is sent (`suspend`): a check of the subscriber's right to
        # its frames is under way.
        self._suspended = 0

    def push(self, data: str) -> None:
        if len(self.queue) == QUEUE_LIMIT:
            self._dropping()
        self.queue.append(data)  # a full deque drops its oldest item by itself
        self._wakeup()

    def _dropping(self) -> None:
        self.dropped += 1
        if self.dropped == 1 or self.dropped % QUEUE_LIMIT == 0:
            log.warning(
                "slow live client: dropped %d oldest frame(s) for session %s",
                self.dropped,
                self.session_id,
                extra={"resource": {"type": "session", "id": str(self.session_id)}},
            )

    def _wakeup(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def offer(self, kind: str, seq: int, data: str) -> None:
        """Deliver a frame; a `shot.created` the client already has is skipped."""
        if self._held is not None:
            if kind == "shot.created":
                self._newest = max(self._newest, seq)  # the replay reads it from the database
                return
            if len(self._held) == QUEUE_LIMIT:
                self._dropping()
            self._held.append(data)
            return
        if kind == "shot.created":
            if seq <= self.last_seq:
                return
            if seq > self.last_seq + 1:  # some shot before it was not announced (yet)
                self.catch_up(seq)
                return
            self.last_seq = seq
        self.push(data)

    def catch_up(self, seq: int) -> None:
        """Shots up to `seq` are stored but were not all given: replay them from the database
        (the WebSocket route does, after the frames queued so far), holding live frames
        meanwhile as a joining client's replay does."""
        if self.closed or seq <= self.last_seq:
            return
        if self._held is None:
            self._held = deque(maxlen=QUEUE_LIMIT)
            self._due = True
        self._newest = max(self._newest, seq)
        self._wakeup()

    @property
    def catching_up(self) -> bool:
        """A replay of shots not announced is due (the WebSocket route runs it)."""
        return self._due

    @property
    def replaying(self) -> bool:
        return self._held is not None

    def replayed(self, covered: int) -> bool:
        """The replay has given every shot up to `covered` (the session's highest seq when a
        page came back short): True when that reaches every shot announced meanwhile."""
        self.last_seq = max(self.last_seq, covered)
        return self.last_seq >= self._newest

    def live(self) -> None:
        """The replay is done: release the frames held meanwhile, then go live."""
        held, self._held = self._held or (), None
        self._due = False
        for data in held:
            self.push(data)

    def suspend(self) -> None:
        """Send nothing more until as many `resume` calls: whether the subscriber may still
        have its frames is being checked. Frames keep queueing meanwhile (in order, bounded);
        `end` drops them."""
        self._suspended += 1

    def resume(self) -> None:
        self._suspended -= 1
        if not self._suspended:
            self._wakeup()

    async def next_frames(self) -> list[str]:
        """Wait for frames; returns everything queued (empty when closed, or when a replay
        is due: `catching_up`). Nothing is returned while the subscriber is suspended."""
        while not self.closed and not self._due and (self._suspended or not self.queue):
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        if self._suspended:
            return []
        frames = list(self.queue)
        self.queue.clear()
        return frames

    def close(self) -> None:
        self.closed = True
        self._wakeup()

    def end(self, code: int, reason: str) -> None:
        """Stop at once, nothing more sent (queued frames dropped): close with `code`."""
        if self.close_code is None:
            self.close_code = code
            self.close_reason = reason
        self.queue.clear()
        if self._held is not None:
            self._held.clear()
        self.close()


class LiveHub:
    """Owns the LISTEN connection and the subscribers of this process.

    `subscribers` is keyed by what a subscriber watches: a session's id, or a club's id for
    the club board's viewers (`board.fanout`), which the hub serves the same way."""

    def __init__(
        self,
        dsn: str,
        pool: Pool,
        *,
        heartbeat_seconds: float = 30.0,
        keepalive_seconds: float = 5.0,
        gap_check_seconds: float = 1.0,
    ) -> None:
        self.dsn = dsn
        self.pool = pool
        self.heartbeat_seconds = heartbeat_seconds
        self.keepalive_seconds = keepalive_seconds
        self.gap_check_seconds = gap_check_seconds
        self._outbox: list[str] = []
        self._sender: asyncio.Task[None] | None = None
        # Sessions with a subscriber behind the session's last seq at the last check.
        self._behind: dict[UUID, int] = {}
        self.gaps_filled = 0  # subscribers caught up by the periodic check (for tests)
        self.subscribers: dict[UUID, set[Subscriber]] = {}
        self._by_token: dict[UUID, set[Subscriber]] = {}  # for `close_tokens`
        self.listener_pid: int | None = None
        self.connected = asyncio.Event()
        self.reconnects = 0
        self._conn: Connection | None = None
        # The listener's connection runs one statement at a time: the keepalive, or a batch
        # of announcements (`_send_notes`).
        self._conn_busy = asyncio.Lock()
        self._lost = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._listeners: list[Callable[[str, UUID, dict[str, Any]], None]] = []
        self._buffer: list[str] | None = None
        self._channels: dict[str, Callable[[str], None]] = {}
        self._on_connect: list[Callable[[], None]] = []
        self._on_lost: list[Callable[[], None]] = []

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._listen_forever(), name="live-listen"),
            asyncio.create_task(self._heartbeat_forever(), name="live-heartbeat"),
            asyncio.create_task(self._gaps_forever(), name="live-gaps"),
        ]
        try:
            await asyncio.wait_for(self.connected.wait(), timeout=10)
        except TimeoutError:
            log.warning("live listener not connected yet; it keeps trying")

    async def stop(self) -> None:
        if self._sender is not None:  # what was announced reaches the other processes
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._sender), timeout=5)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for subs in list(self.subscribers.values()):
            for sub in tuple(subs):
                sub.close()
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()

    def listen(self, channel: str, callback: Callable[[str], None]) -> None:
        """Also LISTEN on `channel` (before `start`); `callback(payload)` per notification."""
        self._channels[channel] = callback

    def on_connect(self, callback: Callable[[], None]) -> None:
        """Call `callback()` each time the listener (re)connects, before it is trusted."""
        self._on_connect.append(callback)

    def on_lost(self, callback: Callable[[], None]) -> None:
        """Call `callback()` each time the listener loses its connection (notes sent until
        it is back are lost: no revocation or change of access is heard meanwhile)."""
        self._on_lost.append(callback)

    def on_event(self, callback: Callable[[str, UUID, dict[str, Any]], None]) -> None:
        """Also call `callback(type, session_id, payload)` for every note while this process
        has subscribers (notes are not even parsed while it has none)."""
        self._listeners.append(callback)

    # -- subscribers -----------------------------------------------------------------------

    def add(self, sub: Subscriber) -> None:
        self.subscribers.setdefault(sub.session_id, set()).add(sub)
        if sub.token_id is not None:
            self._by_token.setdefault(sub.token_id, set()).add(sub)
        if sub.expires_at is not None:
            delay = max(0.0, sub.expires_at - time.time())
            sub._timer = asyncio.get_running_loop().call_later(delay, sub.end, *CREDENTIAL_EXPIRED)

    def remove(self, sub: Subscriber) -> None:
        subs = self.subscribers.get(sub.session_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self.subscribers[sub.session_id]
        same_token = self._by_token.get(sub.token_id) if sub.token_id is not None else None
        if sub.token_id is not None and same_token is not None:
            same_token.discard(sub)
            if not same_token:
                del self._by_token[sub.token_id]
        if sub._timer is not None:
            sub._timer.cancel()
            sub._timer = None
        sub.close()

    def each(self) -> Iterator[Subscriber]:
        """Every subscriber of this process (a snapshot: safe to end them meanwhile)."""
        for subs in list(self.subscribers.values()):
            yield from tuple(subs)

    def close_where(
        self,
        predicate: Callable[[Subscriber], bool],
        code: int,
        reason: str,
        *,
        among: Iterable[Subscriber] | None = None,
    ) -> int:
        """End every subscriber (or every one of `among`) for which `predicate` is true, with
        a close `code` and `reason` (e.g. 4403 when access is withdrawn); returns how many
        were ended."""
        ended = 0
        for sub in self.each() if among is None else among:
            if not sub.closed and predicate(sub):
                sub.end(code, reason)
                ended += 1
        if ended:
            log.info("%d live subscriber(s) closed with %d (%s)", ended, code, reason)
        return ended

    def close_tokens(self, token_ids: frozenset[UUID], code: int, reason: str) -> int:
        """`close_where` for the subscribers opened with one of `token_ids` (revoked), found
        by token: a revocation costs nothing per other subscriber."""
        ended = [
            sub
            for token_id in token_ids
            for sub in self._by_token.get(token_id, ())
            if not sub.closed
        ]
        return self.close_where(lambda sub: True, code, reason, among=ended)

    def announce(
        self, session_id: UUID, archer_id: UUID, shots: list[tuple[str, str | None]]
    ) -> None:
        """New shots of a session, committed: `[(shot JSON, request id), ...]` in seq order.

        Every process, this one included, hears them by a NOTIFY sent next, outside the
        write's transaction, in commit order with every other note (see the module's doc)."""
        sid, aid = str(session_id), str(archer_id)
        for doc, request_id in shots:
            note: dict[str, Any] = {
                "type": "shot.created",
                "session_id": sid,
                "archer_id": aid,
                "seq": orjson.loads(doc)["seq"],
                "request_id": request_id,
                "data": orjson.Fragment(doc),
            }
            self._outbox.append(orjson.dumps(note).decode())
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send_notes(), name="live-announce")

    async def _send_notes(self) -> None:
        """NOTIFY what `announce` gave, in order, batched, each batch one transaction that
        writes nothing but the notification (so nothing durable waits on its commit)."""
        while self._outbox:
            batch, self._outbox = self._outbox, []
            payloads: list[str] = []
            current: list[str] = []
            size = 2
            for text in batch:
                if current and size + len(text) + 1 > NOTIFY_BYTES:
                    payloads.append("[" + ",".join(current) + "]")
                    current, size = [], 2
                current.append(text)
                size += len(text) + 1
            payloads.append("[" + ",".join(current) + "]")
            try:
                await self._notify(payloads)
            except Exception as exc:  # the other processes' periodic check fills it in
                log.warning("live announcement not sent: %s", type(exc).__name__)

    async def _notify(self, payloads: list[str]) -> None:
        """One batch: on the listener's own connection when it is up — no pool connection to
        wait for behind the writes, and this process hears the batch as the statement ends
        (PostgreSQL tells a listening session of its own notifications, in commit order with
        everyone else's) — else, or should that fail, on a pooled one."""
        conn = self._conn
        if conn is not None and self.connected.is_set() and not conn.is_closed():
            try:
                async with self._conn_busy:
                    await conn.execute(_NOTIFY, CHANNEL, payloads)
                return
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                pass  # the listener is being lost: it reconnects by itself
        await self.pool.execute(_NOTIFY, CHANNEL, payloads)

    # -- the LISTEN connection ---------------------------------------------------------------

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        """A notification carries one note, or a list of them (one per shot of a statement)."""
        if self._buffer is not None:  # resynchronising: handled in order afterwards
            self._buffer.append(str(payload))
            return
        if not self.subscribers:  # nobody here to tell: every shot written costs no parsing
            return
        try:
            parsed = orjson.loads(payload)  # type: ignore[arg-type]
        except (orjson.JSONDecodeError, TypeError):
            log.warning("unreadable live notification ignored")
            return
        for note in parsed if isinstance(parsed, list) else (parsed,):
            self._on_note(note)

    def _on_note(self, note: Any) -> None:
        try:
            kind: str = note["type"]
            session_id = UUID(note["session_id"])
        except (KeyError, ValueError, TypeError):
            log.warning("unreadable live notification ignored")
            return
        subs = self.subscribers.get(session_id)
        if subs:
            data = frame(kind, note["data"], request_id=note.get("request_id"))
            seq = note.get("seq") or 0
            for sub in tuple(subs):
                sub.offer(kind, seq, data)
        for callback in self._listeners:
            try:
                callback(kind, session_id, note)
            except Exception:
                log.exception("live event callback failed")

    def _on_terminate(self, _conn: object) -> None:
        self._lost.set()

    async def _connect(self) -> Connection:
        conn: Connection = await asyncpg.connect(self.dsn, server_settings=SERVER_SETTINGS)
        conn.add_termination_listener(self._on_terminate)
        if self.listener_pid is not None:
            self._buffer = []  # a reconnect: hold notifications until the resync is done
        await conn.add_listener(CHANNEL, self._on_notify)
        for channel, callback in self._channels.items():
            await conn.add_listener(channel, _payload_only(callback))
        return conn

    async def _listen_forever(self) -> None:
        delay = 0.1
        lost_at: float | None = None  # when the last good connection was lost
        while True:
            try:
                self._lost.clear()
                self._conn = await self._connect()
                self.listener_pid = self._conn.get_server_pid()
                if lost_at is not None:
                    self.reconnects += 1
                    log.info("live listener reconnected; resynchronising subscribers")
                    await self._resync(lost_at)
                    lost_at = None
                for callback in self._on_connect:
                    callback()
                self.connected.set()
                delay = 0.1
                await self._watch(self._conn)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("live listener connection problem: %s", type(exc).__name__)
            finally:
                self._buffer = None
            if self.connected.is_set():
                lost_at = time.time()
                self.connected.clear()
                log.warning("live listener lost its database connection; reconnecting")
                for lost in self._on_lost:
                    try:
                        lost()
                    except Exception:
                        log.exception("live listener loss callback failed")
            if self._conn is not None and not self._conn.is_closed():
                self._conn.terminate()
            self._conn = None
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _watch(self, conn: Connection) -> None:
        """Return when the connection is lost: terminated, or failing a keepalive."""
        while True:
            try:
                await asyncio.wait_for(self._lost.wait(), timeout=self.keepalive_seconds)
                return
            except TimeoutError:
                async with self._conn_busy:
                    await asyncio.wait_for(conn.execute("SELECT 1"), timeout=self.keepalive_seconds)

    async def _resync(self, lost_at: float) -> None:
        """Give every subscriber what changed while the listener was away."""
        from arch_stats.live import repository

        since = datetime.fromtimestamp(lost_at - 1.0, UTC)
        async with self.pool.acquire() as conn:
            for session_id, subs in list(self.subscribers.items()):
                if not subs:
                    continue
                low = min(s.last_seq for s in subs)
                rows = await repository.changes_since(conn, session_id, after=low, since=since)
                for kind, seq, data in rows:
                    payload = frame(kind, orjson.Fragment(data))
                    for sub in tuple(subs):
                        if kind == "shot.updated" and seq > sub.last_seq:
                            continue  # it comes as shot.created to this one
                        sub.offer(kind, seq, payload)
        held, self._buffer = self._buffer or [], None
        for payload_text in held:
            self._on_notify(None, 0, CHANNEL, payload_text)

    async def _gaps_forever(self) -> None:
        while True:
            await asyncio.sleep(self.gap_check_seconds)
            try:
                await self.check_gaps()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("live gap check failed: %s", type(exc).__name__)

    async def check_gaps(self) -> None:
        """Catch up every subscriber still behind what its session had stored at the previous
        check (a shot whose announcement was lost); returns at once without subscribers."""
        watched = [key for key, subs in self.subscribers.items() if subs]
        if not watched:
            self._behind = {}
            return
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT id, last_seq FROM session WHERE id = ANY($1::uuid[])", watched
            )
        behind: dict[UUID, int] = {}
        for row in rows:
            session_id, top = row["id"], row["last_seq"]
            subs = self.subscribers.get(session_id, ())
            late = [s for s in subs if not s.closed and not s.replaying and s.last_seq < top]
            if not late:
                continue
            behind[session_id] = top
            previous = self._behind.get(session_id)
            if previous is None:
                continue  # announced a moment ago, maybe: look again next time
            for sub in late:
                if sub.last_seq < previous:
                    sub.catch_up(previous)
                    self.gaps_filled += 1
        self._behind = behind

    async def _heartbeat_forever(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            beat = frame("heartbeat", None)
            for n, sub in enumerate(self.each(), 1):
                sub.push(beat)
                if n % HEARTBEAT_BATCH == 0:  # others are served between batches
                    await asyncio.sleep(0)


def _payload_only(callback: Callable[[str], None]) -> Callable[[object, int, str, object], None]:
    def on_notify(_conn: object, _pid: int, _channel: str, payload: object) -> None:
        try:
            callback(str(payload))
        except Exception:
            log.exception("notification callback failed")

    return on_notify

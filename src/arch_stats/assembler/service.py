"""The shot assembler: pending sensor events in, scored shots out, one pass at a time.

A pass reads the pending events with everything needed to decide them in one statement,
matches each session's events (the pure `matcher.match`), scores the shots with
`faces.scoring.score_impact`, and writes every shot and the marks of every event it decided in
ONE autocommit statement (one transaction, so one durable commit); a pass that decided nothing
writes nothing. A crash anywhere leaves the events pending and no shot: the next pass, in this
process or another, starts again from the database, and `shot.release_event_id` (UNIQUE, ON
CONFLICT DO NOTHING) makes a second shot for a release impossible. When the database refuses
that statement, the pass is written again session by session, each in a savepoint, so that one
bad shot sets its own events aside instead of stopping every session.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from arch_stats.assembler import repository as repo
from arch_stats.assembler.matcher import Event, MatchedShot, Rules, match
from arch_stats.assembler.repository import PassInput, RoundState, SessionInfo
from arch_stats.core.database import Connection
from arch_stats.core.errors import AppError
from arch_stats.core.types import MIN_TIME
from arch_stats.faces.scoring import PlacedFace, score_impact
from arch_stats.rounds.plan import next_position
from arch_stats.shots import repository as shots_repo
from arch_stats.shots.repository import ShotRow, TargetInfo
from arch_stats.shots.spots import spot_value

log = logging.getLogger("arch_stats.assembler")

OUTCOME_SHOT = "shot"
OUTCOME_MISS = "miss"
STRAY_CLOSED = "stray: session closed"
STRAY_NO_TARGET = "stray: no target with faces in the session"
STRAY_TIME = "stray: time out of range (from 1900-01-01 to 2200-01-01 UTC)"
_MAX_STRAY_LOGS = 20
_NO_TIME = MIN_TIME  # the time of an event set aside for its time (never matched)


@dataclass(frozen=True, slots=True)
class Config:
    identify_window: timedelta = timedelta(seconds=1)
    engage_timeout: timedelta = timedelta(seconds=60)
    late: timedelta = timedelta(milliseconds=250)
    batch: int = 20_000
    # Most shots a session may hold (SESSION_MAX_SHOTS); None: no limit.
    max_shots: int | None = None

    def rules(self, landing_window_ms: int) -> Rules:
        return Rules(
            landing_window=timedelta(milliseconds=landing_window_ms),
            identify_window=self.identify_window,
            engage_timeout=self.engage_timeout,
            late=self.late,
        )


@dataclass(slots=True)
class PassResult:
    events: int = 0  # events decided (marked processed)
    shots: int = 0
    misses: int = 0
    strays: int = 0
    more: bool = False  # the batch was full: run again at once
    next_check: datetime | None = None  # when the clock alone could decide something
    now: datetime | None = None


async def assemble_once(conn: Connection, config: Config) -> PassResult:
    """One pass over the pending events. Raises only on database errors: whatever an event
    holds, it is decided or set aside with its reason, and the others go on."""
    result = PassResult()
    data = await repo.read_pass(conn, config.batch + 1)
    now = data.now
    result.now = now
    rows = data.events
    if not rows:
        return result
    clock = now
    if len(rows) > config.batch:
        # A full batch: nothing is known beyond the first event left out, so the clock is taken
        # to stand there (every event before it has been read, whatever it decides). The cut
        # falls between two timestamps, never among equal ones. Events out of the time range
        # (no `ts`) sort before or after every other: a cut there leaves none in range out.
        result.more = True
        rows, cut = rows[: config.batch], rows[config.batch][3]
        if cut is not None:
            clock = min(now, cut)
            rows = [r for r in rows if r[3] is None or r[3] < cut] or rows

    strays: list[tuple[Event, str, UUID]] = []
    by_session = _by_session(rows, strays)
    matched: dict[UUID, tuple[SessionInfo, list[MatchedShot]]] = {}
    checks: list[datetime] = []
    for session_id, events in by_session.items():
        info = data.sessions.get(session_id)
        if info is None:  # deleted since (its events go with it, ON DELETE CASCADE)
            continue
        if not info.is_open:
            strays.extend((e, STRAY_CLOSED, session_id) for e in events)
            continue
        try:
            m = match(events, config.rules(info.landing_window_ms), clock)
        except Exception as exc:  # a bug must not stop every session: set these aside
            log.exception("assembler: matching session %s failed", session_id)
            strays.extend((e, f"error: {type(exc).__name__}", session_id) for e in events)
            continue
        strays.extend((e, why, session_id) for e, why in m.strays)
        if m.next_check is not None:
            checks.append(m.next_check)
        if m.shots:
            matched[session_id] = (info, m.shots)

    per_session = _score(matched, data, strays)
    result.next_check = min(checks, default=None)
    if per_session or strays:  # a pass that decided nothing writes nothing
        try:
            await _write(conn, per_session, strays, result, config.max_shots)
        except asyncpg.UniqueViolationError:
            raise
        except (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError) as exc:
            # Nothing was written: find the session(s) at fault, one savepoint each.
            log.warning("assembler: the pass's batch was refused (%s); writing one by one", exc)
            await _write_each(conn, per_session, strays, result, config.max_shots)
    result.strays = len(strays)
    _log_strays(strays)
    return result


async def _write(
    conn: Connection,
    per_session: dict[UUID, tuple[SessionInfo, list[tuple[MatchedShot, ShotRow]]]],
    strays: list[tuple[Event, str, UUID]],
    result: PassResult,
    max_shots: int | None,
) -> None:
    """Every shot and every mark of the pass in one statement (one commit)."""
    shots = [
        (session_id, info.archer_id, row)
        for session_id, (info, pairs) in per_session.items()
        for _, row in pairs
    ]
    marks: list[tuple[int, str, int | None]] = [
        (e.id, OUTCOME_SHOT if s.landing else OUTCOME_MISS, s.release.id)
        for _, pairs in per_session.values()
        for s, _ in pairs
        for e in s.events
    ]
    marks.extend((e.id, why, None) for e, why, _ in strays)
    written = await repo.write_pass(
        conn, shots, marks, closed_outcome=STRAY_CLOSED, max_shots=max_shots
    )
    result.events = written.events
    for session_id, (_, pairs) in per_session.items():
        for s, _ in pairs:
            if s.release.id in written.refused:  # the session was closed meanwhile
                strays.extend((e, STRAY_CLOSED, session_id) for e in s.events)
            else:
                result.shots += 1
                result.misses += s.landing is None


async def _write_each(
    conn: Connection,
    per_session: dict[UUID, tuple[SessionInfo, list[tuple[MatchedShot, ShotRow]]]],
    strays: list[tuple[Event, str, UUID]],
    result: PassResult,
    max_shots: int | None,
) -> None:
    """The slow path: one transaction, each session's shots in a savepoint of their own."""
    marks: list[tuple[int, str, int | None]] = []
    async with conn.transaction():
        done = await repo.shots_of_releases(
            conn, [s.release.id for _, shots in per_session.values() for s, _ in shots]
        )
        for session_id, (info, shots) in per_session.items():
            fresh = [row for s, row in shots if s.release.id not in done]
            refused = await _insert(conn, info, fresh, max_shots) if fresh else None
            if refused is not None:
                strays.extend((e, refused, session_id) for s, _ in shots for e in s.events)
                continue
            for s, _ in shots:
                outcome = OUTCOME_SHOT if s.landing else OUTCOME_MISS
                marks.extend((e.id, outcome, s.release.id) for e in s.events)
                result.shots += 1
                result.misses += s.landing is None
        marks.extend((e.id, why, None) for e, why, _ in strays)
        if marks:
            ids, outcomes, releases = zip(*marks, strict=True)
            result.events = await repo.mark_processed(conn, ids, outcomes, releases)


def _by_session(
    rows: list[asyncpg.Record], strays: list[tuple[Event, str, UUID]]
) -> dict[UUID, list[Event]]:
    """The pass's events by session; those whose time cannot be matched go to `strays`."""
    by_session: dict[UUID, list[Event]] = {}
    for r in rows:
        ts = r[3]
        # read_pass gives no time for a time out of range; a naive one cannot be compared.
        if ts is None or ts.tzinfo is None:
            odd = r[8] if r[8] is not None else repr(ts)
            strays.append((Event(r[0], r[2], _NO_TIME, odd_ts=odd), STRAY_TIME, r[1]))
            continue
        by_session.setdefault(r[1], []).append(Event(r[0], r[2], ts, r[4], r[5], r[6], r[7]))
    return by_session


def _score(
    matched: dict[UUID, tuple[SessionInfo, list[MatchedShot]]],
    data: PassInput,
    strays: list[tuple[Event, str, UUID]],
) -> dict[UUID, tuple[SessionInfo, list[tuple[MatchedShot, ShotRow]]]]:
    """Score every matched shot; shots that cannot be scored become strays with the reason.

    In a session that follows its round, each shot is scored on the round's target of the end
    it will take (the writer's rule, `rounds.plan.next_position`), at the place its landing
    has relative to the face centre of the target the sensor reported it on."""
    out: dict[UUID, tuple[SessionInfo, list[tuple[MatchedShot, ShotRow]]]] = {}
    for session_id, (info, shots) in matched.items():
        rows: list[tuple[MatchedShot, ShotRow]] = []
        taken = dict(info.round.taken) if info.round else {}
        for s in shots:
            seen = _target(s, info, data.targets)
            target = seen
            if info.round is not None:
                if next_position(info.round.per_end, info.round.last_end, taken) is None:
                    done = info.round.last_end * info.round.per_end
                    why = f"refused: round complete: {done} of {done} arrows shot"
                    strays.extend((e, why, session_id) for e in s.events)
                    continue
                target = _round_target(info.round, taken, data.targets)
            if target is None or seen is None:
                strays.extend((e, STRAY_NO_TARGET, session_id) for e in s.events)
                continue
            try:
                rows.append((s, _row(s, target, data.diameters, seen=seen)))
            except (ValueError, KeyError) as exc:  # e.g. a face type no longer known
                strays.extend((e, f"error: {exc}"[:200], session_id) for e in s.events)
            except Exception as exc:  # a bug must not stop every session: set these aside
                log.exception("assembler: scoring a shot of session %s failed", session_id)
                strays.extend((e, f"error: {type(exc).__name__}", session_id) for e in s.events)
        if rows:
            out[session_id] = (info, rows)
    return out


def _target(
    s: MatchedShot, info: SessionInfo, targets: dict[UUID, TargetInfo]
) -> TargetInfo | None:
    for candidate in (
        s.landing.target_id if s.landing else None,
        s.release.target_id,
        info.first_target_id,
    ):
        target = targets.get(candidate) if candidate is not None else None
        if target is not None and target.session_id == info.id:
            return target
    return None


def _round_target(
    state: RoundState, taken: dict[int, int], targets: dict[UUID, TargetInfo]
) -> TargetInfo | None:
    """The round's target of the end the next shot takes (`taken` is updated with its place);
    None when the round is complete."""
    position = next_position(state.per_end, state.last_end, taken)
    if position is None:
        return None
    end, place = position
    taken[end] = taken.get(end, 0) | (1 << (place - 1))
    for first, last, target_id in state.targets:
        if first <= end <= last:
            return targets.get(target_id)
    return None


def _moved(face: PlacedFace, to: PlacedFace, x: float, y: float) -> tuple[float, float]:
    """A point seen on one target, at the same place relative to the other's face centre."""
    return x - face.center_x_mm + to.center_x_mm, y - face.center_y_mm + to.center_y_mm


def _row(
    s: MatchedShot,
    target: TargetInfo,
    diameters: dict[UUID, float],
    *,
    seen: TargetInfo | None = None,
) -> ShotRow:
    arrow_id = s.identify.arrow_id if s.identify else None
    if arrow_id is not None and arrow_id not in diameters:  # deleted since
        arrow_id = None
    engaged = s.engage.ts if s.engage else None
    landing = s.landing
    if landing is None or landing.x_mm is None or landing.y_mm is None:
        return ShotRow(
            target.id, arrow_id, None, None, None, None, None, None, 0, False,
            engaged, s.release.ts, None, s.release.id, entered_by="sensor",
        )  # fmt: skip
    x, y = landing.x_mm, landing.y_mm
    if seen is not None and seen.id != target.id:
        x, y = _moved(seen.faces[0], target.faces[0], x, y)
    score = score_impact(
        target.faces,
        x,
        y,
        arrow_diameter_mm=diameters.get(arrow_id) if arrow_id else None,
        compound=target.compound,
    )
    spot_score, spot_is_x = spot_value(target, score.face_index, score.score, score.is_x)
    return ShotRow(
        target.id, arrow_id, x, y, score.face_index, score.spot_index,
        score.dx_mm, score.dy_mm, score.score, score.is_x, engaged, s.release.ts, landing.ts,
        s.release.id, spot_score=spot_score, spot_is_x=spot_is_x, entered_by="sensor",
    )  # fmt: skip


async def _insert(
    conn: Connection, info: SessionInfo, rows: list[ShotRow], max_shots: int | None
) -> str | None:
    """Insert one session's shots (one statement); the reason when they cannot be.

    In a savepoint, so that shots the database refuses (a bug, data changed meanwhile, a
    session at its most shots) set their events aside instead of failing the pass for every
    session, forever. A unique violation is different: another process made these shots, so
    the whole pass starts again.
    """
    try:
        async with conn.transaction():
            json = await shots_repo.insert_shots(
                conn,
                session_id=info.id,
                archer_id=info.archer_id,
                shots=rows,
                max_shots=max_shots,
            )
    except AppError as exc:  # a rule of the writer: e.g. the session has its most shots
        log.warning("assembler: shots of session %s refused: %s", info.id, exc.messages[0])
        return f"refused: {exc.messages[0]}"[:200]
    except asyncpg.UniqueViolationError:
        raise
    except (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError) as exc:
        log.error("assembler: shots of session %s refused by the database: %s", info.id, exc)
        return f"error: refused by the database ({type(exc).__name__})"
    return STRAY_CLOSED if json is None else None


def _log_strays(strays: list[tuple[Event, str, UUID]]) -> None:
    for e, why, session_id in strays[:_MAX_STRAY_LOGS]:
        log.warning(
            "assembler: set aside %s event %d of session %s (%s): %s",
            e.kind,
            e.id,
            session_id,
            e.odd_ts or e.ts.isoformat(),
            why,
        )
    if len(strays) > _MAX_STRAY_LOGS:
        counts = Counter(why for _, why, _ in strays[_MAX_STRAY_LOGS:])
        log.warning(
            "assembler: set aside %d more events: %s",
            len(strays) - _MAX_STRAY_LOGS,
            ", ".join(f"{n} × {why}" for why, n in counts.most_common()),
        )

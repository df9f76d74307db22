"""Sensor event rules: whose session, arrow and target; all or nothing; retries are no-ops."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from arch_stats.core.database import Executor
from arch_stats.core.errors import BusinessRuleError, InvalidInput, NotFound
from arch_stats.sensors import repository as repo
from arch_stats.sensors.repository import EventRow
from arch_stats.sensors.schemas import SensorEventIn


async def store(conn: Executor, archer_id: UUID, events: Sequence[SensorEventIn]) -> dict[str, int]:
    """Check every event, then store them all with one statement (so all or nothing).

    An event without `session_id` goes to the archer's open session. Sessions, arrows and
    targets must be the archer's (404 otherwise, as if they did not exist), and a target must
    belong to the event's session. Closed sessions still take events: a reader may deliver
    late, and the assembler sets such events aside with the reason.
    """
    if not events:
        raise InvalidInput("body: an empty list has no events")
    default_session: UUID | None = None
    if any(e.session_id is None for e in events):
        default_session = await repo.open_session_id(conn, archer_id)
        if default_session is None:
            raise BusinessRuleError("no open session: open one, or give session_id")
    session_ids = {e.session_id for e in events if e.session_id is not None}
    if session_ids:
        missing = session_ids - await repo.owned_sessions(conn, list(session_ids), archer_id)
        if missing:
            raise NotFound("session", min(missing, key=str))
    arrow_ids = {e.arrow_id for e in events if e.arrow_id is not None}
    if arrow_ids:
        missing = arrow_ids - await repo.owned_arrows(conn, list(arrow_ids), archer_id)
        if missing:
            raise NotFound("arrow", min(missing, key=str))
    target_ids = {e.target_id for e in events if e.target_id is not None}
    targets = await repo.owned_targets(conn, list(target_ids), archer_id) if target_ids else {}
    rows = []
    for e in events:
        session_id = e.session_id or default_session
        assert session_id is not None
        if e.target_id is not None and targets.get(e.target_id) != session_id:
            raise NotFound("target", e.target_id)
        rows.append(
            EventRow(
                session_id, e.device, e.kind, e.sensor_ts, e.arrow_id, e.target_id, e.x_mm, e.y_mm
            )
        )
    stored = await repo.insert_events(conn, archer_id, rows)
    return {"stored": stored, "duplicates": len(rows) - stored}

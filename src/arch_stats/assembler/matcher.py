"""Turning one session's pending sensor events into shots: a pure function, no I/O, no clock.

The rules (SPEC §3), all on the events' own timestamps:

* a landing belongs to the latest release before it whose landing window contains it and
  that has no landing yet (landings taken in time order);
* a release with a landing is a shot; a release whose window has passed with none is a miss.
  A window has passed when a later event of the session, or the database clock, is beyond
  it by more than `late` (the grace a reader's commit may need);
* shots come out in release order: a release still waiting for its window holds back the
  releases after it (they stay pending and are matched again on the next pass);
* a release takes the latest engage before it (unless a previous release took that one, or
  it is older than `engage_timeout`), and that engage the latest identification before it
  within `identify_window`; no engage or no identification: a shot without arrow;
* whatever can no longer become part of a shot is set aside with the reason: a landing
  with no release in its window, an engage superseded by a later one or never released,
  an identification never followed by an engage in time.

Everything not decided stays pending; `next_check` says when the clock alone could decide
something, so that the caller need not poll faster than necessary.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

Kind = Literal["arrow_identified", "arrow_engaged", "arrow_released", "arrow_landed"]
KINDS: tuple[Kind, ...] = ("arrow_identified", "arrow_engaged", "arrow_released", "arrow_landed")

STRAY_LANDING = "stray: landing without a release in its window"
STRAY_ENGAGE_SUPERSEDED = "stray: engage superseded by a later engage"
STRAY_ENGAGE_TIMEOUT = "stray: engaged, never released"
STRAY_IDENTIFY = "stray: identified arrow not engaged in time"


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    kind: Kind
    ts: datetime
    arrow_id: UUID | None = None
    target_id: UUID | None = None
    x_mm: float | None = None
    y_mm: float | None = None
    # The stored time as text, for an event set aside because `ts` could not be read as one.
    odd_ts: str | None = None


@dataclass(frozen=True, slots=True)
class Rules:
    landing_window: timedelta
    identify_window: timedelta = timedelta(seconds=1)
    engage_timeout: timedelta = timedelta(seconds=60)
    late: timedelta = timedelta(milliseconds=250)


@dataclass(frozen=True, slots=True)
class MatchedShot:
    release: Event
    engage: Event | None
    identify: Event | None
    landing: Event | None  # None: a miss

    @property
    def events(self) -> tuple[Event, ...]:
        return tuple(e for e in (self.identify, self.engage, self.release, self.landing) if e)


@dataclass(slots=True)
class Match:
    shots: list[MatchedShot] = field(default_factory=list)  # in release order
    strays: list[tuple[Event, str]] = field(default_factory=list)
    pending: list[Event] = field(default_factory=list)  # left for a later pass
    next_check: datetime | None = None  # when the clock alone could decide something


def match(events: Sequence[Event], rules: Rules, now: datetime | None) -> Match:
    """Match one session's pending events. `now` is the database clock; None disables the
    clock rule (only later events then close windows, e.g. for a truncated batch)."""
    result = Match()
    if not events:
        return result
    unique = {e.id: e for e in events}
    evs = sorted(unique.values(), key=lambda e: (e.ts, e.id))
    horizon = evs[-1].ts
    late = rules.late
    window = rules.landing_window

    # What the session has seen up to: its latest event, or the database clock if later.
    # Minus `late`, the grace a reader's commit may need: a landing stamped inside its window
    # can be committed just after another device's later event.
    seen = horizon if now is None else max(horizon, now)

    def passed(t: datetime) -> bool:
        return seen - late > t

    releases = [e for e in evs if e.kind == "arrow_released"]
    landings = [e for e in evs if e.kind == "arrow_landed"]
    engages = [e for e in evs if e.kind == "arrow_engaged"]
    identifies = [e for e in evs if e.kind == "arrow_identified"]
    release_ts = [e.ts for e in releases]
    engage_ts = [e.ts for e in engages]
    identify_ts = [e.ts for e in identifies]

    # Landings, in time order, to the latest release before them that is still free.
    landing_of: dict[int, Event] = {}
    unassigned: list[Event] = []
    for landing in landings:
        i = bisect_right(release_ts, landing.ts) - 1
        while i >= 0 and releases[i].ts + window >= landing.ts:
            if releases[i].id not in landing_of:
                landing_of[releases[i].id] = landing
                break
            i -= 1
        else:
            unassigned.append(landing)

    # Releases in order, up to the first one still waiting for its window.
    decided: list[Event] = []
    undecided: list[Event] = []
    for n, release in enumerate(releases):
        if release.id in landing_of or passed(release.ts + window):
            decided.append(release)
        else:
            undecided = releases[n:]
            break

    used: set[int] = set()
    for release in decided:
        engage = _latest(engages, engage_ts, release.ts)
        if engage is not None and (
            engage.id in used or release.ts - engage.ts > rules.engage_timeout
        ):
            engage = None
        identify = None
        if engage is not None:
            identify = _latest(identifies, identify_ts, engage.ts)
            if identify is not None and (
                identify.id in used or engage.ts - identify.ts > rules.identify_window
            ):
                identify = None
        shot = MatchedShot(release, engage, identify, landing_of.get(release.id))
        used.update(e.id for e in shot.events)
        result.shots.append(shot)

    checks: list[datetime] = []
    if undecided:
        checks.append(undecided[0].ts + window + late)
    for release in undecided:
        result.pending.append(release)
        if release.id in landing_of:
            result.pending.append(landing_of[release.id])

    for landing in unassigned:
        if passed(landing.ts):
            result.strays.append((landing, STRAY_LANDING))
        else:
            result.pending.append(landing)
            checks.append(landing.ts + late)

    last_release = decided[-1].ts if decided else None
    live_engages: list[Event] = []
    for engage in engages:
        if engage.id in used:
            continue
        if last_release is not None and engage.ts <= last_release:
            # A later engage was released first: no release can take this one any more.
            result.strays.append((engage, STRAY_ENGAGE_SUPERSEDED))
        elif passed(engage.ts + rules.engage_timeout) and not any(
            engage.ts <= r.ts <= engage.ts + rules.engage_timeout for r in undecided
        ):
            result.strays.append((engage, STRAY_ENGAGE_TIMEOUT))
        else:
            live_engages.append(engage)
            result.pending.append(engage)
            checks.append(engage.ts + rules.engage_timeout + late)

    last_engage = max((s.engage.ts for s in result.shots if s.engage), default=None)
    live_engage_ts = [e.ts for e in live_engages]
    for identify in identifies:
        if identify.id in used:
            continue
        limit = identify.ts + rules.identify_window
        if last_engage is not None and identify.ts <= last_engage:
            result.strays.append((identify, STRAY_IDENTIFY))
            continue
        i = bisect_right(live_engage_ts, limit) - 1
        awaited = i >= 0 and live_engage_ts[i] >= identify.ts
        if not awaited and passed(limit):
            result.strays.append((identify, STRAY_IDENTIFY))
        else:
            result.pending.append(identify)
            if not awaited:
                checks.append(limit + late)

    result.next_check = min(checks, default=None)
    return result


def _latest(events: list[Event], stamps: list[datetime], ts: datetime) -> Event | None:
    i = bisect_right(stamps, ts) - 1
    return events[i] if i >= 0 else None

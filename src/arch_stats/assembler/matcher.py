"""Turning one session's pending sensor events into shots: a pure function, no I/O, no clock.

The rules (SPEC §3), all on the events' own timestamps, each one step of `match`:

* `Clock`: a time has passed when a later event of the session, or the database clock, is
  beyond it by more than `late` (the grace a reader's commit may need);
* `assign_landings`: a landing belongs to the latest release before it whose landing window
  contains it and that has no landing yet (landings taken in time order);
* `decided_releases`: a release with a landing is a shot; a release whose window has passed
  with none is a miss; shots come out in release order, so a release still waiting for its
  window holds back the releases after it (`hold_back`: they stay pending and are matched
  again on the next pass);
* `make_shots`: each decided release makes exactly one shot, and no event is part of two;
  a release takes the latest engage before it (`engage_for`: unless a previous release took
  that one, or it is older than `engage_timeout`), and that engage the latest identification
  before it within `identify_window` (`identify_for`); no engage or no identification: a
  shot without arrow;
* whatever can no longer become part of a shot is set aside with the reason: a landing
  with no release in its window (`settle_landings`), an engage superseded by a later one or
  never released (`settle_engages`), an identification never followed by an engage in time
  (`settle_identifies`).

Everything not decided stays pending; `next_check` says when the clock alone could decide
something, so that the caller need not poll faster than necessary.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import attrgetter
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
    if not events:
        return Match()
    evs = in_time_order(events)
    clock = Clock.of(evs[-1].ts, now, rules.late)
    releases = [e for e in evs if e.kind == "arrow_released"]
    landings = [e for e in evs if e.kind == "arrow_landed"]
    engages = [e for e in evs if e.kind == "arrow_engaged"]
    identifies = [e for e in evs if e.kind == "arrow_identified"]

    landing_of, unassigned = assign_landings(releases, landings, rules.landing_window)
    decided, undecided = decided_releases(releases, landing_of, rules.landing_window, clock)
    shots, used = make_shots(decided, landing_of, engages, identifies, rules)

    left = Leftovers()
    hold_back(undecided, landing_of, rules.landing_window, clock, left)
    settle_landings(unassigned, clock, left)
    waiting = settle_engages(engages, used, decided, undecided, rules, clock, left)
    settle_identifies(identifies, used, shots, waiting, rules, clock, left)
    next_check = min(left.checks, default=None)
    return Match(shots=shots, strays=left.strays, pending=left.pending, next_check=next_check)


def in_time_order(events: Sequence[Event]) -> list[Event]:
    """Each event once (by id), in time order; ties by id."""
    return sorted({e.id: e for e in events}.values(), key=lambda e: (e.ts, e.id))


@dataclass(frozen=True, slots=True)
class Clock:
    """What the session has seen up to: its latest event, or the database clock if later.
    A time has passed only once it is `late` behind that (the late grace): a landing stamped
    inside its window can be committed just after another device's later event."""

    seen: datetime
    late: timedelta

    @classmethod
    def of(cls, latest: datetime, now: datetime | None, late: timedelta) -> Clock:
        return cls(latest if now is None else max(latest, now), late)

    def passed(self, t: datetime) -> bool:
        return self.seen - self.late > t

    def decides_at(self, t: datetime) -> datetime:
        """When the database clock alone will have passed `t`."""
        return t + self.late


@dataclass(slots=True)
class Leftovers:
    """The events no shot takes: set aside with a reason, or pending for a later pass, with
    the times at which the clock alone could decide one of them."""

    strays: list[tuple[Event, str]] = field(default_factory=list)
    pending: list[Event] = field(default_factory=list)
    checks: list[datetime] = field(default_factory=list)

    def set_aside(self, event: Event, why: str) -> None:
        self.strays.append((event, why))

    def wait(self, event: Event, check: datetime | None = None) -> None:
        self.pending.append(event)
        if check is not None:
            self.checks.append(check)


def assign_landings(
    releases: list[Event], landings: list[Event], window: timedelta
) -> tuple[dict[int, Event], list[Event]]:
    """Each landing, in time order, to the latest release before it whose landing window
    holds it and that has no landing yet. Returns the landing of each release id, and the
    landings that no release takes."""
    landing_of: dict[int, Event] = {}
    unassigned: list[Event] = []
    for landing in landings:
        i = bisect_right(releases, landing.ts, key=_ts) - 1
        while i >= 0 and releases[i].ts + window >= landing.ts:
            if releases[i].id not in landing_of:
                landing_of[releases[i].id] = landing
                break
            i -= 1
        else:
            unassigned.append(landing)
    return landing_of, unassigned


def decided_releases(
    releases: list[Event], landing_of: dict[int, Event], window: timedelta, clock: Clock
) -> tuple[list[Event], list[Event]]:
    """The releases in order up to the first one still waiting for its window (no landing,
    window not passed), and the ones from it on: shots come out in release order."""
    for n, release in enumerate(releases):
        if release.id not in landing_of and not clock.passed(release.ts + window):
            return releases[:n], releases[n:]
    return releases, []


def engage_for(release: Event, engages: list[Event], used: set[int], rules: Rules) -> Event | None:
    """The latest engage before the release, unless an earlier shot took it or it is older
    than `engage_timeout`."""
    return _latest_free(engages, release.ts, used, rules.engage_timeout)


def identify_for(
    engage: Event, identifies: list[Event], used: set[int], rules: Rules
) -> Event | None:
    """The latest identification before the engage, unless an earlier shot took it or it is
    older than `identify_window`."""
    return _latest_free(identifies, engage.ts, used, rules.identify_window)


def make_shots(
    decided: list[Event],
    landing_of: dict[int, Event],
    engages: list[Event],
    identifies: list[Event],
    rules: Rules,
) -> tuple[list[MatchedShot], set[int]]:
    """Exactly one shot per decided release, in release order: with its landing, or a miss
    without one; with its engage and identification when there are any. No event is part of
    two shots. Returns the shots and the ids of their events."""
    used: set[int] = set()
    shots: list[MatchedShot] = []
    for release in decided:
        engage = engage_for(release, engages, used, rules)
        identify = identify_for(engage, identifies, used, rules) if engage else None
        shot = MatchedShot(release, engage, identify, landing_of.get(release.id))
        used.update(e.id for e in shot.events)
        shots.append(shot)
    return shots, used


def hold_back(
    undecided: list[Event],
    landing_of: dict[int, Event],
    window: timedelta,
    clock: Clock,
    left: Leftovers,
) -> None:
    """The releases from the first one still waiting for its window on stay pending, each with
    its landing if it has one; the clock decides the first when its window has passed."""
    for n, release in enumerate(undecided):
        left.wait(release, clock.decides_at(release.ts + window) if n == 0 else None)
        if release.id in landing_of:
            left.wait(landing_of[release.id])


def settle_landings(unassigned: list[Event], clock: Clock, left: Leftovers) -> None:
    """A landing that no release takes is a stray once its time has passed: a release stamped
    before it may yet arrive within the late grace."""
    for landing in unassigned:
        if clock.passed(landing.ts):
            left.set_aside(landing, STRAY_LANDING)
        else:
            left.wait(landing, clock.decides_at(landing.ts))


def settle_engages(
    engages: list[Event],
    used: set[int],
    decided: list[Event],
    undecided: list[Event],
    rules: Rules,
    clock: Clock,
    left: Leftovers,
) -> list[Event]:
    """An engage that no shot takes is superseded when a decided release comes after it (that
    release took a later engage, or none), and timed out when `engage_timeout` after it has
    passed with no pending release within it; otherwise it waits. Returns those that wait."""
    last_release = decided[-1].ts if decided else None
    waiting: list[Event] = []
    for engage in engages:
        if engage.id in used:
            continue
        timeout = engage.ts + rules.engage_timeout
        if last_release is not None and engage.ts <= last_release:
            left.set_aside(engage, STRAY_ENGAGE_SUPERSEDED)
        elif clock.passed(timeout) and not any(engage.ts <= r.ts <= timeout for r in undecided):
            left.set_aside(engage, STRAY_ENGAGE_TIMEOUT)
        else:
            waiting.append(engage)
            left.wait(engage, clock.decides_at(timeout))
    return waiting


def settle_identifies(
    identifies: list[Event],
    used: set[int],
    shots: list[MatchedShot],
    waiting: list[Event],
    rules: Rules,
    clock: Clock,
    left: Leftovers,
) -> None:
    """An identification that no shot takes is a stray when a shot's engage comes after it, or
    when `identify_window` after it has passed with no waiting engage within it; otherwise it
    waits (for the clock only when no engage within its window is waiting)."""
    last_engage = max((s.engage.ts for s in shots if s.engage), default=None)
    for identify in identifies:
        if identify.id in used:
            continue
        limit = identify.ts + rules.identify_window
        engage = _latest(waiting, limit)
        awaited = engage is not None and engage.ts >= identify.ts
        if last_engage is not None and identify.ts <= last_engage:
            left.set_aside(identify, STRAY_IDENTIFY)
        elif awaited:
            left.wait(identify)
        elif clock.passed(limit):
            left.set_aside(identify, STRAY_IDENTIFY)
        else:
            left.wait(identify, clock.decides_at(limit))


def _latest_free(
    events: list[Event], ts: datetime, used: set[int], within: timedelta
) -> Event | None:
    """The latest of `events` at or before `ts`, if no shot took it and it is within `within`."""
    event = _latest(events, ts)
    if event is None or event.id in used or ts - event.ts > within:
        return None
    return event


def _latest(events: list[Event], ts: datetime) -> Event | None:
    """The latest of `events` (in time order) at or before `ts`."""
    i = bisect_right(events, ts, key=_ts) - 1
    return events[i] if i >= 0 else None


_ts = attrgetter("ts")

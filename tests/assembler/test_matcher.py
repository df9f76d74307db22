"""The matching rules, on lists of events: no database, no clock but the one given."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from arch_stats.assembler.matcher import (
    STRAY_ENGAGE_SUPERSEDED,
    STRAY_ENGAGE_TIMEOUT,
    STRAY_IDENTIFY,
    STRAY_LANDING,
    Event,
    Kind,
    Match,
    Rules,
    match,
)

T0 = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
RULES = Rules(
    landing_window=timedelta(seconds=3),
    identify_window=timedelta(seconds=1),
    engage_timeout=timedelta(seconds=60),
    late=timedelta(milliseconds=250),
)
ARROW = uuid4()
_ids = itertools.count(1)


def ev(
    kind: Kind, t: float, *, arrow: UUID | None = None, xy: tuple[float, float] | None = None
) -> Event:
    x, y = xy if xy else (None, None)
    if kind == "arrow_identified" and arrow is None:
        arrow = ARROW
    if kind == "arrow_landed" and xy is None:
        x, y = 100.0, 100.0
    return Event(next(_ids), kind, T0 + timedelta(seconds=t), arrow, None, x, y)


def at(t: float) -> datetime:
    return T0 + timedelta(seconds=t)


def shot_events(t: float, *, land: float | None = 1.2) -> list[Event]:
    """identify at t, engage at t+0.5, release at t+2.5, landing after `land` s (None: miss)."""
    events = [
        ev("arrow_identified", t),
        ev("arrow_engaged", t + 0.5),
        ev("arrow_released", t + 2.5),
    ]
    if land is not None:
        events.append(ev("arrow_landed", t + 2.5 + land))
    return events


def accounted(events: list[Event], m: Match) -> None:
    """Every event is in exactly one place: a shot, the strays or the pending ones."""
    placed = [e.id for s in m.shots for e in s.events] + [e.id for e, _ in m.strays]
    placed += [e.id for e in m.pending]
    assert sorted(placed) == sorted({e.id for e in events})


def test_full_shot_has_all_four_events() -> None:
    events = shot_events(0)
    m = match(events, RULES, now=at(3.8))
    accounted(events, m)
    assert len(m.shots) == 1
    s = m.shots[0]
    assert (s.identify, s.engage, s.release, s.landing) == tuple(events)
    assert m.strays == [] and m.pending == []


def test_release_without_landing_waits_for_its_window() -> None:
    events = shot_events(0, land=None)
    m = match(events, RULES, now=at(2.5 + 3.0))  # window just closed, grace not yet passed
    accounted(events, m)
    assert m.shots == []
    assert m.next_check == at(2.5 + 3.25)


def test_release_without_landing_is_miss_once_clock_passes_window() -> None:
    events = shot_events(0, land=None)
    m = match(events, RULES, now=at(2.5 + 3.3))
    accounted(events, m)
    assert len(m.shots) == 1 and m.shots[0].landing is None
    assert m.shots[0].identify is events[0] and m.shots[0].engage is events[1]


def test_later_event_beyond_window_makes_miss_without_clock() -> None:
    events = [*shot_events(0, land=None), *shot_events(6)]
    m = match(events, RULES, now=None)
    accounted(events, m)
    assert [s.landing is None for s in m.shots] == [True, False]


def test_miss_then_hit_come_out_in_release_order() -> None:
    r1, r2, landing = ev("arrow_released", 0), ev("arrow_released", 1), ev("arrow_landed", 2)
    events = [r1, r2, landing]
    m = match(events, RULES, now=at(2.1))
    assert m.shots == []  # the hit waits behind the first release, still in its window
    assert {e.id for e in m.pending} == {e.id for e in events}
    assert m.next_check == at(3.25)
    m = match(events, RULES, now=at(3.3))
    assert [(s.release, s.landing) for s in m.shots] == [(r1, None), (r2, landing)]


def test_landing_goes_to_latest_release_in_window() -> None:
    r1, r2 = ev("arrow_released", 0), ev("arrow_released", 1)
    landing = ev("arrow_landed", 2)
    m = match([r1, r2, landing], RULES, now=at(10))
    assert [(s.release, s.landing) for s in m.shots] == [(r1, None), (r2, landing)]


def test_overlapping_windows_second_landing_takes_earlier_free_release() -> None:
    r1, r2 = ev("arrow_released", 0), ev("arrow_released", 1)
    l1, l2 = ev("arrow_landed", 2), ev("arrow_landed", 2.5)
    m = match([r1, r2, l1, l2], RULES, now=at(10))
    assert [(s.release, s.landing) for s in m.shots] == [(r1, l2), (r2, l1)]


def test_landing_outside_every_window_is_stray() -> None:
    release, landing = ev("arrow_released", 0), ev("arrow_landed", 3.5)
    m = match([release, landing], RULES, now=at(10))
    assert [(s.release, s.landing) for s in m.shots] == [(release, None)]
    assert m.strays == [(landing, STRAY_LANDING)]


def test_landing_without_release_is_stray_after_grace() -> None:
    landing = ev("arrow_landed", 0)
    m = match([landing], RULES, now=at(0.1))
    assert m.pending == [landing] and m.strays == []
    assert m.next_check == at(0.25)
    m = match([landing], RULES, now=at(0.3))
    assert m.strays == [(landing, STRAY_LANDING)]


def test_landing_before_release_is_not_its_landing() -> None:
    landing, release = ev("arrow_landed", 0), ev("arrow_released", 0.5)
    m = match([landing, release], RULES, now=at(10))
    assert [(s.release, s.landing) for s in m.shots] == [(release, None)]
    assert m.strays == [(landing, STRAY_LANDING)]


def test_second_landing_for_one_release_is_stray() -> None:
    events = shot_events(0)
    extra = ev("arrow_landed", 4.0)
    m = match([*events, extra], RULES, now=at(10))
    assert len(m.shots) == 1 and m.shots[0].landing is events[3]
    assert m.strays == [(extra, STRAY_LANDING)]


def test_duplicate_event_objects_count_once() -> None:
    events = shot_events(0)
    m = match([*events, *events], RULES, now=at(4))
    accounted(events, m)
    assert len(m.shots) == 1


def test_unsorted_input_matches_like_sorted() -> None:
    events = [*shot_events(0), *shot_events(10, land=None), *shot_events(20)]
    ordered = match(events, RULES, now=at(40))
    shuffled = match(list(reversed(events)), RULES, now=at(40))
    assert ordered.shots == shuffled.shots and len(ordered.shots) == 3


def test_missing_identify_gives_shot_without_arrow() -> None:
    engage, release, landing = (
        ev("arrow_engaged", 0),
        ev("arrow_released", 2),
        ev("arrow_landed", 3),
    )
    m = match([engage, release, landing], RULES, now=at(4))
    assert m.shots[0].identify is None and m.shots[0].engage is engage


def test_identify_too_long_before_engage_is_not_used() -> None:
    identify = ev("arrow_identified", 0)
    engage, release = ev("arrow_engaged", 1.5), ev("arrow_released", 3)
    m = match([identify, engage, release, ev("arrow_landed", 4)], RULES, now=at(5))
    assert m.shots[0].identify is None
    assert m.strays == [(identify, STRAY_IDENTIFY)]


def test_latest_identify_before_engage_wins() -> None:
    i1, i2 = ev("arrow_identified", 0, arrow=uuid4()), ev("arrow_identified", 0.4)
    events = [i1, i2, ev("arrow_engaged", 0.8), ev("arrow_released", 2), ev("arrow_landed", 3)]
    m = match(events, RULES, now=at(4))
    assert m.shots[0].identify is i2
    assert m.strays == [(i1, STRAY_IDENTIFY)]


def test_release_without_engage_gives_shot_without_engage_or_arrow() -> None:
    identify, release = ev("arrow_identified", 0), ev("arrow_released", 0.5)
    m = match([identify, release, ev("arrow_landed", 1.5)], RULES, now=at(2))
    s = m.shots[0]
    assert s.engage is None and s.identify is None
    assert m.strays == [(identify, STRAY_IDENTIFY)]


def test_engage_superseded_by_later_engage_is_stray() -> None:
    e1, e2 = ev("arrow_engaged", 0), ev("arrow_engaged", 1)
    release = ev("arrow_released", 2)
    m = match([e1, e2, release, ev("arrow_landed", 3)], RULES, now=at(4))
    assert m.shots[0].engage is e2
    assert m.strays == [(e1, STRAY_ENGAGE_SUPERSEDED)]


def test_two_releases_after_one_engage_second_has_no_engage() -> None:
    engage = ev("arrow_engaged", 0)
    r1, r2 = ev("arrow_released", 1), ev("arrow_released", 5)
    m = match([engage, r1, r2], RULES, now=at(10))
    assert [s.engage for s in m.shots] == [engage, None]


def test_engage_waiting_for_release_stays_pending() -> None:
    events = [ev("arrow_identified", 0), ev("arrow_engaged", 0.5)]
    m = match(events, RULES, now=at(20))  # a long aim: still drawing
    assert m.shots == [] and m.strays == []
    assert {e.id for e in m.pending} == {e.id for e in events}


def test_engage_never_released_is_stray_after_timeout() -> None:
    identify, engage = ev("arrow_identified", 0), ev("arrow_engaged", 0.5)
    m = match([identify, engage], RULES, now=at(61))
    assert sorted(why for _, why in m.strays) == sorted([STRAY_ENGAGE_TIMEOUT, STRAY_IDENTIFY])


def test_release_longer_than_engage_timeout_after_engage_has_no_engage() -> None:
    engage, release = ev("arrow_engaged", 0), ev("arrow_released", 61)
    m = match([engage, release], RULES, now=at(70))
    assert m.shots[0].engage is None
    assert m.strays == [(engage, STRAY_ENGAGE_SUPERSEDED)]


def test_identify_without_engage_is_stray_after_window_and_grace() -> None:
    identify = ev("arrow_identified", 0)
    assert match([identify], RULES, now=at(1.2)).pending == [identify]
    assert match([identify], RULES, now=at(1.3)).strays == [(identify, STRAY_IDENTIFY)]


def test_truncated_batch_without_clock_decides_only_by_later_events() -> None:
    events = shot_events(0, land=None)
    m = match(events, RULES, now=None)
    assert m.shots == [] and m.strays == []


def test_series_of_shots_pass_by_pass_gives_each_release_one_shot() -> None:
    """Feeding events as they come, removing what each pass decided, as the assembler does."""
    timeline: list[Event] = []
    for n in range(10):
        timeline += shot_events(8.0 * n, land=None if n % 3 == 0 else 1.1)
    pending: list[Event] = []
    made = []
    for i, e in enumerate(timeline):
        pending.append(e)
        m = match(pending, RULES, now=e.ts + timedelta(milliseconds=5))
        made += m.shots
        pending = list(m.pending)
        assert not m.strays, (i, m.strays)
    m = match(pending, RULES, now=at(1000))
    made += m.shots
    assert [s.release.ts for s in made] == [at(8.0 * n + 2.5) for n in range(10)]
    assert [s.landing is None for s in made] == [n % 3 == 0 for n in range(10)]
    assert all(s.identify is not None and s.engage is not None for s in made)


@pytest.mark.parametrize("late_ms", [0, 250])
def test_grace_delays_miss_decided_by_later_event(late_ms: int) -> None:
    rules = Rules(landing_window=timedelta(seconds=3), late=timedelta(milliseconds=late_ms))
    release, later = ev("arrow_released", 0), ev("arrow_identified", 3.1)
    m = match([release, later], rules, now=None)
    assert len(m.shots) == (1 if late_ms < 100 else 0)

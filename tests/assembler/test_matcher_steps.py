"""Each step of the matcher on its own: one pairing rule of SPEC §3 per function."""

from __future__ import annotations

from arch_stats.assembler.matcher import (
    STRAY_ENGAGE_SUPERSEDED,
    STRAY_ENGAGE_TIMEOUT,
    STRAY_IDENTIFY,
    STRAY_LANDING,
    Clock,
    Event,
    Leftovers,
    MatchedShot,
    assign_landings,
    decided_releases,
    engage_for,
    hold_back,
    identify_for,
    in_time_order,
    make_shots,
    settle_engages,
    settle_identifies,
    settle_landings,
)
from tests.assembler.test_matcher import RULES, at, ev

WINDOW = RULES.landing_window  # 3 s
LATE = RULES.late  # 250 ms


def clock_at(t: float) -> Clock:
    return Clock(at(t), LATE)


def test_in_time_order_keeps_each_id_once_by_time_then_id() -> None:
    a, b = ev("arrow_engaged", 1), ev("arrow_identified", 0)
    c = Event(a.id - 1, "arrow_released", a.ts)  # same time as `a`, smaller id
    assert in_time_order([a, b, c, a, b]) == [b, c, a]


def test_clock_sees_the_later_of_the_latest_event_and_the_database_clock() -> None:
    assert Clock.of(at(5), at(3), LATE).seen == at(5)
    assert Clock.of(at(5), at(7), LATE).seen == at(7)
    assert Clock.of(at(5), None, LATE).seen == at(5)


def test_clock_passes_a_time_only_after_the_late_grace() -> None:
    clock = clock_at(10)
    assert not clock.passed(at(9.75))
    assert clock.passed(at(9.7))
    assert clock.decides_at(at(9.75)) == at(10)


def test_assign_landings_gives_each_landing_the_latest_free_release_in_its_window() -> None:
    r1, r2, r3 = ev("arrow_released", 0), ev("arrow_released", 1), ev("arrow_released", 10)
    l1, l2, l3 = ev("arrow_landed", 2), ev("arrow_landed", 2.5), ev("arrow_landed", 13)
    landing_of, unassigned = assign_landings([r1, r2, r3], [l1, l2, l3], WINDOW)
    # l1 to the latest release (r2), l2 to the earlier one still free; l3 on the window's edge.
    assert landing_of == {r2.id: l1, r1.id: l2, r3.id: l3}
    assert unassigned == []


def test_assign_landings_leaves_the_landings_no_release_can_take() -> None:
    early = ev("arrow_landed", 0)
    release = ev("arrow_released", 1)
    first, second = ev("arrow_landed", 2), ev("arrow_landed", 3)
    beyond = ev("arrow_landed", 4.1)
    landing_of, unassigned = assign_landings([release], [early, first, second, beyond], WINDOW)
    assert landing_of == {release.id: first}
    assert unassigned == [early, second, beyond]


def test_decided_releases_are_those_landed_or_with_window_passed() -> None:
    landed, missed = ev("arrow_released", 0), ev("arrow_released", 1)
    landing = ev("arrow_landed", 1)
    decided, undecided = decided_releases(
        [landed, missed], {landed.id: landing}, WINDOW, clock_at(4.3)
    )
    assert (decided, undecided) == ([landed, missed], [])


def test_decided_releases_stop_at_the_first_still_in_its_window() -> None:
    waiting, landed = ev("arrow_released", 0), ev("arrow_released", 1)
    later = ev("arrow_released", 1.5)
    landing = ev("arrow_landed", 2)
    releases = [waiting, landed, later]
    # The grace not yet passed for the first: it holds back the landed one after it.
    decided, undecided = decided_releases(releases, {landed.id: landing}, WINDOW, clock_at(3.2))
    assert (decided, undecided) == ([], releases)
    decided, undecided = decided_releases(releases, {landed.id: landing}, WINDOW, clock_at(3.3))
    assert (decided, undecided) == ([waiting, landed], [later])


def test_engage_for_takes_the_latest_engage_before_the_release() -> None:
    e1, e2 = ev("arrow_engaged", 0), ev("arrow_engaged", 1)
    release, after = ev("arrow_released", 2), ev("arrow_engaged", 3)
    assert engage_for(release, [e1, e2, after], set(), RULES) is e2
    assert engage_for(release, [after], set(), RULES) is None


def test_engage_for_takes_no_engage_already_used_or_past_the_timeout() -> None:
    engage = ev("arrow_engaged", 0)
    assert engage_for(ev("arrow_released", 1), [engage], {engage.id}, RULES) is None
    assert engage_for(ev("arrow_released", 60), [engage], set(), RULES) is engage
    assert engage_for(ev("arrow_released", 60.001), [engage], set(), RULES) is None


def test_identify_for_takes_the_latest_identification_at_most_one_second_before() -> None:
    i1, i2 = ev("arrow_identified", 0), ev("arrow_identified", 0.5)
    assert identify_for(ev("arrow_engaged", 1.5), [i1, i2], set(), RULES) is i2
    assert identify_for(ev("arrow_engaged", 1.501), [i1, i2], set(), RULES) is None
    assert identify_for(ev("arrow_engaged", 1), [i1, i2], {i2.id}, RULES) is None
    assert identify_for(ev("arrow_engaged", 0.2), [i2], set(), RULES) is None


def test_make_shots_makes_one_shot_per_release_and_uses_each_event_once() -> None:
    identify, engage = ev("arrow_identified", 0), ev("arrow_engaged", 0.5)
    r1, r2 = ev("arrow_released", 2), ev("arrow_released", 6)
    landing = ev("arrow_landed", 7)
    shots, used = make_shots([r1, r2], {r2.id: landing}, [engage], [identify], RULES)
    assert used == {e.id for e in (identify, engage, r1, r2, landing)}
    assert shots == [
        MatchedShot(r1, engage, identify, None),  # a miss, with its arrow
        MatchedShot(r2, None, None, landing),  # the engage is r1's: a hit without arrow
    ]


def test_hold_back_keeps_releases_pending_with_their_landings() -> None:
    r1, r2 = ev("arrow_released", 0), ev("arrow_released", 1)
    landing = ev("arrow_landed", 2)
    left = Leftovers()
    hold_back([r1, r2], {r2.id: landing}, WINDOW, clock_at(2), left)
    assert left.pending == [r1, r2, landing] and left.strays == []
    assert left.checks == [at(3.25)]  # the first release's window, with the grace


def test_settle_landings_sets_aside_only_after_the_grace() -> None:
    old, recent = ev("arrow_landed", 0), ev("arrow_landed", 0.9)
    left = Leftovers()
    settle_landings([old, recent], clock_at(1), left)
    assert left.strays == [(old, STRAY_LANDING)]
    assert (left.pending, left.checks) == ([recent], [at(1.15)])


def test_settle_engages_supersedes_engages_up_to_a_decided_release() -> None:
    early, late_engage = ev("arrow_engaged", 0), ev("arrow_engaged", 3)
    release = ev("arrow_released", 2)
    same_time = Event(release.id + 1, "arrow_engaged", release.ts)
    left = Leftovers()
    engages = [early, same_time, late_engage]
    waiting = settle_engages(engages, set(), [release], [], RULES, clock_at(4), left)
    assert left.strays == [(early, STRAY_ENGAGE_SUPERSEDED), (same_time, STRAY_ENGAGE_SUPERSEDED)]
    assert waiting == left.pending == [late_engage]
    assert left.checks == [at(63.25)]


def test_settle_engages_times_out_unless_a_pending_release_is_within_the_timeout() -> None:
    lone, held = ev("arrow_engaged", 0), ev("arrow_engaged", 1)
    pending_release = ev("arrow_released", 61)  # within `held`'s timeout, not `lone`'s
    left = Leftovers()
    waiting = settle_engages([lone, held], set(), [], [pending_release], RULES, clock_at(62), left)
    assert left.strays == [(lone, STRAY_ENGAGE_TIMEOUT)]
    assert waiting == [held]


def test_settle_engages_skips_the_engages_of_shots() -> None:
    engage = ev("arrow_engaged", 0)
    left = Leftovers()
    assert settle_engages([engage], {engage.id}, [], [], RULES, clock_at(100), left) == []
    assert (left.strays, left.pending) == ([], [])


def test_settle_identifies_sets_aside_those_before_a_shots_engage() -> None:
    before, after = ev("arrow_identified", 0.2), ev("arrow_identified", 0.6)
    engage = ev("arrow_engaged", 0.5)
    shot = MatchedShot(ev("arrow_released", 0.65), engage, None, None)
    left = Leftovers()
    # Neither window has passed: `before` is set aside only because the engage came after it.
    settle_identifies([before, after], set(), [shot], [], RULES, clock_at(0.7), left)
    assert left.strays == [(before, STRAY_IDENTIFY)]
    assert (left.pending, left.checks) == ([after], [at(1.85)])


def test_settle_identifies_waits_without_a_check_for_an_engage_in_its_window() -> None:
    awaited, lone = ev("arrow_identified", 0), ev("arrow_identified", 5)
    engage = ev("arrow_engaged", 1)
    left = Leftovers()
    settle_identifies([awaited, lone], set(), [], [engage], RULES, clock_at(7), left)
    assert left.pending == [awaited] and left.checks == []
    assert left.strays == [(lone, STRAY_IDENTIFY)]

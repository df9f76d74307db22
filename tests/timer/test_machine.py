"""The range timer's state machine (pure): World Archery phases and signals, details AB/CD
alternating by end, alternating shooting for matches, pause and resume arithmetic."""

from __future__ import annotations

import pytest

from arch_stats.timer.machine import (
    EMERGENCY,
    END,
    SHOOT,
    TO_THE_LINE,
    Action,
    NotAllowed,
    Plan,
    State,
    command,
    detail_order,
    settle,
    view,
)

T0 = 1_800_000_000_000  # an epoch millisecond
DETAILS = Plan(
    mode="details", details=2, arrows=3, shoot_ms=120_000, walkup_ms=10_000, warning_ms=30_000
)
MATCH = Plan(
    mode="alternating", details=1, arrows=3, shoot_ms=20_000, walkup_ms=10_000, warning_ms=5_000
)
SIDES = ("Mia", "Sam")


def test_start_walks_up_with_two_signals_then_shoots_with_one() -> None:
    s = command(DETAILS, State(), "start", T0)
    assert (s.phase, s.end_no, s.turn, s.signal, s.signal_at) == ("walkup", 1, 0, TO_THE_LINE, T0)
    assert s.remaining(T0 + 4_000) == 6_000
    shooting = settle(DETAILS, s, T0 + 10_000)
    assert (shooting.phase, shooting.signal, shooting.signal_at) == ("shoot", SHOOT, T0 + 10_000)
    assert shooting.remaining(T0 + 10_000) == 120_000
    assert shooting.ends_at() == T0 + 130_000


def test_a_detail_running_out_calls_the_next_and_the_last_ends_the_end() -> None:
    s = command(DETAILS, State(), "start", T0)
    cd = settle(DETAILS, s, T0 + 130_000)  # AB's 120 s are over
    assert (cd.phase, cd.turn, cd.signal, cd.started_at) == ("walkup", 1, TO_THE_LINE, T0 + 130_000)
    done = settle(DETAILS, s, T0 + 260_000)  # CD's walk-up and 120 s too
    assert (done.phase, done.signal, done.signal_at) == ("collect", END, T0 + 260_000)
    assert done.ends_at() is None
    assert settle(DETAILS, s, T0 + 10**9) == done  # collect waits for the organiser


def test_details_alternate_ab_cd_then_cd_ab() -> None:
    assert detail_order(1, 2) == ("AB", "CD")
    assert detail_order(2, 2) == ("CD", "AB")
    assert detail_order(3, 2) == ("AB", "CD")
    assert detail_order(4, 1) == ()
    s = command(DETAILS, State(), "start", T0)
    assert view(DETAILS, s, T0, SIDES)["detail"] == "AB"
    s = command(DETAILS, s, "next", T0 + 50_000)  # AB finished early
    assert view(DETAILS, s, T0 + 50_000, SIDES)["detail"] == "CD"
    s = command(DETAILS, s, "next", T0 + 100_000)
    assert s.phase == "collect" and s.signal == END
    second = command(DETAILS, s, "start", T0 + 200_000)
    shown = view(DETAILS, second, T0 + 200_000, SIDES)
    assert (shown["end_no"], shown["order"], shown["detail"]) == (2, ["CD", "AB"], "CD")


def test_next_in_the_walkup_starts_that_details_shooting_time() -> None:
    s = command(DETAILS, State(), "start", T0)
    s = command(DETAILS, s, "next", T0 + 3_000)
    assert (s.phase, s.turn, s.signal, s.started_at) == ("shoot", 0, SHOOT, T0 + 3_000)


def test_pause_and_resume_keep_the_time_left() -> None:
    s = command(DETAILS, State(), "start", T0)  # shooting from T0 + 10 s to T0 + 130 s
    paused = command(DETAILS, s, "pause", T0 + 40_000)
    assert paused.paused_remaining_ms == 90_000 and paused.signal == 0
    assert paused.ends_at() is None
    assert settle(DETAILS, paused, T0 + 10**7) == paused  # a paused clock stays
    assert paused.remaining(T0 + 10**7) == 90_000
    resumed = command(DETAILS, paused, "resume", T0 + 100_000)
    # as if the phase had begun 30 s before the resume and run without a pause
    assert resumed.started_at == T0 + 70_000 and resumed.duration_ms == 120_000
    assert resumed.paused_remaining_ms is None
    assert resumed.remaining(T0 + 100_000) == 90_000
    assert resumed.ends_at() == T0 + 190_000
    assert resumed.signal == SHOOT
    assert settle(DETAILS, resumed, T0 + 190_000).turn == 1


def test_emergency_holds_the_clock_with_five_signals_until_resumed() -> None:
    s = command(DETAILS, State(), "start", T0)
    stop = command(DETAILS, s, "emergency", T0 + 70_000)
    assert (stop.emergency, stop.signal, stop.paused_remaining_ms) == (True, EMERGENCY, 60_000)
    refused: tuple[Action, ...] = ("pause", "next", "start", "emergency")
    for action in refused:
        with pytest.raises(NotAllowed):
            command(DETAILS, stop, action, T0 + 80_000)
    back = command(DETAILS, stop, "resume", T0 + 200_000)
    assert not back.emergency and back.remaining(T0 + 200_000) == 60_000
    assert back.signal == SHOOT


def test_emergency_between_ends_is_cleared_by_resume() -> None:
    stop = command(DETAILS, State(), "emergency", T0)
    assert stop.emergency and stop.phase == "ready" and stop.paused_remaining_ms is None
    back = command(DETAILS, stop, "resume", T0 + 1_000)
    assert not back.emergency and back.phase == "ready"


@pytest.mark.parametrize(
    ("action", "state"),
    [
        ("pause", State()),
        ("resume", State()),
        ("next", State()),
        ("start", command(DETAILS, State(), "start", T0)),
    ],
)
def test_commands_that_do_not_apply_are_refused(action: str, state: State) -> None:
    with pytest.raises(NotAllowed):
        command(DETAILS, state, action, T0 + 1_000)  # type: ignore[arg-type]


def test_reset_goes_back_before_the_first_end() -> None:
    s = command(DETAILS, State(), "start", T0)
    assert command(DETAILS, s, "reset", T0 + 5) == State(signal_at=T0 + 5)


def test_alternating_passes_the_turn_and_a_lost_arrows_time_too() -> None:
    s = command(MATCH, State(), "start", T0, first_side=1)  # Sam first
    s = settle(MATCH, s, T0 + 10_000)
    shown = view(MATCH, s, T0 + 10_000, SIDES)
    assert (shown["phase"], shown["shooter"], shown["arrow"], shown["signal"]) == (
        "shoot",
        "Sam",
        1,
        SHOOT,
    )
    s = command(MATCH, s, "next", T0 + 15_000)  # Sam shot: Mia's 20 s, no whistle
    assert (s.phase, s.turn, s.signal, s.duration_ms) == ("shoot", 1, 0, 20_000)
    assert view(MATCH, s, T0 + 15_000, SIDES)["shooter"] == "Mia"
    late = settle(MATCH, s, T0 + 35_000)  # Mia's time ran out: Sam's second arrow
    assert (late.turn, late.started_at) == (2, T0 + 35_000)
    assert view(MATCH, late, T0 + 35_000, SIDES)["shooter"] == "Sam"
    done = settle(MATCH, late, T0 + 35_000 + 4 * 20_000)  # six arrows in all
    assert (done.phase, done.signal) == ("collect", END)
    # the next end: the other archer starts, by default
    nxt = settle(MATCH, command(MATCH, done, "start", T0 + 10**6), T0 + 10**6 + 10_000)
    assert view(MATCH, nxt, T0 + 10**6 + 10_000, SIDES)["shooter"] == "Mia"


def test_a_shoot_off_is_one_arrow_each() -> None:
    shoot_off = Plan(
        mode="alternating", details=1, arrows=1, shoot_ms=20_000, walkup_ms=0, warning_ms=5_000
    )
    s = command(shoot_off, State(), "start", T0)
    assert (s.phase, s.signal) == ("shoot", SHOOT)  # no walk-up: straight to one signal
    assert settle(shoot_off, s, T0 + 40_000).phase == "collect"


def test_view_counts_down_from_the_server_time() -> None:
    s = command(DETAILS, State(), "start", T0)
    shown = view(DETAILS, s, T0 + 125_000, SIDES)
    assert shown["phase"] == "shoot"
    assert shown["remaining_ms"] == 5_000 and shown["ends_at"] == T0 + 130_000
    assert shown["warning_ms"] == 30_000 and shown["server_now"] == T0 + 125_000

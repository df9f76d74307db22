"""The range timer's state machine: pure, no I/O, every time in epoch milliseconds.

World Archery timing (Book 3, time control), as a Director of Shooting runs it:

- **Details** (`mode="details"`): each end, every detail shoots in turn. Two signals send a
  detail to the shooting line and start its walk-up (`walkup_ms`, 10 s, red); one signal
  starts its shooting time (`shoot_ms`: 120 s for 3 arrows, 240 s for 6; yellow for the last
  `warning_ms`, 30 s); when it runs out (or the organiser ends it early, `next`: everyone
  has shot) the next detail is called with two signals, and after the last one three signals
  end the end (`collect`: archers go to score). With two details the order alternates by end,
  as the rules have it: AB then CD on odd ends, CD then AB on even ones.
- **Alternating** (`mode="alternating"`, matches by the set system, shoot-offs): the two
  archers (or sides) shoot one arrow each in turn, `shoot_ms` (20 s) per arrow: when an arrow
  is shot the organiser passes the turn (`next`), and an arrow whose time runs out is lost
  and the turn passes by itself. `arrows` each per end (3 in a set, 1 in a shoot-off); the
  end starts with two signals and the walk-up, then one signal; three signals end it.
- Five signals: emergency stop (`emergency`), the clock held wherever it was; `resume` goes
  on with the time that was left. `pause` holds the clock without a signal.

The organisers' commands change the stored `State`; what follows by the clock alone (a
walk-up becoming shooting time, a detail's time running out) is derived from it and the time
(`settle`), identically in every server process, never written.

A running phase is `(phase, started_at, duration_ms, paused_remaining_ms)`: it ends at
`started_at + duration_ms` unless paused. While paused, `paused_remaining_ms` is what is
left; on resume `started_at` becomes `now - (duration_ms - paused_remaining_ms)`, as if the
phase had begun that much earlier and run without a pause, so that `started_at` and
`duration_ms` keep describing the whole phase (a progress bar) and the remaining time is
always `started_at + duration_ms - now`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

Phase = Literal["ready", "walkup", "shoot", "collect"]
Action = Literal["start", "pause", "resume", "next", "emergency", "reset"]
Mode = Literal["details", "alternating"]

RUNNING = ("walkup", "shoot")
# Sound signals (whistles), by what they mean.
TO_THE_LINE = 2
SHOOT = 1
END = 3
EMERGENCY = 5
DETAILS = ("AB", "CD")


class NotAllowed(Exception):
    """The command does not apply to the timer as it is now."""


@dataclass(frozen=True, slots=True)
class Plan:
    """A timer's settings (milliseconds)."""

    mode: Mode
    details: int  # 1 or 2 (AB/CD); 1 for alternating
    arrows: int  # per end (details), per archer per end (alternating)
    shoot_ms: int  # a detail's time (details), an arrow's (alternating)
    walkup_ms: int
    warning_ms: int

    @property
    def turns(self) -> int:
        """Shooting turns in an end: its details, or every arrow of both archers."""
        return self.details if self.mode == "details" else 2 * self.arrows


@dataclass(frozen=True, slots=True)
class State:
    phase: Phase = "ready"
    end_no: int = 0  # the end shot now (or last); 0 before the first
    turn: int = 0  # which detail of the end (details), which arrow of both (alternating)
    first_side: int = 0  # alternating: who shoots first in this end (0: side A, 1: B)
    started_at: int | None = None
    duration_ms: int | None = None  # running phases
    paused_remaining_ms: int | None = None
    emergency: bool = False
    signal: int = 0  # the signal given at `signal_at`
    signal_at: int | None = None

    @property
    def running(self) -> bool:
        return self.phase in RUNNING

    @property
    def paused(self) -> bool:
        return self.paused_remaining_ms is not None

    def ends_at(self) -> int | None:
        """When this phase ends by the clock (None: it does not, now)."""
        if not self.running or self.paused:
            return None
        assert self.started_at is not None and self.duration_ms is not None
        return self.started_at + self.duration_ms

    def remaining(self, now: int) -> int | None:
        """Milliseconds left of a running phase at `now` (None: nothing counts down)."""
        if self.paused_remaining_ms is not None:
            return self.paused_remaining_ms
        ends = self.ends_at()
        return None if ends is None else max(0, ends - now)


def detail_order(end_no: int, details: int) -> tuple[str, ...]:
    """The details' order in an end: AB, CD on odd ends, CD, AB on even ones (none for a
    single detail: everyone shoots together)."""
    if details < 2:
        return ()
    return DETAILS if end_no % 2 == 1 or end_no == 0 else DETAILS[::-1]


def _turn(plan: Plan, state: State, turn: int, at: int, *, walkup: bool) -> State:
    """Turn `turn` of the state's end begins at `at`: with the walk-up (two signals) when
    asked and the plan has one, else straight into shooting time (one signal, or none when
    an alternating turn passes to the other archer)."""
    base = replace(state, turn=turn, started_at=at, paused_remaining_ms=None, emergency=False)
    if walkup and plan.walkup_ms > 0:
        return replace(
            base, phase="walkup", duration_ms=plan.walkup_ms, signal=TO_THE_LINE, signal_at=at
        )
    signal = SHOOT if walkup else 0
    return replace(base, phase="shoot", duration_ms=plan.shoot_ms, signal=signal, signal_at=at)


def _after(plan: Plan, state: State, at: int) -> State:
    """What follows a running phase that ends at `at` (its time ran out, or it was ended)."""
    if state.phase == "walkup":
        return replace(
            state,
            phase="shoot",
            started_at=at,
            duration_ms=plan.shoot_ms,
            paused_remaining_ms=None,
            signal=SHOOT,
            signal_at=at,
        )
    if state.turn + 1 < plan.turns:
        return _turn(plan, state, state.turn + 1, at, walkup=plan.mode == "details")
    return replace(
        state,
        phase="collect",
        started_at=at,
        duration_ms=None,
        paused_remaining_ms=None,
        signal=END,
        signal_at=at,
    )


def settle(plan: Plan, state: State, now: int) -> State:
    """The state at `now`: every phase whose time ran out by then followed by the next."""
    ends = state.ends_at()
    while ends is not None and ends <= now:
        state = _after(plan, state, ends)
        ends = state.ends_at()
    return state


def command(
    plan: Plan, state: State, action: Action, now: int, *, first_side: int | None = None
) -> State:
    """The state after an organiser's command at `now` (NotAllowed: it does not apply)."""
    state = settle(plan, state, now)
    if action == "reset":
        return State(signal_at=now)
    if action == "emergency":
        if state.emergency:
            raise NotAllowed("the timer is already stopped for an emergency")
        return replace(
            state,
            paused_remaining_ms=state.remaining(now),
            emergency=True,
            signal=EMERGENCY,
            signal_at=now,
        )
    if action == "start":
        return _start(plan, state, now, first_side)
    if action == "resume":
        return _resume(state, now)
    if state.emergency:
        raise NotAllowed("the timer is stopped for an emergency: resume it first")
    if not state.running:
        raise NotAllowed(f"nothing is running: the timer is at {state.phase}")
    if action == "pause":
        if state.paused:
            raise NotAllowed("the timer is already paused")
        return replace(state, paused_remaining_ms=state.remaining(now), signal=0, signal_at=now)
    # next: this detail is done (or this archer's arrow is shot)
    return _after(plan, state, now)


def _start(plan: Plan, state: State, now: int, first_side: int | None) -> State:
    if state.emergency:
        raise NotAllowed("the timer is stopped for an emergency: resume it first")
    if state.running:
        raise NotAllowed("an end is running: pass to the next detail, or reset")
    if first_side is None:  # by default the archers take turns to start the end
        first_side = 0 if state.phase == "ready" else 1 - state.first_side
    begun = replace(state, end_no=state.end_no + 1, first_side=first_side)
    return _turn(plan, begun, 0, now, walkup=True)


def _resume(state: State, now: int) -> State:
    if not state.paused and not state.emergency:
        raise NotAllowed("the timer is not paused")
    if not state.running:  # an emergency called between ends: over
        return replace(state, emergency=False, signal=0, signal_at=now)
    assert state.duration_ms is not None and state.paused_remaining_ms is not None
    return replace(
        state,
        started_at=now - (state.duration_ms - state.paused_remaining_ms),
        paused_remaining_ms=None,
        emergency=False,
        signal=TO_THE_LINE if state.phase == "walkup" else SHOOT,
        signal_at=now,
    )


def view(plan: Plan, state: State, now: int, sides: tuple[str, str]) -> dict[str, Any]:
    """The state at `now` as the screens are given it: what they draw, and the times they
    count down from (server time; each screen corrects them by its clock's offset)."""
    state = settle(plan, state, now)
    order = detail_order(state.end_no, plan.details) if plan.mode == "details" else ()
    shooter = (state.first_side + state.turn) % 2 if plan.mode == "alternating" else None
    return {
        "phase": state.phase,
        "end_no": state.end_no,
        "turn": state.turn,
        "turns": plan.turns,
        "order": list(order),
        "detail": order[state.turn] if order and state.end_no else None,
        "next_order": list(detail_order(state.end_no + 1, plan.details))
        if plan.mode == "details" and not state.running
        else [],
        "shooter": None if shooter is None else sides[shooter],
        "first": "ab"[state.first_side] if plan.mode == "alternating" and state.end_no else None,
        "arrow": state.turn // 2 + 1 if plan.mode == "alternating" else None,
        "started_at": state.started_at,
        "duration_ms": state.duration_ms,
        "paused_remaining_ms": state.paused_remaining_ms,
        "ends_at": state.ends_at(),
        "remaining_ms": state.remaining(now),
        "emergency": state.emergency,
        "signal": state.signal,
        "signal_at": state.signal_at,
        "warning_ms": plan.warning_ms,
        "server_now": now,
    }

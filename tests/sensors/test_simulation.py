"""The simulated archer: the same seed gives every process the same shots."""

from __future__ import annotations

import argparse
import statistics

from arch_stats.sensors.commands import reader_config, sensor_arguments
from arch_stats.sensors.simulation import (
    DRAW_S,
    IDENTIFY_TO_ENGAGE_S,
    PICK_S,
    ArcherModel,
    aim_point,
    arrow_index,
    flight_s,
    impact,
    plan,
)

VIEW = (1300.0, 1300.0)


def test_plan_is_the_same_for_the_same_seed_and_differs_otherwise() -> None:
    a, b = ArcherModel(seed=5), ArcherModel(seed=6)
    assert [plan(a, k) for k in range(20)] == [plan(ArcherModel(seed=5), k) for k in range(20)]
    assert [plan(a, k) for k in range(20)] != [plan(b, k) for k in range(20)]


def test_plan_timings_follow_the_spec() -> None:
    for k in range(500):
        p = plan(ArcherModel(), k)
        assert PICK_S[0] <= p.pick_s <= PICK_S[1]
        assert IDENTIFY_TO_ENGAGE_S[0] <= p.engage_after_s <= IDENTIFY_TO_ENGAGE_S[1] <= 1.0
        assert DRAW_S[0] <= p.draw_s <= DRAW_S[1]
    flight = flight_s(ArcherModel(), plan(ArcherModel(), 0), 70.0, odd=False)
    assert 1.1 < flight < 1.25  # about 70 m at 60 m/s


def test_miss_rate_is_about_right() -> None:
    model = ArcherModel(miss_rate=0.2)
    missed = sum(plan(model, k).missed for k in range(2000))
    assert 300 < missed < 500


def test_each_end_uses_every_arrow_once() -> None:
    model = ArcherModel(seed=3)
    for end in range(5):
        picked = [arrow_index(model, end * 6 + i, 6, 6) for i in range(6)]
        assert sorted(picked) == list(range(6))


def test_odd_arrow_groups_off_the_others_and_fatigue_opens_the_group() -> None:
    model = ArcherModel(seed=9, miss_rate=0.0, bias_x_mm=0.0, bias_y_mm=0.0, odd_arrows=1)
    aim = (650.0, 650.0)

    def hits(odd: bool, ks: range) -> list[tuple[float, float]]:
        out = []
        for k in ks:
            xy = impact(model, plan(model, k), aim=aim, distance_m=70, odd=odd, view=VIEW)
            if xy is not None:
                out.append(xy)
        return out

    normal, odd = hits(False, range(300)), hits(True, range(300))
    assert statistics.mean(x for x, _ in odd) - statistics.mean(x for x, _ in normal) > 40
    assert statistics.mean(y for _, y in odd) < statistics.mean(y for _, y in normal) - 30
    assert model.is_odd(5, 6) and not model.is_odd(4, 6) and not model.is_odd(None, 6)
    assert model.sigma(70, 72) > model.sigma(70, 0) * 1.3


def test_landing_outside_the_view_is_a_miss() -> None:
    model = ArcherModel(miss_rate=0.0, spread_mm=5000.0)
    landed = [
        impact(model, plan(model, k), aim=(650, 650), distance_m=70, odd=False, view=VIEW)
        for k in range(50)
    ]
    assert any(xy is None for xy in landed)
    assert all(0 <= xy[0] <= 1300 and 0 <= xy[1] <= 1300 for xy in landed if xy)


def test_triple_spot_aims_at_each_spot_in_turn() -> None:
    spots = {aim_point("wa_40_triple_vertical", 400, 400, seq, 3) for seq in range(3)}
    assert len(spots) == 3


def test_model_command_line_gives_the_same_model() -> None:
    model = ArcherModel(
        seed=11, spread_mm=33.5, bias_x_mm=-4.25, bias_y_mm=7.0, miss_rate=0.1, odd_arrows=2
    )
    parser = argparse.ArgumentParser()
    sensor_arguments(parser)
    args = parser.parse_args(
        ["bow", "--session", "00000000-0000-4000-8000-000000000000", *model.cli_args()]
    )
    assert reader_config(args).model == model

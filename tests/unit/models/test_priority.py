"""Priority: points, the ordering key, and the tie-breaks."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from models.occupations import Occupation
from models.priority import PriorityWeights, base_points, explain, ordering_key, seconds_since_epoch

W = PriorityWeights()


def points(**kw: object) -> int:
    args: dict[str, object] = {
        "welfare_decile": 5,
        "occupation": Occupation.TAILOR,
        "breadwinner": False,
        "dependants": 0,
        "disability": False,
    }
    args.update(kw)
    return sum(base_points(weights=W, **args))  # type: ignore[arg-type]


def test_the_poorest_decile_scores_100_for_poverty_and_the_richest_10() -> None:
    assert base_points(1, Occupation.TAILOR, False, 0, False, W)[0] == 100
    assert base_points(10, Occupation.TAILOR, False, 0, False, W)[0] == 10


def test_an_unknown_decile_ranks_below_every_registered_poor_household() -> None:
    assert points(welfare_decile=None) < points(welfare_decile=5)
    assert points(welfare_decile=None) == points(welfare_decile=6)


def test_fishers_and_construction_workers_rank_above_tailors() -> None:
    assert points(occupation=Occupation.FISHER) > points(occupation=Occupation.TAILOR)
    assert points(occupation=Occupation.CONSTRUCTION_WORKER) > points(occupation=Occupation.TAILOR)


def test_a_breadwinner_scores_for_up_to_four_dependants() -> None:
    assert points(breadwinner=True, dependants=0) == points() + 20
    assert points(breadwinner=True, dependants=4) == points() + 40
    assert points(breadwinner=True, dependants=9) == points() + 40


def test_dependants_of_a_non_breadwinner_do_not_score() -> None:
    assert points(dependants=3) == points()


def test_disability_adds_20() -> None:
    assert points(disability=True) == points() + 20


def test_waiting_two_days_earns_a_point() -> None:
    parts = base_points(5, Occupation.TAILOR, False, 0, False, W)
    now = seconds_since_epoch(datetime(2025, 1, 10, tzinfo=UTC))
    assert explain(parts, now - 2 * 86_400, now, W).waited == 1
    assert explain(parts, now, now, W).waited == 0


def test_the_breakdown_adds_up_to_the_score() -> None:
    parts = base_points(2, Occupation.FISHER, True, 3, True, W)
    p = explain(parts, 0, 10 * 86_400, W)
    assert p.score == p.poverty + p.hazard + p.household + p.disability + p.waited


seconds = st.integers(min_value=1_600_000_000, max_value=1_800_000_000)
bases = st.integers(min_value=0, max_value=250)


@given(a_base=bases, a_at=seconds, b_base=bases, b_at=seconds, now=seconds)
def test_the_key_orders_workers_as_their_aged_score_does_at_any_later_time(
    a_base: int, a_at: int, b_base: int, b_at: int, now: int
) -> None:
    now = max(now, a_at, b_at)
    spp = W.aging_seconds_per_point
    # exact (rational) aged scores, scaled by spp to stay in integers
    aged_a = a_base * spp + (now - a_at)
    aged_b = b_base * spp + (now - b_at)
    key_a, key_b = ordering_key(a_base, a_at, W), ordering_key(b_base, b_at, W)
    assert (key_a > key_b) == (aged_a > aged_b)
    assert (key_a == key_b) == (aged_a == aged_b)


@given(base=bases, at=seconds, later=st.integers(min_value=1, max_value=10_000_000))
def test_with_equal_points_the_earlier_application_goes_first(base: int, at: int, later: int) -> None:
    assert ordering_key(base, at, W) > ordering_key(base, at + later, W)


def test_seconds_since_epoch_is_exact_integer_arithmetic() -> None:
    assert seconds_since_epoch(datetime(2025, 1, 1, tzinfo=UTC)) == 1_735_689_600

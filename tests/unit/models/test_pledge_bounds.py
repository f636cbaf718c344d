"""Plausible upper bounds on a pledge: the city's policy, the engine's rule, the API's early answer.

An outside tester pledged Rp 10^15, the engine accepted it, and the dashboard's
money chart reached Rp 1,200 trillion with the real premiums flattened under
it. ``CityPolicy.max_pledge_idr`` and ``max_pledge_seats`` bound a pledge;
``check_pledge`` enforces them with stable reasons and ``check_pledge_bounds``
is the same rule for the API.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from infra.settings import Settings
from models.eligibility import KENDARI, CityPolicy, PledgeTerms, Rejection, check_pledge, check_pledge_bounds
from models.errors import Reason
from models.events import PledgeAccepted, PledgeRejected
from models.matcher import RegionMatcher
from models.periods import period_index
from models.tariff import BPU_TARIFF, Package
from tests.unit.factories import KEY, REGION, application, pledge

JANUARY = period_index("2025-01")
SEAT = 16_800 * 12


def verdict(policy: CityPolicy = KENDARI, **fields: object) -> PledgeTerms | Rejection:
    return check_pledge(pledge(**fields), policy, BPU_TARIFF, JANUARY)


def test_kendari_s_defaults_cover_the_largest_programme_and_refuse_the_tester_s_pledge() -> None:
    jakarta_target_for_a_year = 2_800_000 * 16_800 * 12  # Rp 564.48 billion, docs/domain.md (Scale)
    assert KENDARI.max_pledge_idr >= jakarta_target_for_a_year
    assert KENDARI.max_pledge_seats >= 2_800_000
    assert KENDARI.max_pledge_idr < 10**15


def test_a_pledge_over_the_amount_bound_is_rejected_with_its_reason() -> None:
    refused = verdict(amount_idr=10**15)
    assert isinstance(refused, Rejection)
    assert refused.reason is Reason.PLEDGE_AMOUNT_ABOVE_LIMIT
    assert "1,000,000,000,000" in refused.message


def test_a_pledge_at_the_amount_bound_is_accepted_when_its_seats_are_capped() -> None:
    terms = verdict(amount_idr=KENDARI.max_pledge_idr, max_workers=1_000)
    assert isinstance(terms, PledgeTerms)
    assert terms.seats == 1_000
    assert terms.remainder_idr == KENDARI.max_pledge_idr - 1_000 * SEAT


def test_a_pledge_buying_more_seats_than_the_bound_is_rejected_unless_capped() -> None:
    amount = (KENDARI.max_pledge_seats + 1) * 16_800
    refused = verdict(amount_idr=amount, months=1)
    assert isinstance(refused, Rejection) and refused.reason is Reason.PLEDGE_SEATS_ABOVE_LIMIT
    assert "max_workers" in refused.message
    capped = verdict(amount_idr=amount, months=1, max_workers=KENDARI.max_pledge_seats)
    assert isinstance(capped, PledgeTerms) and capped.seats == KENDARI.max_pledge_seats


def test_a_worker_cap_over_the_seat_bound_is_rejected() -> None:
    refused = verdict(max_workers=KENDARI.max_pledge_seats + 1)
    assert isinstance(refused, Rejection) and refused.reason is Reason.PLEDGE_MAX_WORKERS_ABOVE_LIMIT


def test_the_matcher_rejects_a_pledge_over_the_bound_and_commits_nothing() -> None:
    m = RegionMatcher(REGION, KEY)
    m.handle(application())
    [rejected] = m.handle(pledge(amount_idr=10**15)).outputs
    assert isinstance(rejected, PledgeRejected)
    assert rejected.reason == "pledge_amount_above_limit"
    assert m.pledge_keys() == [] and m.waiting()


def test_the_bounds_come_from_the_city_s_policy_file(tmp_path: Path) -> None:
    file = tmp_path / "policy.json"
    file.write_text('{"name": "Kota Contoh", "max_pledge_idr": 5000000, "max_pledge_seats": 20}')
    policy = Settings(policy_file=str(file)).city_policy()
    assert (policy.max_pledge_idr, policy.max_pledge_seats) == (5_000_000, 20)

    m = RegionMatcher(REGION, KEY, policy)
    [rejected] = m.handle(pledge(amount_idr=5_000_001)).outputs
    assert isinstance(rejected, PledgeRejected) and rejected.reason == "pledge_amount_above_limit"
    accepted = m.handle(pledge(amount_idr=21 * SEAT - 1)).outputs[0]
    assert isinstance(accepted, PledgeAccepted) and accepted.seats == 20
    [too_many] = m.handle(pledge(amount_idr=22 * 16_800, months=1)).outputs
    assert isinstance(too_many, PledgeRejected) and too_many.reason == "pledge_seats_above_limit"


BOUNDS = (
    Reason.PLEDGE_AMOUNT_ABOVE_LIMIT, Reason.PLEDGE_SEATS_ABOVE_LIMIT, Reason.PLEDGE_MAX_WORKERS_ABOVE_LIMIT
)


@given(
    amount=st.integers(1, 10**16),
    months=st.sampled_from([1, 3, 6, 12, 7]),
    package=st.sampled_from(Package),
    max_workers=st.none() | st.integers(1, 10**8),
    opens=st.integers(0, 3),
    current=st.integers(0, 3),
)
def test_the_api_s_early_check_refuses_exactly_what_the_engine_refuses_for_its_bounds(
    amount: int, months: int, package: Package, max_workers: int | None, opens: int, current: int
) -> None:
    """The API runs ``check_pledge_bounds`` in the month the engine decides in: it never refuses a
    pledge the engine would accept, and lets through none the engine would refuse for a bound."""
    event = pledge(
        amount_idr=amount, months=months, package=package, max_workers=max_workers,
        valid_from=date(2025, 1 + opens, 1), valid_until=date(2025, 12, 31),
    )
    early = check_pledge_bounds(event, KENDARI, BPU_TARIFF, JANUARY + current)
    engine = check_pledge(event, KENDARI, BPU_TARIFF, JANUARY + current)
    if early is not None:
        assert isinstance(engine, Rejection)
        if early.reason is not Reason.PLEDGE_SEATS_ABOVE_LIMIT:  # seats are priced after other rules
            assert engine == early
    elif isinstance(engine, Rejection):
        assert engine.reason not in BOUNDS
    if isinstance(engine, PledgeTerms):
        assert engine.seats <= KENDARI.max_pledge_seats and amount <= KENDARI.max_pledge_idr

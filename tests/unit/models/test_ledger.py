"""Per-pledge money and the dashboard fold."""

from __future__ import annotations

from datetime import date

import pytest

from models.errors import LedgerError
from models.ledger import Dashboard, Ledger, SeriesPoint, fold
from models.matcher import RegionMatcher
from tests.unit.factories import KEY, REGION, application, pledge, tick


def opened(amount: int = 1_000) -> Ledger:
    ledger = Ledger()
    ledger.pledge(amount)
    return ledger


def test_a_new_ledger_has_everything_in_the_remainder() -> None:
    ledger = opened()
    assert (ledger.committed_idr, ledger.remainder_idr, ledger.paid_idr) == (0, 1_000, 0)


def test_committing_moves_money_from_remainder_to_committed() -> None:
    ledger = opened()
    ledger.commit(400)
    assert (ledger.committed_idr, ledger.remainder_idr) == (400, 600)
    assert ledger.committed_idr + ledger.remainder_idr == ledger.pledged_idr


def test_committing_more_than_is_available_is_refused() -> None:
    ledger = opened()
    with pytest.raises(LedgerError, match=r"^ledger_overcommit"):
        ledger.commit(1_001)


def test_paying_more_than_was_committed_is_refused() -> None:
    ledger = opened()
    ledger.commit(100)
    ledger.pay(100)
    with pytest.raises(LedgerError, match=r"^ledger_overpay"):
        ledger.pay(1)


def test_returning_hands_back_the_uncommitted_remainder_and_blocks_commits() -> None:
    ledger = opened()
    ledger.commit(400)
    assert ledger.return_remainder() == 600
    assert (ledger.remainder_idr, ledger.returned_idr, ledger.available_idr) == (600, 600, 0)
    with pytest.raises(LedgerError):
        ledger.commit(1)


def test_a_ledger_opens_once() -> None:
    ledger = opened()
    with pytest.raises(LedgerError):
        ledger.pledge(5)


def test_check_finds_a_broken_invariant() -> None:
    with pytest.raises(LedgerError, match=r"^ledger_invariant"):
        Ledger(pledged_idr=10, committed_idr=5, paid_idr=6).check()


def test_the_dashboard_folds_a_year_of_one_sponsor_into_monthly_levels() -> None:
    m = RegionMatcher(REGION, KEY)
    outputs = []
    for event in [application(), application(), application(), pledge(amount_idr=2 * 201_600)]:
        outputs += m.handle(event).outputs
    for month in range(1, 13):
        outputs += m.handle(tick(f"2025-{month:02d}")).outputs
    series = fold(outputs)
    region_rows = [p for p in series if p.sponsor_id is None]
    sponsor_rows = [p for p in series if p.sponsor_id == "dealer-kendari"]
    assert region_rows[0] == SeriesPoint(
        region=REGION,
        sponsor_id=None,
        period="2025-01",
        pledged_idr=403_200,
        committed_idr=403_200,
        paid_idr=2 * 16_800,
        covered=2,
        waiting=1,
    )
    assert sponsor_rows[-1].period == "2025-12"
    assert (sponsor_rows[-1].paid_idr, sponsor_rows[-1].covered) == (403_200, 0)
    assert region_rows[-1].waiting == 3
    assert [p.period for p in sponsor_rows] == [f"2025-{n:02d}" for n in range(1, 13)]


def test_dashboard_totals_are_the_latest_region_levels_and_restore_carries_them_on() -> None:
    m = RegionMatcher(REGION, KEY)
    opening = [application(), application(), pledge(amount_idr=201_600)]
    first = [o for e in opening for o in m.handle(e).outputs]
    later = [o for e in [application(), tick("2025-01")] for o in m.handle(e).outputs]
    dashboard = Dashboard()
    for event in first:
        dashboard.apply(event)
    resumed = Dashboard(dashboard.levels())
    for event in later:
        dashboard.apply(event)
        resumed.apply(event)

    last = [p for p in fold(first + later) if p.sponsor_id is None][-1]
    expected = last.model_dump(include={"pledged_idr", "committed_idr", "paid_idr", "covered", "waiting"})
    assert {k: v for k, v in dashboard.totals(REGION).items() if k in expected} == expected
    assert resumed.totals(REGION) == dashboard.totals(REGION)
    assert Dashboard().totals(REGION) == {}


def test_the_dashboard_counts_returned_money() -> None:
    m = RegionMatcher(REGION, KEY)
    outputs = m.handle(pledge(amount_idr=201_600 + 5, valid_until=date(2025, 1, 31))).outputs
    outputs += m.handle(tick("2025-01")).outputs
    assert fold(outputs)[-1].returned_idr == 201_605

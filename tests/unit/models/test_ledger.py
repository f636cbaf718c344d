"""Per-pledge money and the dashboard fold."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.errors import LedgerError
from models.ledger import Dashboard, Ledger, SeriesPoint, fold
from models.matcher import RegionMatcher
from tests.unit.factories import KEY, REGION, application, confirm_all, pay_all, pledge, tick


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


def test_billing_more_than_was_committed_is_refused() -> None:
    ledger = opened()
    ledger.commit(100)
    ledger.bill(100)
    with pytest.raises(LedgerError, match=r"^ledger_overbill"):
        ledger.bill(1)


def test_money_moves_committed_billed_due_arrears_paid_written_off_and_every_identity_holds() -> None:
    ledger = opened(1_000)
    ledger.commit(600)
    ledger.bill(300)
    ledger.fall_due(200)
    ledger.pay(150, in_arrears=100)
    ledger.write_off(100)
    ledger.release(200)
    assert (ledger.committed_idr, ledger.billed_idr, ledger.not_yet_billed_idr) == (400, 300, 100)
    assert (ledger.paid_idr, ledger.outstanding_idr, ledger.due_idr, ledger.arrears_idr) == (150, 50, 50, 0)
    assert (ledger.written_off_idr, ledger.remainder_idr) == (100, 600)
    b = ledger.balances(0)
    assert b.pledged_idr == b.committed_idr + b.remainder_idr
    assert b.committed_idr == b.billed_idr + b.not_yet_billed_idr
    assert b.billed_idr == b.paid_idr + b.outstanding_idr + b.written_off_idr
    assert b.outstanding_idr == b.due_idr + b.arrears_idr
    ledger.check()


@pytest.mark.parametrize(
    ("move", "code"),
    [
        (lambda g: g.pay(301, in_arrears=0), "ledger_overpay"),  # more than is outstanding
        (lambda g: g.pay(100, in_arrears=101), "ledger_overpay"),  # more arrears than it pays
        (lambda g: g.pay(250, in_arrears=0), "ledger_overpay"),  # only 200 is due, 100 in arrears
        (lambda g: g.write_off(101), "ledger_overwrite"),  # only arrears are written off
        (lambda g: g.release(301), "ledger_overrelease"),  # billed money is never released
        (lambda g: g.fall_due(201), "ledger_overdue"),
        (lambda g: g.reprice(301), "ledger_overreprice"),  # only money not yet billed goes back
    ],
)
def test_a_move_beyond_its_balance_is_refused(move: Any, code: str) -> None:
    ledger = opened(1_000)
    ledger.commit(600)
    ledger.bill(300)
    ledger.fall_due(100)
    with pytest.raises(LedgerError, match=f"^{code}"):
        move(ledger)
    ledger.check()


def test_a_month_billed_below_its_committed_price_gives_the_difference_back_to_the_remainder() -> None:
    """Two seats committed at 16,800 x 3; a close bills 8,400 + 16,800 (a discount on one line)."""
    ledger = opened(100_800)
    ledger.commit(100_800)
    ledger.bill(25_200)
    ledger.reprice(8_400)
    assert (ledger.committed_idr, ledger.billed_idr, ledger.not_yet_billed_idr) == (92_400, 25_200, 67_200)
    assert (ledger.remainder_idr, ledger.available_idr) == (8_400, 8_400)  # the pledge's again
    ledger.check()


_MOVES = st.lists(st.tuples(
    st.sampled_from(("commit", "bill", "reprice", "release", "fall_due", "pay", "write_off", "return")),
    st.integers(1, 400), st.integers(0, 400)), max_size=40)


@settings(max_examples=300, deadline=None)
@given(_MOVES)
def test_any_sequence_of_moves_keeps_every_identity_and_a_refused_move_changes_nothing(
    moves: list[tuple[str, int, int]],
) -> None:
    ledger = opened(1_000)
    for name, amount, arrears in moves:
        before = replace(ledger)
        try:
            if name == "pay":
                ledger.pay(amount, in_arrears=min(arrears, amount))
            elif name == "return":
                ledger.return_remainder()
            else:
                getattr(ledger, name)(amount)
        except LedgerError:
            assert ledger == before
        ledger.check()
        b = ledger.balances(0)
        assert b.pledged_idr == b.committed_idr + b.remainder_idr
        assert b.committed_idr == b.billed_idr + b.not_yet_billed_idr
        assert b.billed_idr == b.paid_idr + b.outstanding_idr + b.written_off_idr
        assert min(b.not_yet_billed_idr, b.due_idr, b.arrears_idr, b.remainder_idr - b.returned_idr) >= 0


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
        Ledger(pledged_idr=10, committed_idr=5, billed_idr=5, paid_idr=6).check()


def test_the_dashboard_folds_a_year_of_one_sponsor_into_monthly_levels() -> None:
    m = RegionMatcher(REGION, KEY)
    outputs = []
    for event in [application(), application(), application(), pledge(amount_idr=2 * 201_600)]:
        outputs += m.handle(event).outputs
    for event in confirm_all(m):
        outputs += m.handle(event).outputs
    for month in range(1, 13):
        outputs += m.handle(tick(f"2025-{month:02d}")).outputs
        for event in pay_all(m):
            outputs += m.handle(event).outputs
    series = fold(outputs)
    region_rows = [p for p in series if p.sponsor_id is None]
    sponsor_rows = [p for p in series if p.sponsor_id == "dealer-kendari"]
    assert region_rows[0] == SeriesPoint(
        region=REGION,
        sponsor_id=None,
        period="2025-01",
        pledged_idr=403_200,
        committed_idr=403_200,
        billed_idr=2 * 16_800,
        due_idr=2 * 16_800,
        covered=2,
        waiting=1,
    )
    assert region_rows[1].period == "2025-02"
    assert (region_rows[1].paid_idr, region_rows[1].billed_idr, region_rows[1].due_idr) == (
        2 * 16_800, 4 * 16_800, 2 * 16_800)
    # December's bill is paid in January 2026, the month after its close
    assert sponsor_rows[-1].period == "2026-01"
    assert (sponsor_rows[-1].paid_idr, sponsor_rows[-1].due_idr, sponsor_rows[-1].covered) == (403_200, 0, 0)
    assert region_rows[-1].waiting == 3
    assert [p.period for p in sponsor_rows] == [f"2025-{n:02d}" for n in range(1, 13)] + ["2026-01"]


def test_dashboard_totals_are_the_latest_region_levels_and_restore_carries_them_on() -> None:
    m = RegionMatcher(REGION, KEY)
    opening = [application(), application(), pledge(amount_idr=201_600)]
    first = [o for e in opening for o in m.handle(e).outputs]
    first += [o for e in confirm_all(m) for o in m.handle(e).outputs]
    later = [o for e in [application(), tick("2025-01")] for o in m.handle(e).outputs]
    dashboard = Dashboard()
    for event in first:
        dashboard.apply(event)
    resumed = Dashboard(dashboard.levels())
    for event in later:
        dashboard.apply(event)
        resumed.apply(event)

    last = [p for p in fold(first + later) if p.sponsor_id is None][-1]
    expected = last.model_dump(include={"pledged_idr", "committed_idr", "billed_idr", "covered", "waiting"})
    assert {k: v for k, v in dashboard.totals(REGION).items() if k in expected} == expected
    assert resumed.totals(REGION) == dashboard.totals(REGION)
    assert Dashboard().totals(REGION) == {}


def test_the_dashboard_counts_returned_money() -> None:
    m = RegionMatcher(REGION, KEY)
    outputs = m.handle(pledge(amount_idr=201_600 + 5, valid_until=date(2025, 1, 31))).outputs
    outputs += m.handle(tick("2025-01")).outputs
    assert fold(outputs)[-1].returned_idr == 201_605

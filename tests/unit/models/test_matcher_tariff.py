"""Each month billed at the tariff in force for the worker (issue 19), in hand-computed rupiah.

An ojek driver and a tailor share a pledge of two 6-month seats from December 2025, committed at
Rp 16,800 a month each (the undiscounted lowest tier): Rp 201,600. PP 50/2025 halves JKK+JKM
(Rp 8,400 off) for transport workers from January 2026 and for everyone from April to December 2026,
so the months bill: December 16,800 + 16,800; January to March 8,400 (ojek) + 16,800 (tailor);
April and May 8,400 + 8,400. What each month was billed below its committed price goes back to the
pledge's remainder in the same close (``repriced``).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any

from models.eligibility import CityPolicy
from models.events import (
    BillIssued,
    BillLine,
    CoverageCommitted,
    CoverageEnded,
    CoverageLapsed,
    FundingKind,
    FundingMovement,
    PaymentReconciled,
    PledgeExpired,
)
from models.matcher import RegionMatcher
from models.nik import pseudonym
from models.occupations import Occupation
from models.tariff import BPU_TARIFF, TARIFF_FILE, load_tariff
from tests.unit.factories import (
    KEY,
    REGION,
    application,
    confirm_all,
    life_event,
    pay_all,
    payment,
    pledge,
    tick,
)

FULL, HALF = 16_800, 8_400
TRANSPORT, OTHERS = "PP 50/2025, transport", "PP 50/2025, other occupations"
DEC = datetime(2025, 12, 3, 1, 0, tzinfo=UTC)
MONTHS = ("2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05")


def run(m: RegionMatcher, *events: Any) -> list[Any]:
    return [o for e in events for o in m.handle(e).outputs]


def of(kind: type, outputs: list[Any]) -> list[Any]:
    return [o for o in outputs if isinstance(o, kind)]


def moves(outputs: list[Any], kind: FundingKind) -> list[FundingMovement]:
    return [o for o in of(FundingMovement, outputs) if o.kind is kind]


def paid_close(m: RegionMatcher, month: str) -> list[Any]:
    """Close ``month``, then pay every bill exactly."""
    out = run(m, tick(month))
    return out + run(m, *pay_all(m))


def moved_out(worker: str) -> Any:
    """The officer reports, in February 2026, that ``worker`` moved out in January."""
    return life_event(worker, "moved_out", "2026-01", event_time=datetime(2026, 2, 3, tzinfo=UTC),
                      reported_on=date(2026, 2, 3))


def balanced(outputs: list[Any]) -> None:
    """The ledger's identities on every movement (``models.ledger``)."""
    for o in of(FundingMovement, outputs):
        b = o.balances
        assert b.committed_idr + b.remainder_idr == b.pledged_idr
        assert b.committed_idr == b.billed_idr + b.not_yet_billed_idr
        assert b.billed_idr == b.paid_idr + b.outstanding_idr + b.written_off_idr
        assert b.outstanding_idr == b.due_idr + b.arrears_idr
        assert min(b.not_yet_billed_idr, b.due_idr, b.arrears_idr, b.remainder_idr, b.returned_idr) >= 0
        assert b.returned_idr <= b.remainder_idr


def two_workers(policy: CityPolicy | None = None, **tariff: Any) -> tuple[RegionMatcher, str, str]:
    """The ojek driver (activated first: line 1) and the tailor, confirmed in December 2025."""
    m = RegionMatcher(REGION, KEY, policy or CityPolicy(), **tariff)
    ojek = application(serial=1, event_time=DEC, submitted_at=DEC, occupation=Occupation.OJEK_DRIVER)
    tailor = application(serial=2, event_time=DEC, submitted_at=DEC, occupation=Occupation.TAILOR)
    run(m, ojek, tailor, pledge(event_time=DEC, amount_idr=2 * FULL * 6, months=6,
                                valid_from=date(2025, 12, 1), valid_until=date(2026, 12, 31)))
    run(m, *confirm_all(m))
    return m, pseudonym(ojek.nik, KEY), pseudonym(tailor.nik, KEY)


def test_each_month_is_billed_at_the_tariff_in_force_for_the_worker_and_the_rest_goes_back() -> None:
    m, ojek, tailor = two_workers()
    lines: dict[str, list[tuple[str, int, str | None]]] = {}
    out: list[Any] = []
    for month in MONTHS:
        step = paid_close(m, month)
        out += step
        lines[month] = [(o.worker, o.amount_idr, o.discount) for o in of(BillLine, step)]
        [bill] = of(BillIssued, step)
        assert bill.total_idr == sum(amount for _, amount, _ in lines[month])
        [billed] = moves(step, FundingKind.BILLED)
        assert billed.amount_idr == bill.total_idr
        back = 2 * FULL - bill.total_idr
        assert [(r.amount_idr, r.event_id) for r in moves(step, FundingKind.REPRICED)] == (
            [(back, f"funding.repriced:dealer-kendari:{billed.pledge_id}:{month}")] if back else [])
        assert [r.outcome for r in of(PaymentReconciled, step)] == ["exact"]
    assert lines["2025-12"] == [(ojek, FULL, None), (tailor, FULL, None)]
    for month in ("2026-01", "2026-02", "2026-03"):
        assert lines[month] == [(ojek, HALF, TRANSPORT), (tailor, FULL, None)]
    for month in ("2026-04", "2026-05"):
        assert lines[month] == [(ojek, HALF, TRANSPORT), (tailor, HALF, OTHERS)]
    balanced(out)
    last = of(FundingMovement, out)[-1].balances
    billed = 2 * FULL + 3 * (HALF + FULL) + 2 * 2 * HALF  # Rp 142,800
    assert (last.committed_idr, last.billed_idr, last.paid_idr) == (billed, billed, billed)
    assert last.remainder_idr == 2 * FULL * 6 - billed == 3 * HALF + 2 * 2 * HALF  # Rp 58,800 back
    [expired] = of(PledgeExpired, run(m, *(tick(f"2026-{n:02d}") for n in range(6, 13))))
    assert expired.returned_idr == last.remainder_idr  # the remainder goes back at expiry, as ever


def test_with_the_discounts_off_every_month_is_billed_at_its_committed_price() -> None:
    m, _, _ = two_workers(CityPolicy(apply_tariff_discounts=False))
    out = run(m, *(tick(month) for month in MONTHS))
    assert {(o.amount_idr, o.discount) for o in of(BillLine, out)} == {(FULL, None)}
    assert moves(out, FundingKind.REPRICED) == []


def test_a_bill_of_lines_at_different_prices_is_paid_whole_lines_in_line_order() -> None:
    m, _, _ = two_workers()
    paid_close(m, "2025-12")
    run(m, tick("2026-01"))  # January: 8,400 (line 1) + 16,800 (line 2)
    bill = "bill:74.71:dealer-kendari:2026-01"
    [short] = of(PaymentReconciled, run(m, payment(bill, FULL)))
    assert (short.outcome, short.lines_paid, short.applied_idr, short.refund_idr) == ("short", 1, HALF, HALF)
    assert short.outstanding_idr == FULL
    [rest] = of(PaymentReconciled, run(m, payment(bill, FULL)))
    assert (rest.outcome, rest.lines_paid, rest.applied_idr, rest.outstanding_idr) == ("exact", 1, FULL, 0)


def test_arrears_and_a_lapse_take_each_line_at_its_amount_and_release_unbilled_months_at_committed() -> None:
    m, ojek, _ = two_workers()
    paid_close(m, "2025-12")
    run(m, tick("2026-01"))  # January unpaid from here on
    fell = run(m, tick("2026-02"))
    assert [a.amount_idr for a in moves(fell, FundingKind.ARREARS)] == [HALF + FULL]
    run(m, tick("2026-03"), tick("2026-04"))
    lapse = run(m, tick("2026-05"))  # January's line has been unpaid past the 3-month window
    lapsed = {o.worker: o for o in of(CoverageLapsed, lapse)}
    # ojek: January to April billed (8,400 each) and unpaid; May and nothing after: 1 month unbilled
    assert lapsed[ojek].written_off_idr == 4 * HALF
    assert lapsed[ojek].released_idr == 1 * FULL  # an unbilled month is released at the committed price
    balanced([*fell, *lapse])


def test_a_term_ended_early_releases_its_unused_months_at_the_committed_price() -> None:
    m, ojek, _ = two_workers()
    run(m, tick("2025-12"), tick("2026-01"))
    [ended] = of(CoverageEnded, run(m, moved_out(ojek)))
    assert (ended.months_unused, ended.released_idr) == (4, 4 * FULL)


def test_a_restored_matcher_prices_an_ended_term_at_its_own_occupation_after_a_new_application() -> None:
    """The ojek driver's term ends owing January (Rp 8,400); they apply again as a tailor. The ended
    term keeps its occupation in its record: rebuilt from records, the matcher still takes Rp 8,400
    for that line, and emits what the live one emits."""
    m, ojek, _ = two_workers()
    paid_close(m, "2025-12")
    run(m, tick("2026-01"), moved_out(ojek))
    run(m, application(serial=1, occupation=Occupation.TAILOR, event_time=datetime(2026, 2, 2, tzinfo=UTC)))
    snap = m.snapshot()
    [owing] = snap.terms
    assert owing.occupation is Occupation.OJEK_DRIVER
    restored = RegionMatcher.restore(
        REGION, KEY, clock=snap.clock, workers=snap.workers, pledges=snap.pledges, seen=snap.seen,
        terms=snap.terms, bills=snap.bills, payments=snap.payments, refunds=snap.refunds, payers=snap.payers,
    )
    assert restored.snapshot() == snap
    bill = "bill:74.71:dealer-kendari:2026-01"
    rest = [payment(bill, HALF + FULL, payment_id="TX-jan", event_id="pay-jan"), tick("2026-02"),
            tick("2026-03")]
    live = run(m, *rest)
    assert run(restored, *rest) == live
    assert [(o.outcome, o.lines_paid) for o in of(PaymentReconciled, live)] == [("exact", 2)]


def test_a_cheaper_schedule_mid_term_bills_less_and_a_dearer_one_bills_the_committed_price() -> None:
    """A new schedule from March 2026 prices the lowest tier differently: each month is billed at the
    schedule in force, never above the committed price (the README's limitation)."""
    base = BPU_TARIFF.schedules[0].tiers[0]
    for income, expected in ((800_000, 8_000 + 6_800), (2_000_000, FULL)):
        text = _tariff_with_a_2026_schedule(income, base.jkm_idr)
        m, _, tailor = two_workers(CityPolicy(apply_tariff_discounts=False), tariff=load_tariff(text))
        out = [o for month in MONTHS for o in paid_close(m, month)]
        tailors = {o.period: o.amount_idr for o in of(BillLine, out) if o.worker == tailor}
        assert tailors == {"2025-12": FULL, "2026-01": FULL, "2026-02": FULL, "2026-03": expected,
                           "2026-04": expected, "2026-05": expected}
        assert sum(r.amount_idr for r in moves(out, FundingKind.REPRICED)) == 2 * 3 * (FULL - expected)
        balanced(out)


def _tariff_with_a_2026_schedule(income: int, jkm: int) -> str:
    """``bpu-tariff.json`` with one more schedule from 1 March 2026 whose lowest tier is ``income``."""
    data = json.loads((resources.files("models") / "data" / TARIFF_FILE).read_text(encoding="utf-8"))
    data["schedules"].append({
        "effective_from": "2026-03-01", "regulation": "a test schedule",
        "tiers": [{"declared_income_idr": income, "jkk_idr": income // 100, "jkk_sources": [],
                   "jkm_idr": jkm, "jkm_sources": [], "jht_idr": income // 50, "jht_sources": []}],
    })
    return json.dumps(data)


def test_money_a_discount_gives_back_seats_a_waiting_worker_once_it_pays_for_a_full_seat() -> None:
    """Two 12-month seats from December 2025; the tailor moves out in December (11 months, Rp 184,800,
    back to the remainder: not a seat) and a fisher waits. The ojek driver's January and February
    lines give Rp 8,400 back each: at February's close the remainder pays a full seat (Rp 201,600),
    and the fisher takes it after the close's renewals."""
    m = RegionMatcher(REGION, KEY)
    ojek = application(serial=1, event_time=DEC, submitted_at=DEC, occupation=Occupation.OJEK_DRIVER)
    tailor = application(serial=2, event_time=DEC, submitted_at=DEC, occupation=Occupation.TAILOR)
    run(m, ojek, tailor, pledge(event_time=DEC, amount_idr=2 * FULL * 12, months=12,
                                valid_from=date(2025, 12, 1), valid_until=date(2026, 12, 31)))
    run(m, *confirm_all(m))
    gone = life_event(pseudonym(tailor.nik, KEY), "moved_out", "2025-12", event_time=DEC,
                      reported_on=DEC.date())
    [ended] = of(CoverageEnded, run(m, gone))
    assert (ended.months_unused, ended.seat) == (11, "remainder")
    fisher = application(serial=3, event_time=DEC, submitted_at=DEC, occupation=Occupation.FISHER)
    run(m, fisher)
    assert m.status(pseudonym(fisher.nik, KEY)) == "waiting"
    for month in ("2025-12", "2026-01"):
        assert of(CoverageCommitted, paid_close(m, month)) == []
    february = paid_close(m, "2026-02")
    [seat] = of(CoverageCommitted, february)
    assert seat.worker == pseudonym(fisher.nik, KEY)
    assert february.index(seat) > february.index(moves(february, FundingKind.REPRICED)[0])
    balanced(february)

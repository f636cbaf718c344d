"""Registration, bills, reconciliation, arrears, lapse and refunds, path by path, in hand-computed rupiah.

Kendari's sponsored tier is Rp 16,800 a month (JKK+JKM), so a 3-month seat
binds Rp 50,400 and a 6-month one Rp 100,800. Bills for month P are issued at
its close and due on the 15th of P + 1.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from models.events import ApplicationRejected as ApplicationRejectedOut
from models.events import (
    BillIssued,
    BillLine,
    CoverageActivated,
    CoverageCancelled,
    CoverageCommitted,
    CoverageExpired,
    CoverageLapsed,
    CoverageRenewed,
    FundingKind,
    FundingMovement,
    PayerMovement,
    PaymentReconciled,
    PledgeExhausted,
    PledgeReopened,
    RefundClosed,
    RefundOwed,
    RefundRejected,
    RegistrationUnmatched,
)
from models.matcher import RegionMatcher
from models.nik import pseudonym
from models.tariff import Package
from tests.unit.factories import (
    KEY,
    REGION,
    T0,
    application,
    confirm_all,
    confirmed,
    payment,
    pledge,
    registration_rejected,
    settled,
    tick,
)

MONTH = 16_800
BILL_JAN = "bill:74.71:dealer-kendari:2025-01"


def run(m: RegionMatcher, *events: Any) -> list[Any]:
    return [o for e in events for o in m.handle(e).outputs]


def of(kind: type, outputs: list[Any]) -> list[Any]:
    return [o for o in outputs if isinstance(o, kind)]


def movements(outputs: list[Any], kind: FundingKind) -> list[FundingMovement]:
    return [o for o in of(FundingMovement, outputs) if o.kind is kind]


def two_covered(months: int = 3) -> RegionMatcher:
    """Two workers on one pledge of two seats, both confirmed, January closed: one bill of Rp 33,600."""
    m = RegionMatcher(REGION, KEY)
    run(m, application(serial=1), application(serial=2), pledge(amount_idr=2 * MONTH * months, months=months))
    run(m, *confirm_all(m), tick("2025-01"))
    return m


# ---------------------------------------------------------------- registration


def test_a_match_commits_the_seat_and_asks_for_registration_and_a_confirmation_activates_it() -> None:
    m = RegionMatcher(REGION, KEY)
    out = run(m, application(serial=1), pledge(amount_idr=3 * MONTH, months=3))
    [committed] = of(CoverageCommitted, out)
    assert (committed.registration_due_period, committed.payer_id, committed.months) == (
        "2025-02",
        "dealer-kendari",
        3,
    )
    assert m.ledger(m.pledge_keys()[0]).committed_idr == 50_400
    # BPJS says cover started on 20 December: a closed month, so Jaring bills from January
    [activated] = run(
        m, confirmed(committed.coverage_id, membership_number="12345678901", start_date=date(2024, 12, 20))
    )
    assert isinstance(activated, CoverageActivated)
    assert (activated.start_period, activated.end_period, activated.membership_since) == (
        "2025-01",
        "2025-03",
        "2025-01",
    )
    assert (activated.membership_number, activated.start_date, activated.committed_period) == (
        "12345678901",
        date(2024, 12, 20),
        "2025-01",
    )
    assert m.status(activated.worker) == "covered"


def test_a_confirmation_for_no_seat_or_a_seat_no_longer_pending_is_answered_and_its_replay_is_not() -> None:
    m = RegionMatcher(REGION, KEY)
    out = run(m, application(serial=1), pledge(amount_idr=3 * MONTH, months=3))
    [committed] = of(CoverageCommitted, out)
    first = confirmed(committed.coverage_id)
    run(m, first)
    [again] = run(m, confirmed(committed.coverage_id))
    [unknown] = run(m, confirmed("bank-sultra:p9:w_00:1"))
    assert isinstance(again, RegistrationUnmatched) and isinstance(unknown, RegistrationUnmatched)
    assert (again.reason, unknown.reason) == ("registration_not_pending", "registration_unknown")
    assert m.handle(first).outputs == []


def test_a_rejected_registration_frees_the_seat_for_the_next_waiting_worker() -> None:
    m = RegionMatcher(REGION, KEY)
    first, second = application(serial=1, welfare_decile=1), application(serial=2, welfare_decile=4)
    out = run(m, first, second, pledge(amount_idr=3 * MONTH, months=3))
    [committed] = of(CoverageCommitted, out)
    assert committed.worker == pseudonym(first.nik, KEY)
    out = run(m, registration_rejected(committed.coverage_id, reason="NIK tidak ditemukan"))
    [cancelled] = of(CoverageCancelled, out)
    assert (cancelled.reason, cancelled.outcome, cancelled.released_idr) == (
        "registration_rejected",
        "rejected",
        50_400,
    )
    assert "NIK tidak ditemukan" in cancelled.message
    [refill] = of(CoverageCommitted, out)
    assert (refill.worker, refill.was_waiting) == (pseudonym(second.nik, KEY), True)
    assert [m.kind for m in of(FundingMovement, out)] == [FundingKind.RELEASED, FundingKind.COMMITTED]
    assert m.ledger(m.pledge_keys()[0]).committed_idr == 50_400
    # the rejected worker neither waits nor is a duplicate: a new application is a fresh attempt
    assert m.status(cancelled.worker) == "registration_rejected"
    assert m.waiting() == []
    [waiting] = run(m, application(serial=1, welfare_decile=1))
    assert (waiting.type, waiting.worker) == ("application.waiting", cancelled.worker)


def test_a_seat_unconfirmed_at_its_deadline_is_cancelled_refilled_and_its_worker_waits_with_their_key() -> (
    None
):
    m = RegionMatcher(REGION, KEY)
    needy, other = application(serial=1, welfare_decile=1), application(serial=2, welfare_decile=4)
    run(m, needy, other, pledge(amount_idr=3 * MONTH, months=3))
    worker = pseudonym(needy.nik, KEY)
    key = m.worker_record(worker).key
    assert of(CoverageCancelled, run(m, tick("2025-01"))) == []  # due at the close of February
    out = run(m, tick("2025-02"))
    [cancelled] = of(CoverageCancelled, out)
    assert (cancelled.worker, cancelled.reason, cancelled.outcome) == (
        worker,
        "registration_expired",
        "waiting",
    )
    [refill] = of(CoverageCommitted, out)
    assert (refill.worker, refill.registration_due_period) == (pseudonym(other.nik, KEY), "2025-04")
    assert m.waiting() == [worker]
    assert m.worker_record(worker).key == key


def test_an_exhausted_pledge_whose_seat_nobody_takes_reopens_and_exhausts_again() -> None:
    m = RegionMatcher(REGION, KEY)
    out = run(m, application(serial=1), pledge(pledge_id="p1", amount_idr=3 * MONTH, months=3))
    [committed] = of(CoverageCommitted, out)
    assert [e.event_id for e in of(PledgeExhausted, out)] == ["pledge.exhausted:dealer-kendari:p1"]
    [_, _, reopened] = run(m, registration_rejected(committed.coverage_id))
    assert isinstance(reopened, PledgeReopened)
    assert (reopened.event_id, reopened.seats_filled) == ("pledge.reopened:dealer-kendari:p1:1", 0)
    out = run(m, application(serial=2))
    assert [e.event_id for e in of(PledgeExhausted, out)] == ["pledge.exhausted:dealer-kendari:p1:1"]


# ---------------------------------------------------------------- bills


def test_a_close_bills_each_active_term_one_line_on_its_payer_s_bill() -> None:
    m = RegionMatcher(REGION, KEY)
    run(m, application(serial=1), application(serial=2), pledge(amount_idr=2 * 3 * MONTH, months=3))
    run(m, confirmed(m.committed()[0]))  # the other seat is still registering: not billed
    out = run(m, tick("2025-01"))
    [line] = of(BillLine, out)
    [bill] = of(BillIssued, out)
    assert (line.bill_id, line.line_no, line.amount_idr, line.months) == (BILL_JAN, 1, MONTH, 1)
    assert (bill.bill_id, bill.lines, bill.total_idr, bill.due_date) == (
        BILL_JAN,
        1,
        MONTH,
        date(2025, 2, 15),
    )
    [billed] = movements(out, FundingKind.BILLED)
    assert (billed.amount_idr, billed.balances.billed_idr, billed.balances.not_yet_billed_idr) == (
        MONTH,
        MONTH,
        2 * 50_400 - MONTH,
    )


def test_a_payer_without_an_active_term_gets_no_bill() -> None:
    m = RegionMatcher(REGION, KEY)
    run(m, application(serial=1), pledge(amount_idr=3 * MONTH, months=3))
    assert of(BillIssued, run(m, tick("2025-01"))) == []


# ---------------------------------------------------------------- reconciliation


def test_an_exact_payment_pays_every_line() -> None:
    m = two_covered()
    out = run(m, payment(BILL_JAN, 33_600, payment_id="TX-1"))
    [answer] = of(PaymentReconciled, out)
    assert (answer.outcome, answer.reason, answer.applied_idr, answer.refund_idr) == (
        "exact",
        "payment_exact",
        33_600,
        0,
    )
    assert (answer.lines_paid, answer.lines_outstanding, answer.outstanding_idr) == (2, 0, 0)
    [paid] = movements(out, FundingKind.PAID)
    assert (paid.event_id, paid.amount_idr) == (f"funding.paid:{m.pledge_keys()[0]}:TX-1", 33_600)
    assert (paid.balances.paid_idr, paid.balances.due_idr, paid.balances.outstanding_idr) == (33_600, 0, 0)
    [account] = of(PayerMovement, out)
    assert (
        account.balances.received_idr,
        account.balances.applied_idr,
        account.balances.refunds_owed_idr,
    ) == (33_600, 33_600, 0)
    assert of(RefundOwed, out) == []


def test_a_short_payment_pays_whole_lines_in_bill_order_and_owes_back_the_rest() -> None:
    m = two_covered()
    out = run(m, payment(BILL_JAN, 20_000, payment_id="TX-1"))
    [answer] = of(PaymentReconciled, out)
    assert (answer.outcome, answer.applied_idr, answer.refund_idr, answer.lines_paid) == (
        "short",
        16_800,
        3_200,
        1,
    )
    assert (answer.lines_outstanding, answer.outstanding_idr) == (1, 16_800)
    [refund] = of(RefundOwed, out)
    assert (refund.refund_id, refund.cause, refund.amount_idr) == (
        "refund:74.71:dealer-kendari:TX-1",
        "short_remainder",
        3_200,
    )
    first_line = m.snapshot().workers  # line 1 is the first activated term
    paid = [w for w in first_line if w.coverage is not None and not w.coverage.unpaid_periods]
    assert len(paid) == 1
    # the rest, paid later, is exact
    [rest] = of(PaymentReconciled, run(m, payment(BILL_JAN, 16_800, payment_id="TX-2")))
    assert (rest.outcome, rest.lines_paid, rest.outstanding_idr) == ("exact", 1, 0)


def test_an_overpayment_pays_every_line_and_owes_back_the_excess_and_a_paid_bill_is_all_excess() -> None:
    m = two_covered()
    [answer] = of(PaymentReconciled, out := run(m, payment(BILL_JAN, 40_000, payment_id="TX-1")))
    assert (answer.outcome, answer.applied_idr, answer.refund_idr, answer.lines_paid) == (
        "over",
        33_600,
        6_400,
        2,
    )
    assert [(r.cause, r.amount_idr) for r in of(RefundOwed, out)] == [("overpayment", 6_400)]
    [again] = of(PaymentReconciled, run(m, payment(BILL_JAN, 16_800, payment_id="TX-2")))
    assert (again.outcome, again.applied_idr, again.refund_idr) == ("over", 0, 16_800)
    account = m.payer("dealer-kendari")
    assert account is not None
    assert (account.received_idr, account.applied_idr, account.refunds_owed_idr) == (56_800, 33_600, 23_200)


def test_a_payment_for_no_bill_or_another_payer_s_bill_is_an_unknown_reference_owed_back_whole() -> None:
    m = two_covered()
    [nobill] = of(PaymentReconciled, run(m, payment("bill:74.71:dealer-kendari:2024-12", 10_000)))
    [theirs] = of(PaymentReconciled, run(m, payment(BILL_JAN, 33_600, payer_id="bank-sultra")))
    assert (nobill.outcome, nobill.reason, nobill.refund_idr) == ("unknown_reference", "bill_unknown", 10_000)
    assert (theirs.outcome, theirs.reason, theirs.refund_idr) == (
        "unknown_reference",
        "bill_of_another_payer",
        33_600,
    )
    assert m.ledger(m.pledge_keys()[0]).paid_idr == 0
    bank = m.payer("bank-sultra")
    assert bank is not None and (bank.received_idr, bank.applied_idr, bank.refunds_owed_idr) == (
        33_600,
        0,
        33_600,
    )


def test_the_same_transaction_reported_twice_is_a_duplicate_and_its_replay_is_nothing() -> None:
    m = two_covered()
    first = payment(BILL_JAN, 33_600, payment_id="TX-1")
    run(m, first)
    out = run(m, payment(BILL_JAN, 33_600, payment_id="TX-1"))
    [answer] = out
    assert isinstance(answer, PaymentReconciled)
    assert (answer.outcome, answer.reason, answer.applied_idr, answer.refund_idr) == (
        "duplicate",
        "payment_duplicate",
        0,
        0,
    )
    account = m.payer("dealer-kendari")
    assert account is not None and account.received_idr == 33_600  # a duplicate is not received
    assert m.handle(first).outputs == []


# ---------------------------------------------------------------- arrears and lapse


def test_an_unpaid_line_falls_into_arrears_at_the_next_close_and_is_paid_from_there() -> None:
    m = two_covered()
    out = run(m, tick("2025-02"))
    [arrears] = movements(out, FundingKind.ARREARS)
    # arrears move before February is billed: nothing is due at that point
    assert (arrears.amount_idr, arrears.balances.arrears_idr, arrears.balances.due_idr) == (33_600, 33_600, 0)
    out = run(m, payment(BILL_JAN, 33_600, payment_id="TX-late"))
    [paid] = movements(out, FundingKind.PAID)
    assert (paid.balances.arrears_idr, paid.balances.due_idr, paid.balances.paid_idr) == (0, 33_600, 33_600)


def test_a_term_lapses_at_the_close_of_its_oldest_unpaid_month_plus_four() -> None:
    """6 months from January, never paid: lines for January to April are unpaid at the close of May."""
    m = RegionMatcher(REGION, KEY)
    app = application(serial=1)
    run(m, app, pledge(amount_idr=6 * MONTH, months=6))
    worker = pseudonym(app.nik, KEY)
    key = m.worker_record(worker).key
    run(m, *confirm_all(m))
    out = run(m, *(tick(f"2025-{n:02d}") for n in range(1, 5)))
    assert of(CoverageLapsed, out) == []
    assert len(movements(out, FundingKind.ARREARS)) == 3  # February, March, April closes
    out = run(m, tick("2025-05"))
    [lapsed] = of(CoverageLapsed, out)
    assert (lapsed.unpaid_months, lapsed.written_off_idr, lapsed.released_idr, lapsed.last_paid_period) == (
        4,
        4 * MONTH,
        2 * MONTH,
        None,
    )
    assert of(BillLine, out) == []  # no line for May
    [written] = movements(out, FundingKind.WRITTEN_OFF)
    b = written.balances
    assert (b.billed_idr, b.written_off_idr, b.arrears_idr, b.paid_idr) == (4 * MONTH, 4 * MONTH, 0, 0)
    ledger = m.ledger(m.pledge_keys()[0])
    assert (ledger.committed_idr, ledger.remainder_idr) == (4 * MONTH, 2 * MONTH)
    # the seat is freed, the worker waits with their original key, and their benefit clocks reset
    assert m.waiting() == [worker]
    record = m.worker_record(worker)
    assert (record.key, record.membership_since, record.last_end_period) == (key, None, None)
    bill = m.bill("bill:74.71:dealer-kendari:2025-01")
    assert bill is not None and (bill.written_off_idr, bill.outstanding_idr) == (MONTH, 0)
    # money for a written-off line is excess
    [late] = of(PaymentReconciled, run(m, payment("bill:74.71:dealer-kendari:2025-01", MONTH)))
    assert (late.outcome, late.applied_idr, late.refund_idr) == ("over", 0, MONTH)


def test_arrears_paid_in_time_keep_the_term() -> None:
    m = RegionMatcher(REGION, KEY)
    run(m, application(serial=1), pledge(amount_idr=6 * MONTH, months=6))
    run(m, *confirm_all(m), *(tick(f"2025-{n:02d}") for n in range(1, 5)))
    for n in range(1, 5):
        run(m, payment(f"bill:74.71:dealer-kendari:2025-{n:02d}", MONTH))
    out = run(m, tick("2025-05"))
    assert of(CoverageLapsed, out) == [] and len(of(BillLine, out)) == 1
    assert m.ledger(m.pledge_keys()[0]).arrears_idr == 0


def test_an_ended_term_s_unpaid_line_is_written_off_after_the_window_without_a_lapse() -> None:
    m = RegionMatcher(REGION, KEY)
    run(m, application(serial=1), pledge(amount_idr=MONTH, months=1))
    run(m, *confirm_all(m))
    out = run(m, tick("2025-01"))
    assert len(of(CoverageExpired, out)) == 1
    out = run(m, *(tick(f"2025-{n:02d}") for n in range(2, 6)))
    assert of(CoverageLapsed, out) == []
    [written] = movements(out, FundingKind.WRITTEN_OFF)
    assert (written.period, written.amount_idr) == ("2025-05", MONTH)
    assert m.snapshot().terms == ()


# ---------------------------------------------------------------- renewals and refunds


def test_a_renewal_is_active_at_once_with_the_same_membership_number() -> None:
    m = RegionMatcher(REGION, KEY)
    run(m, application(serial=1), pledge(pledge_id="jan", amount_idr=MONTH, months=1))
    [activated] = run(m, confirmed(m.committed()[0], membership_number="55501234"))
    run(m, pledge(pledge_id="feb", amount_idr=MONTH, months=1, valid_from=date(2025, 2, 1)))
    out = run(m, tick("2025-01"))
    [renewed] = of(CoverageRenewed, out)
    assert (renewed.membership_number, renewed.start_period, renewed.membership_since) == (
        "55501234",
        "2025-02",
        "2025-01",
    )
    assert m.committed() == [] and m.status(activated.worker) == "covered"


def test_a_refund_owed_is_settled_in_parts_and_never_beyond_what_is_owed() -> None:
    m = two_covered()
    run(m, payment(BILL_JAN, 36_800, payment_id="TX-1"))
    refund = "refund:74.71:dealer-kendari:TX-1"
    [part, account] = run(m, settled(refund, 1_000))
    assert isinstance(part, RefundClosed) and isinstance(account, PayerMovement)
    assert (part.amount_idr, part.refunded_idr, part.remaining_idr) == (1_000, 1_000, 2_200)
    [too_much] = run(m, settled(refund, 2_201))
    [unknown] = run(m, settled("refund:74.71:dealer-kendari:TX-9", 1))
    assert isinstance(too_much, RefundRejected) and isinstance(unknown, RefundRejected)
    assert (too_much.reason, unknown.reason) == ("refund_over_owed", "refund_unknown")
    [rest, _] = run(m, settled(refund, 2_200, event_time=T0))
    assert rest.remaining_idr == 0
    payer = m.payer("dealer-kendari")
    assert payer is not None and (payer.refunds_owed_idr, payer.refunded_idr) == (3_200, 3_200)


def test_a_short_payment_stops_at_the_first_line_it_cannot_pay_whole() -> None:
    """Line 1 costs Rp 36,800 (with JHT), line 2 Rp 16,800: Rp 20,000 pays neither, though it could pay
    line 2 alone; bill order decides, and the whole amount is owed back."""
    m = RegionMatcher(REGION, KEY)
    run(
        m,
        application(serial=1),
        pledge(pledge_id="jht", package=Package.JKK_JKM_JHT, amount_idr=3 * 36_800, months=3),
    )
    run(m, *confirm_all(m), application(serial=2), pledge(pledge_id="basic", amount_idr=3 * MONTH, months=3))
    run(m, *confirm_all(m))
    lines = of(BillLine, run(m, tick("2025-01")))
    assert [(line.line_no, line.amount_idr) for line in lines] == [(1, 36_800), (2, MONTH)]
    [answer] = of(PaymentReconciled, run(m, payment(BILL_JAN, 20_000)))
    assert (answer.outcome, answer.lines_paid, answer.applied_idr, answer.refund_idr) == (
        "short",
        0,
        0,
        20_000,
    )
    assert answer.outstanding_idr == 36_800 + MONTH


# ---------------------------------------------------------------- what a close and a payment write


def test_a_close_and_a_payment_rewrite_no_active_term_and_a_restart_derives_them() -> None:
    """A close bills every active term and a payment pays lines, yet neither names a worker
    changed: a region of a million covered workers must not rewrite a million records a month.
    Rebuilt from what the steps did write, the terms' billed and unpaid months are the live ones."""
    m = RegionMatcher(REGION, KEY)
    run(m, *(application(serial=n) for n in range(1, 6)), pledge(amount_idr=5 * MONTH * 6, months=6))
    run(m, *confirm_all(m))
    written: dict[str, Any] = {}

    def keep(step: Any) -> Any:
        for w in step.workers:
            written[f"w|{w}"] = m.worker_record(w)
        for b in step.bills:
            written[f"b|{b}"] = m.bill_record(b)
        for p in step.pledges:
            written[f"p|{p}"] = m.pledge_record(p)
        return step

    snap = m.snapshot()
    written.update({f"w|{r.worker}": r for r in snap.workers})
    written.update({f"p|{r.pledge_id}": r for r in snap.pledges})
    close = keep(m.handle(tick("2025-01")))
    assert close.workers == () and len(close.bills) == 1
    short = keep(m.handle(payment(BILL_JAN, 2 * MONTH, payment_id="TX-1")))  # lines 1 and 2 of 5
    assert short.workers == () and short.bills == (BILL_JAN,)
    keep(m.handle(tick("2025-02")))
    rebuilt = RegionMatcher.restore(
        REGION, KEY, clock=m.clock_record(),
        workers=[v for k, v in written.items() if k.startswith("w|")],
        pledges=[v for k, v in written.items() if k.startswith("p|")],
        seen=snap.seen, bills=[v for k, v in written.items() if k.startswith("b|")],
    )
    live = {w.worker: w.coverage for w in m.snapshot().workers}
    assert {w.worker: w.coverage for w in rebuilt.snapshot().workers} == live
    unpaid = sorted(len(c.unpaid_periods) for c in live.values() if c is not None)
    assert unpaid == [1, 1, 2, 2, 2]  # February for all; January for the three not paid


def test_markers_past_the_window_are_dropped_and_a_late_replay_is_answered_as_documented() -> None:
    """Handled-input markers must not grow with the region's history (a million covered workers:
    a million registration answers). Within ``replay_window_closes`` a replay emits nothing; past
    it, a rejection is re-emitted with its original id, an answer is not pending, and an applied
    settlement, remembered on its refund, still settles nothing."""
    m = RegionMatcher(REGION, KEY)
    rejected = application(serial=9, welfare_decile=9)  # above the decile limit
    run(m, application(serial=1), pledge(amount_idr=MONTH * 12, months=12))
    answers = confirm_all(m)
    [first] = of(ApplicationRejectedOut, run(m, rejected, *answers))
    run(m, tick("2025-01"), payment(BILL_JAN, MONTH + 500, payment_id="TX-over"))
    settle = settled("refund:74.71:dealer-kendari:TX-over", 200)
    assert of(RefundClosed, run(m, settle))
    window = m.policy.replay_window_closes
    for n in range(2, window):  # closes 2 .. window - 1: still inside the window, every replay is nothing
        run(m, tick(f"2025-{n:02d}"))
        assert run(m, rejected, *answers, settle) == []
    assert len(m.snapshot().seen) == 2  # the rejection and the answer
    step = m.handle(tick(f"2025-{window:02d}"))  # the window-th close since they were handled
    assert sorted(step.forgotten) == sorted([rejected.event_id, answers[0].event_id])
    assert m.snapshot().seen == ()
    [again] = of(ApplicationRejectedOut, run(m, rejected))
    assert again.event_id == first.event_id  # the same rejection: consumers drop it
    [late] = of(RegistrationUnmatched, run(m, *answers))
    assert late.reason == "registration_not_pending"
    assert run(m, settle) == []
    assert m.refund("refund:74.71:dealer-kendari:TX-over").refunded_idr == 200

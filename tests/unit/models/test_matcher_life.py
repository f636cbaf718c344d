"""Life events, path by path, in hand-computed rupiah (``models.matcher.exits`` has the rules).

Kendari's sponsored tier is Rp 16,800 a month (JKK+JKM); a 12-month seat binds
Rp 201,600. The region's first month is January 2025 (the factories' T0).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from models.errors import Reason
from models.events import (
    ApplicationRejected,
    BillLine,
    CoverageCommitted,
    CoverageEnded,
    CoverageExpired,
    CoverageLapsed,
    CoverageRenewed,
    FundingKind,
    FundingMovement,
    LifeEventRecorded,
    LifeEventRejected,
    PledgeReopened,
)
from models.ledger import Dashboard
from models.matcher import RegionMatcher
from models.nik import pseudonym
from tests.unit.factories import (
    KEY,
    REGION,
    T0,
    application,
    confirm_all,
    life_event,
    pay_all,
    pledge,
    tick,
)

MONTH = 16_800


def run(m: RegionMatcher, *events: Any) -> list[Any]:
    return [o for e in events for o in m.handle(e).outputs]


def of(kind: type, outputs: list[Any]) -> list[Any]:
    return [o for o in outputs if isinstance(o, kind)]


def worker_of(app: Any) -> str:
    return pseudonym(app.nik, KEY)


def covered_region(seats: int = 1, months: int = 12, waiting: int = 1, **pledge_args: Any) -> tuple[
        RegionMatcher, list[str], list[str]]:
    """A region with ``seats`` covered workers (confirmed in January) and ``waiting`` more waiting."""
    m = RegionMatcher(REGION, KEY)
    covered = [application(serial=100 + n, welfare_decile=1) for n in range(seats)]
    later = [application(serial=200 + n, welfare_decile=4,
                         submitted_at=T0 + timedelta(minutes=n + 1)) for n in range(waiting)]
    run(m, *covered, pledge(amount_idr=seats * months * MONTH, months=months, **pledge_args), *later)
    run(m, *confirm_all(m))
    return m, [worker_of(a) for a in covered], [worker_of(a) for a in later]


def test_a_waiting_worker_who_moved_out_leaves_the_list_and_no_pledge_takes_them() -> None:
    m = RegionMatcher(REGION, KEY)
    app = application()
    run(m, app)
    w = worker_of(app)
    out = run(m, life_event(w, "moved_out", "2025-01"))
    [recorded] = of(LifeEventRecorded, out)
    assert (recorded.status, recorded.outcome, recorded.claim) == ("waiting", "withdrawn", False)
    assert m.waiting() == [] and m.status(w) == "exited" and m.waiting_count() == 0
    assert not of(CoverageCommitted, run(m, pledge()))
    # moved back and applied again: a fresh attempt, waiting (the pledge above took nobody, so it is open)
    again = application(nik=app.nik, application_id="app-again", event_id="evt-again")
    assert of(CoverageCommitted, run(m, again))[0].worker == w


def test_a_deceased_worker_may_not_apply_again() -> None:
    m = RegionMatcher(REGION, KEY)
    app = application()
    run(m, app, life_event(worker_of(app), "deceased", "2025-01"))
    again = application(nik=app.nik, application_id="app-again", event_id="evt-again")
    [rejected] = of(ApplicationRejected, run(m, again))
    assert rejected.reason == Reason.DUPLICATE_WORKER


def test_a_death_in_a_closed_month_ends_the_term_now_and_the_next_worker_takes_its_months() -> None:
    m, [dead], [heir] = covered_region()
    run(m, tick("2025-01"), tick("2025-02"), tick("2025-03"))  # three months billed
    key = m.pledge_keys()[0]
    before = m.ledger(key)
    committed, billed = before.committed_idr, before.billed_idr
    out = run(m, life_event(dead, "deceased", "2025-02"))
    [recorded] = of(LifeEventRecorded, out)
    assert (recorded.status, recorded.outcome, recorded.claim) == ("covered", "term_ended", True)
    [ended] = of(CoverageEnded, out)
    # billed through March stays billed (later than the reported February); nine months unused
    assert (ended.end_period, ended.months_covered, ended.months_unused) == ("2025-03", 3, 9)
    assert (ended.released_idr, ended.seat, ended.returned_idr) == (9 * MONTH, "refilled", 0)
    [seat] = of(CoverageCommitted, out)
    assert (seat.worker, seat.months, seat.was_waiting, seat.coverage_id) == (
        heir, 9, True, ended.refill_coverage_id)
    [released, commit] = of(FundingMovement, out)
    assert (released.kind, released.amount_idr) == (FundingKind.RELEASED, 9 * MONTH)
    assert (commit.kind, commit.amount_idr) == (FundingKind.COMMITTED, 9 * MONTH)
    after = m.ledger(key)
    assert (after.committed_idr, after.billed_idr, after.remainder_idr) == (committed, billed, 0)
    assert m.status(dead) == "exited" and m.covered() == [] and m.waiting() == []
    # the dead worker's months stay payable; nothing more is billed for them
    lines = of(BillLine, run(m, tick("2025-04")))
    assert [line.worker for line in lines] == []  # the heir is registering, not covered yet


def test_a_short_remainder_stays_with_the_pledge_and_nobody_takes_it() -> None:
    m, [left], [waiting] = covered_region(months=3)
    run(m, tick("2025-01"))  # one month billed, two unused: fewer than refill_min_months (3)
    key = m.pledge_keys()[0]
    out = run(m, life_event(left, "employer_covered", "2025-01"))
    [ended] = of(CoverageEnded, out)
    assert (ended.months_covered, ended.months_unused, ended.seat) == (1, 2, "remainder")
    assert ended.refill_coverage_id is None and not of(CoverageCommitted, out)
    assert m.ledger(key).remainder_idr == 2 * MONTH
    assert m.waiting() == [waiting]


def test_a_report_in_the_current_month_keeps_its_cover_until_the_close_then_it_ends_without_renewal() -> None:
    m, [moving], [_] = covered_region(months=1, waiting=1)
    out = run(m, life_event(moving, "left_programme", "2025-01"))
    [ended] = of(CoverageEnded, out)
    assert (ended.end_period, ended.months_covered, ended.months_unused, ended.seat) == (
        "2025-01", 1, 0, "used")
    assert m.status(moving) == "covered"  # January is still covered
    second = pledge(pledge_id="renewals")  # would renew anybody expiring
    run(m, second)
    closed = run(m, tick("2025-01"))
    assert [line.worker for line in of(BillLine, closed)] == [moving]  # its last month is billed
    assert not of(CoverageExpired, closed) and not of(CoverageRenewed, closed)
    assert m.status(moving) == "exited"


def test_an_early_end_of_an_expired_pledges_term_returns_the_money_at_once() -> None:
    m, [dead], _ = covered_region(valid_until=date(2025, 1, 31))
    run(m, tick("2025-01"))  # the pledge expired at this close; the term runs on
    key = m.pledge_keys()[0]
    out = run(m, life_event(dead, "deceased", "2025-02"))
    [ended] = of(CoverageEnded, out)
    assert (ended.end_period, ended.months_unused, ended.seat, ended.returned_idr) == (
        "2025-02", 10, "returned", 10 * MONTH)
    kinds = [(f.kind, f.amount_idr) for f in of(FundingMovement, out)]
    assert kinds == [(FundingKind.RELEASED, 10 * MONTH), (FundingKind.RETURNED, 10 * MONTH)]
    assert m.ledger(key).returned_idr == 10 * MONTH
    m.ledger(key).check()


def test_a_seat_awaiting_registration_is_given_up_and_passed_on_whole() -> None:
    m = RegionMatcher(REGION, KEY)
    first, second = application(serial=1, welfare_decile=1), application(serial=2, welfare_decile=4)
    run(m, first, pledge(amount_idr=12 * MONTH), second)
    out = run(m, life_event(worker_of(first), "moved_out", "2025-01"))
    [recorded] = of(LifeEventRecorded, out)
    assert (recorded.status, recorded.outcome) == ("committed", "withdrawn")
    [ended] = of(CoverageEnded, out)
    assert (ended.end_period, ended.months_covered, ended.months_unused) == (None, 0, 12)
    assert ended.seat == "refilled"
    [seat] = of(CoverageCommitted, out)
    assert (seat.worker, seat.months) == (worker_of(second), 12)
    assert m.committed() == [seat.coverage_id]


def test_an_exhausted_pledge_whose_seat_nobody_takes_reopens() -> None:
    m, [dead], _ = covered_region(waiting=0)
    out = run(m, life_event(dead, "deceased", "2025-01"))
    [ended] = of(CoverageEnded, out)
    assert (ended.months_unused, ended.seat) == (11, "remainder")
    assert not of(PledgeReopened, out)  # 11 months do not buy a 12-month seat


def test_an_accident_claim_is_counted_and_ends_nothing() -> None:
    m, [hurt], _ = covered_region()
    out = run(m, life_event(hurt, "accident_claim", "2025-01"))
    [recorded] = of(LifeEventRecorded, out)
    assert (recorded.outcome, recorded.claim, recorded.kind) == ("claim_counted", True, "accident_claim")
    assert len(out) == 1 and m.status(hurt) == "covered"


def test_reports_the_engine_cannot_apply_are_rejected_with_a_reason() -> None:
    m, [w], [waiting] = covered_region()
    unknown = run(m, life_event(None, "moved_out", "2025-01", application_id="app-nobody"))
    ahead = run(m, life_event(w, "moved_out", "2025-02"))
    run(m, life_event(waiting, "left_programme", "2025-01"))
    again = run(m, life_event(waiting, "deceased", "2025-01"))
    reasons = [o.reason for o in of(LifeEventRejected, [*unknown, *ahead, *again])]
    assert reasons == [Reason.WORKER_UNKNOWN, Reason.LIFE_EVENT_PERIOD_AHEAD, Reason.WORKER_EXITED]
    assert m.status(w) == "covered"


def test_a_worker_is_found_by_application_id_and_a_replay_does_nothing_however_late() -> None:
    m = RegionMatcher(REGION, KEY)
    app = application()
    run(m, app)
    event = life_event(None, "moved_out", "2025-01", application_id=app.application_id)
    assert of(LifeEventRecorded, run(m, event))[0].worker == worker_of(app)
    assert run(m, event) == []
    run(m, *(tick(f"2025-{n:02d}") for n in range(1, 10)))  # past the seen markers' window
    assert run(m, event) == []


def test_a_restored_matcher_keeps_every_life_event() -> None:
    m, [dead], [heir, _] = covered_region(waiting=2)
    run(m, tick("2025-01"), life_event(dead, "deceased", "2025-01"), life_event(heir, "accident_claim",
                                                                                    "2025-02"))
    snap = m.snapshot()
    restored = RegionMatcher.restore(
        REGION, KEY, clock=snap.clock, workers=snap.workers, pledges=snap.pledges, seen=snap.seen,
        terms=snap.terms, bills=snap.bills, payments=snap.payments, refunds=snap.refunds, payers=snap.payers,
    )
    assert restored.snapshot() == snap
    rest = [*pay_all(m), tick("2025-02"), application(serial=999)]
    assert run(restored, *rest) == run(m, *rest)


def test_a_worker_record_untouched_by_life_events_is_written_as_before() -> None:
    m = RegionMatcher(REGION, KEY)
    app = application()
    run(m, app)
    w = worker_of(app)
    assert "exited" not in m.worker_record(w).model_dump_json()
    run(m, life_event(w, "moved_out", "2025-01"))
    assert '"exited":"moved_out"' in m.worker_record(w).model_dump_json()


def test_a_waiting_worker_withdrawn_is_not_counted_waiting_in_the_dashboard_fold() -> None:
    m = RegionMatcher(REGION, KEY)
    app = application()
    d = Dashboard()
    for o in run(m, app, life_event(worker_of(app), "moved_out", "2025-01")):
        d.apply(o)
    assert d.totals(REGION)["waiting"] == 0


def test_a_term_ending_this_month_does_not_lapse_and_its_old_lines_are_written_off_when_ended() -> None:
    m, [leaving], _ = covered_region(waiting=0)
    run(m, *(tick(f"2025-{n:02d}") for n in range(1, 5)))  # January to April billed, never paid
    run(m, life_event(leaving, "left_programme", "2025-05"))
    closed = run(m, tick("2025-05"))  # January's line is past the arrears window at this close
    assert not of(CoverageLapsed, closed)
    assert [line.worker for line in of(BillLine, closed)] == [leaving]  # May, its last month
    assert m.status(leaving) == "exited" and m.waiting() == []
    written = [f for f in of(FundingMovement, run(m, tick("2025-06"))) if f.kind == FundingKind.WRITTEN_OFF]
    assert [f.amount_idr for f in written] == [2 * MONTH]  # January and February, as an ended term's


def test_the_dashboard_fold_counts_an_ended_term_out_of_covered() -> None:
    m, d = RegionMatcher(REGION, KEY), Dashboard()
    app = application(welfare_decile=1)
    outputs = run(m, app, pledge(amount_idr=12 * MONTH))
    for o in [*outputs, *run(m, *confirm_all(m))]:
        d.apply(o)
    assert d.totals(REGION)["covered"] == 1
    for o in run(m, life_event(worker_of(app), "deceased", "2025-01")):
        d.apply(o)
    assert d.totals(REGION)["covered"] == 0


def test_a_report_first_rejected_is_never_applied_when_redelivered_past_the_seen_markers_window() -> None:
    m = RegionMatcher(REGION, KEY)
    app = application()
    run(m, app)
    early = life_event(worker_of(app), "moved_out", "2025-02")  # February, reported in January
    [first] = of(LifeEventRejected, run(m, early))
    assert first.reason == Reason.LIFE_EVENT_PERIOD_AHEAD
    run(m, *(tick(f"2025-{n:02d}") for n in range(1, 7)))  # the markers' window passed; February is past
    assert run(m, early) == []  # the refusal is kept on the worker, not in the window
    assert m.status(worker_of(app)) == "waiting"


def test_a_report_refused_as_ahead_stays_refused_where_the_regions_ticks_lag_behind_its_time() -> None:
    """The stale guard reads the report's own time; a region whose clock lags the reports by months
    (ticks not sent) passes the markers' window before it passes the report's month. Found by the
    stateful test: the replay ended the worker's cover, ten closes after the first refusal."""
    m = RegionMatcher(REGION, KEY)
    app = application()
    run(m, app)  # the region's clock starts in January 2025
    reported_in_october = datetime(2025, 10, 1, 1, tzinfo=UTC)
    early = life_event(worker_of(app), "employer_covered", "2025-07", event_time=reported_in_october)
    [first] = of(LifeEventRejected, run(m, early))
    assert first.reason == Reason.LIFE_EVENT_PERIOD_AHEAD  # July, and the region is in January
    run(m, *(tick(f"2025-{n:02d}") for n in range(1, 11)))  # ten closes: July is past, the report is recent
    assert run(m, early) == []
    assert m.status(worker_of(app)) == "waiting"


def test_a_report_for_a_worker_unknown_then_is_refused_stale_when_redelivered_past_the_window() -> None:
    """A refusal with no worker to keep it on stays a seen marker; past the window the stale guard
    answers it again, under its first id, even after the worker applied."""
    m = RegionMatcher(REGION, KEY)
    app = application()
    early = life_event(worker_of(app), "moved_out", "2025-01")
    [first] = of(LifeEventRejected, run(m, early))
    assert first.reason == Reason.WORKER_UNKNOWN
    run(m, app, *(tick(f"2025-{n:02d}") for n in range(1, 7)))
    [again] = run(m, early)
    assert (again.event_id, again.reason) == (first.event_id, Reason.LIFE_EVENT_STALE)
    assert m.status(worker_of(app)) == "waiting"

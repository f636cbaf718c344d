"""The region matcher, scenario by scenario; each test changes one thing from the factories."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest

from models.errors import RegionMismatchError
from models.events import (
    ApplicationRejected,
    ApplicationWaiting,
    BillLine,
    CoverageActivated,
    CoverageCommitted,
    CoverageExpired,
    CoverageRenewed,
    FundingKind,
    FundingMovement,
    PledgeAccepted,
    PledgeExhausted,
    PledgeExpired,
    PledgeRejected,
    Targeting,
)
from models.matcher import RegionMatcher, Step
from models.nik import Sex, pseudonym
from models.occupations import Occupation
from tests.unit.factories import KEY, REGION, T0, application, confirm_all, pay_all, pledge, tick

SEAT = 201_600  # 12 months of JKK+JKM at Rp 16,800


def matcher() -> RegionMatcher:
    return RegionMatcher(REGION, KEY)


def run(m: RegionMatcher, *events: Any, confirm: bool = True) -> list[Any]:
    """Handle ``events``; after each, BPJS confirms every committed seat (unless ``confirm`` is False)."""
    out: list[Any] = []
    for e in events:
        out += m.handle(e).outputs
        if confirm:
            for c in confirm_all(m):
                out += m.handle(c).outputs
    return out


def of(kind: type, outputs: list[Any]) -> list[Any]:
    return [o for o in outputs if isinstance(o, kind)]


def months(m: RegionMatcher, first: int, last: int, year: int = 2025) -> list[Any]:
    """Close months ``first`` to ``last``; the payer pays each bill exactly before the next close.

    Returns the closes' outputs (and confirmations'), not the payments'."""
    out: list[Any] = []
    for n in range(first, last + 1):
        out += run(m, tick(f"{year}-{n:02d}"))
        run(m, *pay_all(m))
    return out


# ---------------------------------------------------------------- the stream-layer requirement


def test_1500_workers_covered_for_12_months_are_billed_12_times_and_expire_once() -> None:
    m = matcher()
    run(m, *(application(serial=i, submitted_at=T0 + timedelta(seconds=i)) for i in range(1_500)))
    accepted = run(m, pledge(amount_idr=1_500 * SEAT))
    assert len(of(CoverageCommitted, accepted)) == len(of(CoverageActivated, accepted)) == 1_500
    out = months(m, 1, 12)
    billed = [o for o in of(FundingMovement, out) if o.kind is FundingKind.BILLED]
    assert len(billed) == 12  # one per pledge per close, not one per line
    assert len(of(BillLine, out)) == 12 * 1_500
    assert len(of(CoverageExpired, out)) == 1_500
    assert len({o.event_id for o in out}) == len(out)
    ledger = m.ledger(m.pledge_keys()[0])
    assert (ledger.billed_idr, ledger.paid_idr, ledger.arrears_idr) == (302_400_000, 302_400_000, 0)


# ---------------------------------------------------------------- applications


def test_an_eligible_worker_with_no_pledge_waits() -> None:
    m = matcher()
    [waiting] = run(m, application())
    assert isinstance(waiting, ApplicationWaiting)
    assert m.status(waiting.worker) == "waiting"


def test_events_carry_the_pseudonym_never_the_nik_or_name() -> None:
    m = matcher()
    app = application()
    encoded = repr(run(m, app, pledge()))
    assert app.nik not in encoded
    assert app.name not in encoded
    assert pseudonym(app.nik, KEY) in encoded


def test_an_ineligible_worker_is_rejected_with_a_reason() -> None:
    m = matcher()
    [rejected] = run(m, application(welfare_decile=9))
    assert isinstance(rejected, ApplicationRejected)
    assert rejected.reason == "welfare_decile_above_limit"


def test_a_rejection_for_an_unreadable_nik_carries_no_pseudonym() -> None:
    [rejected] = run(matcher(), application(nik="12"))
    assert rejected.worker is None


def test_the_same_nik_applying_twice_is_one_worker() -> None:
    m = matcher()
    first = application(serial=7)
    second = application(serial=7)
    out = run(m, first, second)
    assert [o.type for o in out] == ["application.waiting", "application.rejected"]
    assert out[1].reason == "duplicate_worker"
    assert m.waiting() == [out[0].worker]


def test_a_covered_worker_applying_again_is_a_duplicate_and_stays_covered() -> None:
    m = matcher()
    run(m, application(serial=7), pledge())
    [rejected] = run(m, application(serial=7))
    assert rejected.reason == "duplicate_worker"
    assert m.status(rejected.worker) == "covered"


def test_a_replayed_application_produces_nothing() -> None:
    m = matcher()
    app = application()
    run(m, app)
    assert m.handle(app) == Step(outputs=[])


def test_a_replayed_rejected_application_produces_nothing() -> None:
    m = matcher()
    app = application(welfare_decile=9)
    step = m.handle(app)
    assert step.seen == ((app.event_id, 0),)  # remembered with the closes count: a window
    assert m.handle(app).outputs == []


def test_an_event_for_another_region_is_a_routing_error() -> None:
    with pytest.raises(RegionMismatchError, match=r"^wrong_region"):
        matcher().handle(tick("2025-01", region="74.72"))


def test_a_worker_arriving_is_matched_at_once_when_an_open_pledge_admits_them() -> None:
    m = matcher()
    run(m, pledge())
    [committed, movement] = run(m, application(), confirm=False)
    assert isinstance(committed, CoverageCommitted)
    assert (committed.was_waiting, committed.registration_due_period) == (False, "2025-02")
    assert movement.kind is FundingKind.COMMITTED
    assert m.status(committed.worker) == "committed"


# ---------------------------------------------------------------- pledges


def test_a_pledge_takes_the_highest_priority_waiting_workers() -> None:
    m = matcher()
    low = application(welfare_decile=5, breadwinner=False, occupation=Occupation.TAILOR)
    high = application(welfare_decile=1, occupation=Occupation.FISHER)
    mid = application(welfare_decile=3)
    run(m, low, high, mid)
    out = run(m, pledge(amount_idr=2 * SEAT))
    taken = [o.worker for o in of(CoverageActivated, out)]
    assert taken == [pseudonym(high.nik, KEY), pseudonym(mid.nik, KEY)]
    assert m.waiting() == [pseudonym(low.nik, KEY)]


def test_equal_scores_go_to_the_earlier_application() -> None:
    m = matcher()
    later = application(submitted_at=T0 + timedelta(minutes=5))
    earlier = application(submitted_at=T0)
    run(m, later, earlier)
    [activated] = of(CoverageActivated, run(m, pledge(amount_idr=SEAT)))
    assert activated.worker == pseudonym(earlier.nik, KEY)


def test_equal_scores_and_times_go_to_the_smaller_application_id() -> None:
    m = matcher()
    run(m, application(application_id="b-2"), application(application_id="a-1"))
    [activated] = of(CoverageActivated, run(m, pledge(amount_idr=SEAT)))
    assert m.worker_record(activated.worker).application_id == "a-1"


def test_time_waited_lets_an_old_application_overtake_a_needier_new_one() -> None:
    m = matcher()
    old = application(welfare_decile=3, submitted_at=T0 - timedelta(days=100))
    new = application(welfare_decile=1, submitted_at=T0)  # 20 points ahead = 40 days of waiting
    run(m, new, old)
    [activated] = of(CoverageActivated, run(m, pledge(amount_idr=SEAT)))
    assert activated.worker == pseudonym(old.nik, KEY)
    assert activated.priority.waited == 50


def test_a_pledge_takes_only_workers_its_targeting_admits() -> None:
    m = matcher()
    woman = application(sex=Sex.FEMALE, welfare_decile=5)
    man = application(welfare_decile=1)
    fisher_woman_elsewhere = application(sex=Sex.FEMALE, district="74.71.02", occupation=Occupation.FISHER)
    run(m, woman, man, fisher_woman_elsewhere)
    targeting = Targeting(districts=("74.71.01",), sexes=(Sex.FEMALE,))
    [activated] = of(CoverageActivated, run(m, pledge(targeting=targeting)))
    assert activated.worker == pseudonym(woman.nik, KEY)


def test_a_decile_cap_does_not_admit_unknown_deciles() -> None:
    m = matcher()
    run(m, application(welfare_decile=None))
    out = run(m, pledge(targeting=Targeting(max_welfare_decile=4)))
    assert of(CoverageActivated, out) == []


def test_an_accepted_pledge_reports_seats_capacity_and_remainder() -> None:
    [accepted, pledged] = run(matcher(), pledge(amount_idr=3 * SEAT + 999))
    assert isinstance(accepted, PledgeAccepted)
    assert (accepted.seats, accepted.capacity_idr, accepted.remainder_idr) == (3, 3 * SEAT, 999)
    assert pledged.kind is FundingKind.PLEDGED
    assert pledged.balances.remainder_idr == 3 * SEAT + 999


def test_a_pledge_exhausted_says_so_once() -> None:
    m = matcher()
    run(m, application(), application())
    out = run(m, pledge(amount_idr=2 * SEAT))
    assert len(of(PledgeExhausted, out)) == 1
    assert of(CoverageActivated, run(m, application())) == []


def test_the_pledge_whose_validity_ends_first_pays() -> None:
    m = matcher()
    run(m, pledge(pledge_id="late", valid_until=date(2025, 12, 31)))
    run(m, pledge(pledge_id="soon", valid_until=date(2025, 6, 30)))
    [activated] = of(CoverageActivated, run(m, application()))
    assert activated.pledge_id == "soon"


def test_with_equal_validity_the_earlier_accepted_pledge_pays() -> None:
    m = matcher()
    run(m, pledge(pledge_id="zz-first"), pledge(pledge_id="aa-second"))
    [activated] = of(CoverageActivated, run(m, application()))
    assert activated.pledge_id == "zz-first"


def test_a_rejected_pledge_commits_nothing() -> None:
    m = matcher()
    run(m, application())
    [rejected] = run(m, pledge(amount_idr=SEAT - 1))
    assert isinstance(rejected, PledgeRejected)
    assert rejected.reason == "pledge_below_one_seat"
    assert m.pledge_keys() == []


def test_a_second_pledge_with_an_accepted_id_is_a_duplicate() -> None:
    m = matcher()
    run(m, pledge(pledge_id="p1"))
    [rejected] = run(m, pledge(pledge_id="p1"))
    assert rejected.reason == "duplicate_pledge"


def test_a_rejected_pledge_id_may_be_resubmitted_corrected() -> None:
    m = matcher()
    run(m, pledge(pledge_id="p1", amount_idr=1))
    [accepted, _] = run(m, pledge(pledge_id="p1"))
    assert isinstance(accepted, PledgeAccepted)


def test_a_replayed_pledge_produces_nothing() -> None:
    m = matcher()
    p = pledge()
    run(m, application(), p)
    assert m.handle(p).outputs == []


def test_a_pledge_valid_from_a_later_month_waits_for_that_month() -> None:
    m = matcher()
    run(m, application())
    [accepted, _] = run(m, pledge(valid_from=date(2025, 3, 1)))
    assert accepted.opens_period == "2025-03"
    assert of(CoverageActivated, months(m, 1, 1)) == []
    activated = of(CoverageActivated, months(m, 2, 2))
    assert [a.start_period for a in activated] == ["2025-03"]


# ---------------------------------------------------------------- time


def test_a_term_starts_this_month_and_ends_months_later() -> None:
    m = matcher()
    [activated] = of(CoverageActivated, run(m, pledge(), application()))
    assert (activated.start_period, activated.end_period) == ("2025-01", "2025-12")


def test_each_tick_bills_one_month_per_covered_worker() -> None:
    m = matcher()
    run(m, application(), application(), pledge())
    out = run(m, tick("2025-01"))
    assert [o.type for o in out] == ["bill.line", "bill.line", "funding.movement", "bill.issued"]
    [billed] = of(FundingMovement, out)
    assert (billed.kind, billed.amount_idr) == (FundingKind.BILLED, 2 * 16_800)
    b = billed.balances
    assert (b.billed_idr, b.due_idr, b.paid_idr) == (2 * 16_800, 2 * 16_800, 0)
    assert billed.balances.runway_months == 11


def test_a_tick_for_a_closed_month_is_ignored() -> None:
    m = matcher()
    run(m, application(), pledge())
    months(m, 1, 2)
    assert m.handle(tick("2025-02")).outputs == []
    assert m.handle(tick("2025-01", event_id="late")).outputs == []


def test_a_tick_that_skips_months_closes_each_of_them() -> None:
    m = matcher()
    run(m, application(), pledge())
    out = run(m, tick("2025-03"))
    assert list(dict.fromkeys(o.period for o in out)) == ["2025-01", "2025-02", "2025-03"]
    assert [o.kind for o in of(FundingMovement, out)] == [
        FundingKind.BILLED, FundingKind.ARREARS, FundingKind.BILLED, FundingKind.ARREARS, FundingKind.BILLED,
    ]


def test_a_pledge_expires_at_the_close_of_its_last_month_and_returns_its_remainder() -> None:
    m = matcher()
    run(m, application())
    run(m, pledge(amount_idr=3 * SEAT + 999, valid_until=date(2025, 2, 15)))
    assert of(PledgeExpired, months(m, 1, 1)) == []
    out = months(m, 2, 2)
    [expired] = of(PledgeExpired, out)
    assert (expired.seats_released, expired.returned_idr) == (2, 2 * SEAT + 999)
    kinds = [o.kind for o in of(FundingMovement, out)]
    assert kinds == [FundingKind.BILLED, FundingKind.RELEASED, FundingKind.RETURNED]
    returned = of(FundingMovement, out)[-1].balances
    assert (returned.committed_idr + returned.remainder_idr, returned.returned_idr) == (
        3 * SEAT + 999,
        2 * SEAT + 999,
    )


def test_a_term_outlives_its_expired_pledge_and_is_billed_in_full() -> None:
    m = matcher()
    run(m, application(), pledge(valid_until=date(2025, 1, 31)))
    out = months(m, 1, 12)
    billed = [o for o in of(FundingMovement, out) if o.kind is FundingKind.BILLED]
    assert len(billed) == 12
    assert len(of(CoverageExpired, out)) == 1
    assert m.ledger(m.pledge_keys()[0]).paid_idr == SEAT


def test_an_expiring_worker_is_renewed_without_a_gap_before_new_workers() -> None:
    m = matcher()
    run(m, application(welfare_decile=5), pledge(amount_idr=SEAT, pledge_id="first"))
    months(m, 1, 11)
    needier = application(welfare_decile=1)
    run(
        m,
        needier,
        pledge(
            amount_idr=SEAT,
            pledge_id="next-year",
            valid_from=date(2026, 1, 1),
            valid_until=date(2026, 12, 31),
        ),
    )
    out = months(m, 12, 12)
    [expired] = of(CoverageExpired, out)
    [renewed] = of(CoverageRenewed, out)
    assert expired.outcome == "renewed"
    assert (renewed.pledge_id, renewed.start_period, renewed.membership_since) == (
        "next-year",
        "2026-01",
        "2025-01",
    )
    assert renewed.previous_coverage_id == expired.coverage_id
    assert renewed.term_no == 2
    assert m.waiting() == [pseudonym(needier.nik, KEY)]


def test_when_renewal_seats_are_short_the_higher_priority_worker_renews() -> None:
    m = matcher()
    low = application(welfare_decile=5, submitted_at=T0)
    high = application(welfare_decile=1, submitted_at=T0 + timedelta(hours=1))
    run(m, pledge(amount_idr=2 * 16_800, months=1, pledge_id="january"), low, high)
    run(m, pledge(amount_idr=16_800, months=1, pledge_id="february", valid_from=date(2025, 2, 1)))
    out = months(m, 1, 1)
    [renewed] = of(CoverageRenewed, out)
    assert renewed.worker == pseudonym(high.nik, KEY)
    assert m.waiting() == [pseudonym(low.nik, KEY)]


def test_without_a_pledge_an_expiring_worker_waits_again_with_the_original_key() -> None:
    m = matcher()
    [activated] = of(CoverageActivated, run(m, pledge(amount_idr=SEAT), application()))
    key = m.worker_record(activated.worker).key
    out = months(m, 1, 12)
    assert of(CoverageExpired, out)[0].outcome == "waiting"
    assert m.waiting() == [activated.worker]
    assert m.worker_record(activated.worker).key == key


def test_a_short_gap_keeps_membership_and_a_long_one_restarts_it() -> None:
    m = matcher()
    [activated] = of(
        CoverageActivated, run(m, pledge(amount_idr=16_800, months=1, pledge_id="jan"), application())
    )
    months(m, 1, 3)  # January paid; February and March unpaid
    [short_gap] = of(CoverageActivated, run(m, pledge(amount_idr=16_800, months=1, pledge_id="apr")))
    assert short_gap.membership_since == "2025-01"
    months(m, 4, 7)  # May, June, July unpaid: membership lapses
    [long_gap] = of(CoverageActivated, run(m, pledge(amount_idr=16_800, months=1, pledge_id="aug")))
    assert long_gap.membership_since == "2025-08"
    assert activated.worker == long_gap.worker


def test_the_clock_starts_in_the_month_of_the_first_event() -> None:
    m = matcher()
    assert m.current_period is None
    run(m, application(event_time=T0 + timedelta(days=40)))
    assert m.current_period == "2025-02"


# ---------------------------------------------------------------- ids and persistence


def test_output_ids_derive_from_their_cause() -> None:
    m = matcher()
    app = application()
    out = run(m, app, pledge(pledge_id="p1"), tick("2025-01"))
    worker = pseudonym(app.nik, KEY)
    ids = [o.event_id for o in out]
    cid = f"dealer-kendari:p1:{worker}:1"
    bill = "bill:74.71:dealer-kendari:2025-01"
    assert ids == [
        f"application.waiting:{app.event_id}",
        "pledge.accepted:dealer-kendari:p1",
        "funding.pledged:dealer-kendari:p1",
        f"coverage.committed:{cid}",
        f"funding.committed:{cid}",
        f"coverage.activated:{cid}",
        f"bill.line:{bill}:{cid}",
        "funding.billed:dealer-kendari:p1:2025-01",
        f"bill.issued:{bill}",
    ]


def test_a_step_names_the_records_it_changed() -> None:
    m = matcher()
    app = application()
    run(m, app)
    step = m.handle(pledge(pledge_id="p1"))
    assert step.workers == (pseudonym(app.nik, KEY),)
    assert step.pledges == ("dealer-kendari:p1",)
    assert step.clock is True


def test_worker_records_hold_no_nik_name_or_birth_date() -> None:
    """The birth month alone is kept (issue 18: the renewal's age check), never the day."""
    m = matcher()
    app = application()
    [waiting] = run(m, app)
    dumped = m.worker_record(waiting.worker).model_dump_json()
    assert app.nik not in dumped
    assert app.name not in dumped
    assert app.birth_date.isoformat() not in dumped
    assert dumped.count("1985") == 1 and '"birth_month":"1985-06"' in dumped


def test_a_restored_matcher_continues_exactly_like_the_original() -> None:
    original = matcher()
    first_half = [
        *(application(serial=i, welfare_decile=1 + i % 5) for i in range(20)),
        pledge(amount_idr=5 * SEAT),
        pledge(amount_idr=3 * 16_800 * 3, months=3, targeting=Targeting(sexes=(Sex.MALE,))),
        application(welfare_decile=9),
        tick("2025-01"),
        pledge(valid_from=date(2025, 4, 1), amount_idr=4 * SEAT),
    ]
    run(original, *first_half)
    snap = original.snapshot()
    restored = RegionMatcher.restore(
        REGION,
        KEY,
        clock=snap.clock,
        workers=reversed(snap.workers),
        pledges=reversed(snap.pledges),
        seen=snap.seen,
        terms=reversed(snap.terms),
        bills=reversed(snap.bills),
        payments=snap.payments,
        refunds=snap.refunds,
        payers=snap.payers,
    )
    second_half = [application(serial=100), *(tick(f"2025-{n:02d}") for n in range(2, 13))]
    assert run(restored, *second_half) == run(original, *second_half)
    assert restored.snapshot() == original.snapshot()


def test_records_survive_a_json_round_trip() -> None:
    m = matcher()
    run(m, application(), pledge(targeting=Targeting(occupations=(Occupation.STREET_VENDOR,))))
    snap = m.snapshot()
    for record in (snap.clock, *snap.workers, *snap.pledges):
        assert type(record).model_validate_json(record.model_dump_json()) == record
        assert type(record).model_validate(record.model_dump(mode="json")) == record


def test_the_same_input_gives_the_same_output() -> None:
    events = [
        *(application(serial=i, welfare_decile=1 + i % 5) for i in range(30)),
        pledge(amount_idr=7 * SEAT),
        *(tick(f"2025-{n:02d}") for n in range(1, 13)),
    ]
    assert run(matcher(), *events) == run(matcher(), *events)


def test_every_output_id_is_unique_over_a_year() -> None:
    m = matcher()
    out = run(
        m,
        *(application(serial=i) for i in range(10)),
        pledge(amount_idr=4 * 16_800 * 3, months=3),
        pledge(amount_idr=3 * SEAT),
        *(tick(f"2025-{n:02d}") for n in range(1, 13)),
    )
    assert [k for k, n in Counter(o.event_id for o in out).items() if n > 1] == []


def test_a_short_pseudonym_key_is_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        RegionMatcher(REGION, b"short")

"""The renewal check and rule at a term's end (``CityPolicy.renew_before_new``, the age re-check).

One worker X holds a one-month seat from January 2025; a second pledge opens in February with one
seat; a worker Y waits. At January's close X's term ends: renewed before Y is covered (the default
rule), or by priority against Y (the rule off); never renewed past 65.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from infra.topic_io import Record
from jaring.audit import replay
from models.codec import encode
from models.eligibility import CityPolicy
from models.errors import Reason
from models.events import CoverageCommitted, CoverageExpired, CoverageRenewed
from models.matcher import RegionMatcher
from models.nik import pseudonym
from models.regions import districts_of
from tests.unit.factories import KEY, REGION, T0, application, confirm_all, pledge, tick

MONTH = 16_800


def run(m: RegionMatcher, *events: Any) -> list[Any]:
    return [o for e in events for o in m.handle(e).outputs]


def of(kind: type, outputs: list[Any]) -> list[Any]:
    return [o for o in outputs if isinstance(o, kind)]


def region(policy: CityPolicy, *, x_decile: int, y_decile: int, x_birth: date = date(1985, 6, 15)) -> tuple[
        RegionMatcher, str, str]:
    m = RegionMatcher(REGION, KEY, policy)
    x = application(serial=1, welfare_decile=x_decile, birth_date=x_birth)
    run(m, x, pledge(amount_idr=MONTH, months=1))
    run(m, *confirm_all(m))
    y = application(serial=2, welfare_decile=y_decile, submitted_at=T0)
    run(m, y, pledge(pledge_id="february", amount_idr=MONTH, months=1, valid_from=date(2025, 2, 1)))
    return m, pseudonym(x.nik, KEY), pseudonym(y.nik, KEY)


def test_by_default_an_expiring_worker_is_renewed_before_a_better_placed_waiting_worker() -> None:
    m, x, y = region(CityPolicy(), x_decile=4, y_decile=1)
    out = run(m, tick("2025-01"))
    [expired] = of(CoverageExpired, out)
    assert (expired.worker, expired.outcome, expired.renewal_refused) == (x, "renewed", None)
    [renewed] = of(CoverageRenewed, out)
    assert renewed.worker == x and renewed.renewal is not None
    assert renewed.renewal.model_dump() == {
        "rule": "renew_before_new", "months_of_membership": 1, "clock_protected": True}
    assert m.waiting() == [y] and not of(CoverageCommitted, out)


def test_with_the_rule_off_a_better_placed_waiting_worker_takes_the_seat_and_the_expiring_one_waits() -> None:
    m, x, y = region(CityPolicy(renew_before_new=False), x_decile=4, y_decile=1)
    out = run(m, tick("2025-01"))
    [committed] = of(CoverageCommitted, out)
    assert committed.worker == y and not of(CoverageRenewed, out)
    [expired] = of(CoverageExpired, out)
    assert (expired.worker, expired.outcome) == (x, "waiting")
    assert m.waiting() == [x]


def test_with_the_rule_off_an_expiring_worker_who_outranks_the_list_is_renewed_by_priority() -> None:
    m, x, y = region(CityPolicy(renew_before_new=False), x_decile=1, y_decile=4)
    out = run(m, tick("2025-01"))
    [expired] = of(CoverageExpired, out)
    assert (expired.worker, expired.outcome) == (x, "renewed")
    [renewed] = of(CoverageRenewed, out)
    assert renewed.renewal is not None and renewed.renewal.rule == "by_priority"
    assert renewed.start_period == "2025-02" and renewed.membership_since == "2025-01"  # no gap
    assert m.waiting() == [y]


def test_a_worker_who_turned_66_is_not_renewed_and_does_not_wait() -> None:
    # born February 1959: 65 in January 2025, 66 by the end of February, the renewal's first month
    m, x, y = region(CityPolicy(), x_decile=1, y_decile=4, x_birth=date(1959, 2, 10))
    out = run(m, tick("2025-01"))
    [expired] = of(CoverageExpired, out)
    assert (expired.outcome, expired.renewal_refused) == ("ended", Reason.AGE_ABOVE_MAXIMUM)
    assert m.status(x) == "exited" and x not in m.waiting()
    [committed] = of(CoverageCommitted, out)  # the new pledge covers the waiting worker instead
    assert committed.worker == y


def test_one_month_younger_is_renewed() -> None:
    m, x, _ = region(CityPolicy(), x_decile=1, y_decile=4, x_birth=date(1959, 3, 1))
    assert [o.worker for o in of(CoverageRenewed, run(m, tick("2025-01")))] == [x]


def test_a_worker_recorded_without_a_birth_month_renews_as_before() -> None:
    m, x, _ = region(CityPolicy(), x_decile=1, y_decile=4, x_birth=date(1959, 2, 10))
    snap = m.snapshot()
    workers = [w.model_copy(update={"birth_month": None}) for w in snap.workers]
    old = RegionMatcher.restore(REGION, KEY, clock=snap.clock, workers=workers, pledges=snap.pledges,
                                seen=snap.seen)
    assert [o.worker for o in of(CoverageRenewed, run(old, tick("2025-01")))] == [x]


def test_a_worker_whose_district_the_city_no_longer_serves_is_not_renewed_there() -> None:
    m, x, _ = region(CityPolicy(), x_decile=1, y_decile=4)
    district = m.snapshot().workers[0].district
    others = tuple(d for d in districts_of(REGION) if d != district)
    snap = m.snapshot()
    narrowed = RegionMatcher.restore(
        REGION, KEY, clock=snap.clock, workers=snap.workers, pledges=snap.pledges, seen=snap.seen,
        terms=snap.terms, bills=snap.bills, payments=snap.payments, refunds=snap.refunds, payers=snap.payers,
        policy=CityPolicy(served_districts=others),
    )
    out = run(narrowed, tick("2025-01"))
    [expired] = of(CoverageExpired, out)
    assert (expired.worker, expired.outcome) == (x, "ended")
    assert expired.renewal_refused == Reason.OUTSIDE_SERVED_AREA
    assert not of(CoverageRenewed, out)
    assert [o.worker for o in of(CoverageRenewed, run(m, tick("2025-01")))] == [x]  # the area unchanged


def test_the_replay_check_derives_each_rules_renewals_and_refusals_from_the_log() -> None:
    """``jaring.audit.replay`` over the inputs gives the same renewals, breakdowns and refusals, byte
    for byte, under either rule (the rule is the city's policy, read by the worker and the replay)."""
    for policy, x_decile, birth in ((CityPolicy(), 4, date(1985, 6, 15)),
                                    (CityPolicy(renew_before_new=False), 1, date(1985, 6, 15)),
                                    (CityPolicy(), 1, date(1959, 2, 10))):
        m = RegionMatcher(REGION, KEY, policy)
        log: list[Any] = []
        outputs: list[Any] = []
        x = application(serial=1, welfare_decile=x_decile, birth_date=birth)
        for batch in ([x, pledge(amount_idr=MONTH, months=1)], None,
                      [application(serial=2, welfare_decile=4, submitted_at=T0),
                       pledge(pledge_id="february", amount_idr=MONTH, months=1, valid_from=date(2025, 2, 1)),
                       tick("2025-01")]):
            for event in batch if batch is not None else confirm_all(m):
                log.append(event)
                outputs.extend(m.handle(event).outputs)
        records = [Record("region-log", 0, n, REGION.encode(), encode(e)) for n, e in enumerate(log)]
        assert replay(records, KEY, policy) == {o.event_id: encode(o) for o in outputs}
        assert of(CoverageRenewed, outputs) or of(CoverageExpired, outputs)[0].renewal_refused

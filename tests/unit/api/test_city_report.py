"""The city report's fold against the events: for any month of a matcher's story (applications, pledges of
two sponsors, BPJS answers, payments, an overpayment refunded, life events, seven closes), each figure is the
events' own sum for the month, the levels are the matcher's own at the month's close, the fairness tables
are the dashboard's, every table of people is suppressed with its total exact, whatever the topics'
interleaving and however many times an event is delivered."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from api.bodies import GroupCountsOut
from api.city_report import CLAIMS, ENDINGS, CityReport, CityReports
from api.statements import KINDS, kind_field
from dashboard.read_model import CityView
from models.disclosure import DEFAULT_THRESHOLD
from models.events import (
    ApplicationRejected,
    ApplicationWaiting,
    CoverageActivated,
    CoverageCancelled,
    CoverageCommitted,
    CoverageEnded,
    CoverageExpired,
    CoverageLapsed,
    CoverageRenewed,
    Event,
    FundingMovement,
    InputEvent,
    LifeEventKind,
    LifeEventRecorded,
    PayerMovement,
    PledgeSubmitted,
    RefundOwed,
)
from models.events.funding import FundingKind
from models.matcher import RegionMatcher
from tests.unit.api.test_desk_model import _routed, region_logs
from tests.unit.factories import KEY, REGION, confirmed, life_event, pay_all, settled, tick

CLOSES = ("2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06", "2025-07")
MONTHS = ("2024-12", *CLOSES, "2025-08")
_LIVES = st.lists(st.tuples(st.integers(0, 30), st.sampled_from(tuple(LifeEventKind))), max_size=4)


def close(period: str) -> InputEvent:
    """The close of ``period`` as a city's clock sends it: just after midnight on the next month's first day
    (so the close's outputs are dated next month and belong, by their ``period``, to this one)."""
    year, month = int(period[:4]), int(period[5:])
    return tick(period, event_time=datetime(year + month // 12, month % 12 + 1, 1, 0, 5, tzinfo=UTC))


def story(log: list[InputEvent], answers: int, lives: list[tuple[int, LifeEventKind]], overpay: int,
          ) -> tuple[list[Event], dict[str, tuple[int, int]]]:
    """The matcher's outputs, and its (waiting, covered) right after each close: the levels at month end.

    The second pledge is another sponsor's, of 3-month seats (expiries, renewals); the third expires in
    April (its remainder returned). The first ``answers`` seats are confirmed, January closes, every bill
    is paid (the first ``overpay`` rupiah over, refunded), life events are reported for workers picked by
    index, then February to July close without payments (arrears, lapses)."""
    m = RegionMatcher(REGION, KEY)
    out: list[Event] = []
    levels: dict[str, tuple[int, int]] = {}

    def run(e: InputEvent) -> None:
        out.extend(m.handle(e).outputs)

    for e in log:
        if isinstance(e, PledgeSubmitted) and e.pledge_id.endswith("1"):  # 3-month seats: renewals
            e = e.model_copy(update={"sponsor_id": "bank-sultra", "months": 3,
                                     "amount_idr": e.amount_idr // 4})
        if isinstance(e, PledgeSubmitted) and e.pledge_id.endswith("2"):  # expires in April: money returned
            e = e.model_copy(update={"valid_until": date(2025, 4, 30)})
        run(e)
    for i, cid in enumerate(m.committed()[:answers]):
        term = m.term(cid)
        assert term is not None
        run(confirmed(cid, payer_id=term.payer_id, event_id=f"ok-{i}"))
    run(close("2025-01"))
    levels["2025-01"] = (m.waiting_count(), len(m.covered()))
    february = datetime(2025, 2, 3, tzinfo=UTC)
    for n, p in enumerate(pay_all(m)):
        extra = overpay if n == 0 else 0
        run(p.model_copy(update={"amount_idr": p.amount_idr + extra, "event_time": february}))
    for n, owed in enumerate(e for e in out if isinstance(e, RefundOwed)):
        run(settled(owed.refund_id, owed.amount_idr, event_id=f"settle-{n}", event_time=february))
    people = [*m.covered(), *m.waiting()]
    for n, (index, kind) in enumerate(lives):
        if people:
            run(life_event(people[index % len(people)], kind, "2025-02", event_id=f"life-{n}",
                           event_time=february, reported_on=date(2025, 2, 3)))
    for period in CLOSES[1:]:
        run(close(period))
        levels[period] = (m.waiting_count(), len(m.covered()))
    return out, levels


def _in(events: list[Any], kind: type | tuple[type, ...], month: str) -> list[Any]:
    return [e for e in events if isinstance(e, kind) and e.period == month]


def _table(shown: GroupCountsOut, want: Counter[str]) -> None:
    """Suppressed at the API's threshold, the total exact, every cell shown is the events' count."""
    assert shown.threshold == DEFAULT_THRESHOLD
    assert shown.total == sum(want.values()) == sum(shown.cells.values()) + shown.other
    for group, n in shown.cells.items():
        assert n == want[group]
        assert n == 0 or n >= shown.threshold
    assert shown.other == sum(want[g] for g in shown.merged)
    assert shown.other == 0 or shown.other >= shown.threshold or shown.other == shown.total


def check_people(r: CityReport, events: list[Any], level: tuple[int, int]) -> None:
    month, f = r.month, r.figures
    rejected = _in(events, ApplicationRejected, month)
    arrived = [e for e in _in(events, CoverageCommitted, month) if not e.was_waiting]
    waiting = _in(events, ApplicationWaiting, month)
    assert f.applications_received == len(rejected) + len(waiting) + len(arrived)
    assert f.eligible == len(waiting) + len(arrived)
    _table(f.rejected, Counter(e.reason for e in rejected))
    assert f.newly_covered == len(_in(events, CoverageActivated, month))
    assert f.renewed == len(_in(events, CoverageRenewed, month))
    ended = Counter({"expired": len(_in(events, CoverageExpired, month)),
                     "lapsed": len(_in(events, CoverageLapsed, month)),
                     "cancelled": len(_in(events, CoverageCancelled, month))})
    ended.update(e.reason.value for e in _in(events, CoverageEnded, month))
    assert set(ended) <= set(ENDINGS)
    _table(f.terms_ended, ended)
    lives = _in(events, LifeEventRecorded, month)
    assert f.withdrawals == sum(e.kind is not LifeEventKind.ACCIDENT_CLAIM for e in lives)
    _table(f.claims, Counter(e.kind.value for e in lives if e.kind.value in CLAIMS))
    assert (f.waiting_at_end, f.covered_at_end) == level


def check_money(r: CityReport, events: list[Any]) -> None:
    month = r.month
    moves = [e for e in events if isinstance(e, FundingMovement)]
    seated = [e for e in events if isinstance(e, CoverageCommitted)]
    sponsors = sorted({e.sponsor_id for e in [*moves, *seated] if e.period <= month})
    assert [s.sponsor_id for s in r.sponsors] == sponsors
    for s in [*((s.sponsor_id, s.figures) for s in r.sponsors), (None, r.money)]:
        sponsor, f = s
        mine = [e for e in moves if sponsor in (None, e.sponsor_id)]
        for k in KINDS:
            assert f.money[kind_field(k)] == sum(
                e.amount_idr for e in mine if e.period == month
                and (e.kind is k or (k is FundingKind.PAID and e.kind is FundingKind.PREMIUM_PAID)))
        last: dict[tuple[str, str], Any] = {}
        for e in mine:  # the funding topic's order: the region's
            if e.period <= month:
                last[(e.sponsor_id, e.pledge_id)] = e.balances
        assert f.remaining_idr == sum(b.pledged_idr - b.paid_idr - b.returned_idr for b in last.values())
        assert f.uncommitted_idr == sum(b.remainder_idr for b in last.values())
        seats = [e for e in events if isinstance(e, CoverageCommitted | CoverageRenewed) and e.period == month
                 and sponsor in (None, e.sponsor_id)]
        assert f.seats_filled == len(seats)
    assert r.payer_refunded_idr == sum(e.amount_idr for e in _in(events, PayerMovement, month)
                                       if e.kind == "refunded")


@settings(max_examples=60, deadline=None)
@given(region_logs(), st.integers(0, 6), _LIVES, st.sampled_from((0, 0, 5_000)))
def test_a_months_report_is_the_sum_of_the_months_events(
    case: tuple[list[InputEvent], int], answers: int, lives: list[tuple[int, LifeEventKind]], overpay: int
) -> None:
    log, seed = case
    events, levels = story(log, answers, lives, overpay)
    rng = random.Random(seed)
    delivered = _routed(events, rng)
    delivered += rng.sample(events, k=min(len(events), 5))  # at-least-once: some again
    reports, view = CityReports(), CityView(regions=(REGION,))
    for e in delivered:
        reports.apply(e)
        view.apply(e)
    found = [e for e in events if isinstance(e, ApplicationWaiting | CoverageCommitted)]
    eligible_by = {month: len({e.worker for e in found if e.period <= month}) for month in MONTHS}
    for month in MONTHS:
        r = reports.report(REGION, month)
        assert (r.region, r.month, r.threshold) == (REGION, month, 5)
        level = levels.get(month, (0, 0) if month < CLOSES[0] else levels[CLOSES[-1]])
        check_people(r, events, level)
        check_money(r, events)
        for t in r.fairness:  # the fairness fold's covered workers are the report's, month by month
            assert (t.covered_total, t.eligible_total) == (r.figures.covered_at_end, eligible_by[month])
            for row in t.rows:
                assert row.eligible == 0 or row.eligible >= 5 or row.group == "_merged"
    period, fairness = view.fairness(REGION)  # the latest month any event names
    assert period is not None
    assert reports.report(REGION, period).fairness == fairness  # the dashboard's own tables
    assert reports.report("74.01", CLOSES[-1]).sponsors == []

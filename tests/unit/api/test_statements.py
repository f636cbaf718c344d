"""The statement fold against the events: for any date range over a matcher's story, each figure is
the sum (or the count of distinct workers) of the events dated in the range, whatever the topics'
interleaving and however many times an event is delivered."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from api.statements import KINDS, StatementBooks, StatementFigures, kind_field
from models.disclosure import suppress
from models.events import CoverageCommitted, CoverageRenewed, Event, FundingMovement, InputEvent
from models.events.funding import FundingKind
from models.matcher import RegionMatcher
from tests.unit.api.test_desk_model import _routed, region_logs
from tests.unit.factories import KEY, REGION, T0, application, confirmed, pledge, tick
from tests.unit.models.test_matcher_tariff import paid_close, two_workers

_DAYS = st.integers(-5, 120).map(lambda n: T0.date() + timedelta(days=n))


def _story(log: list[InputEvent], answers: int) -> list[Event]:
    """The matcher's outputs for the log, the first ``answers`` seats confirmed, then closes."""
    m = RegionMatcher(REGION, KEY)
    out: list[Event] = []
    for e in log:
        out.extend(m.handle(e).outputs)
    for i, cid in enumerate(m.committed()[:answers]):
        term = m.term(cid)
        assert term is not None
        out.extend(m.handle(confirmed(cid, payer_id=term.payer_id, event_id=f"ok-{i}")).outputs)
    for period in ("2025-01", "2025-02", "2025-03"):
        out.extend(m.handle(tick(period)).outputs)
    return out


def _expected(events: list[Any], pledge: str | None, start: date, end: date) -> dict[str, Any]:
    """The figures computed straight from the events, the oracle."""
    moves = [e for e in events if isinstance(e, FundingMovement) and pledge in (None, e.pledge_id)]
    sums = {kind_field(k): 0 for k in KINDS}
    for e in moves:
        if start <= e.event_time.date() <= end:
            kind = FundingKind.PAID if e.kind is FundingKind.PREMIUM_PAID else e.kind
            sums[kind_field(kind)] += e.amount_idr
    seats = [e for e in events if isinstance(e, CoverageCommitted | CoverageRenewed)
             and pledge in (None, e.pledge_id) and start <= e.event_time.date() <= end]
    latest: dict[str, Any] = {}
    for s in seats:
        if s.worker not in latest or (s.event_time.date(), s.coverage_id) > (
                latest[s.worker].event_time.date(), latest[s.worker].coverage_id):
            latest[s.worker] = s
    remaining = runway = 0
    if pledge is not None:
        before = [e for e in moves if e.event_time.date() <= end]
        if before:
            last_day = max(e.event_time.date() for e in before)
            b = [e for e in before if e.event_time.date() == last_day][-1].balances
            remaining, runway = b.pledged_idr - b.paid_idr - b.returned_idr, b.runway_months
    return {"money": sums, "seats": len(seats), "workers": len(latest),
            "districts": Counter(s.district for s in latest.values()),
            "occupations": Counter(s.occupation.value for s in latest.values()),
            "remaining": remaining, "runway": runway}


def _check(f: StatementFigures, want: dict[str, Any]) -> None:
    assert f.money == want["money"]
    assert (f.seats_filled, f.workers_covered) == (want["seats"], want["workers"])
    for name, counts in (("district", want["districts"]), ("occupation", want["occupations"])):
        table = f.groups[name]
        assert table.total == want["workers"] == sum(table.cells.values()) + table.other
        for group, n in table.cells.items():
            assert n == counts[group]
            assert n == 0 or n >= table.threshold
        assert table.other == sum(counts[g] for g in table.merged)


@settings(max_examples=80, deadline=None)
@given(region_logs(), st.integers(0, 6), _DAYS, _DAYS)
def test_a_statement_is_the_sum_of_the_events_in_its_range(
    case: tuple[list[InputEvent], int], answers: int, a: date, b: date
) -> None:
    log, seed = case
    events = _story(log, answers)
    rng = random.Random(seed)
    delivered = _routed(events, rng)
    delivered += rng.sample(events, k=min(len(events), 5))  # at-least-once: some again
    books = StatementBooks()
    for e in delivered:
        books.apply(e)
    start, end = min(a, b), max(a, b)
    s = books.statement("dealer-kendari", start, end)
    pledges = sorted({e.pledge_id for e in events if isinstance(e, FundingMovement | CoverageCommitted)
                      and e.event_time.date() <= end})
    assert [p for p, _, _ in s.pledges] == pledges
    for pledge_id, region, f in s.pledges:
        assert region == REGION
        want = _expected(events, pledge_id, start, end)
        _check(f, want)
        assert (f.remaining_idr, f.runway_months) == (want["remaining"], want["runway"])
    _check(s.total, _expected(events, None, start, end))
    assert s.total.remaining_idr == sum(f.remaining_idr for _, _, f in s.pledges)
    assert books.statement("bank-sultra", start, end).pledges == []


def test_the_range_includes_both_of_its_days_in_utc() -> None:
    """A movement on the range's last day counts; one the next day does not (UTC dates of event time)."""
    log: list[InputEvent] = [pledge(event_id="evt-pl", pledge_id="pl-1")]
    log += [application(event_id=f"evt-app-{i}", application_id=f"app-{i}", serial=i + 1,
                        event_time=T0 + timedelta(days=2, minutes=i)) for i in range(6)]
    events = _story(log, 6)
    billed = [e for e in events if isinstance(e, FundingMovement) and e.kind is FundingKind.BILLED]
    assert billed
    first = min(e.event_time for e in billed).date()
    books = StatementBooks()
    for e in events:
        books.apply(e)
    on_day = books.statement("dealer-kendari", first, first).total.money["billed_idr"]
    before = books.statement("dealer-kendari", first - timedelta(days=30), first - timedelta(days=1))
    assert on_day == sum(e.amount_idr for e in billed if e.event_time.date() == first) > 0
    assert before.total.money["billed_idr"] == 0


def test_a_worker_counts_once_by_their_latest_seat_and_legacy_premiums_count_as_paid() -> None:
    """A worker seated twice in the range (moved district between terms) is one worker, in the later
    seat's district; a ``premium_paid`` movement (written before issue 16) is money paid."""
    log: list[InputEvent] = [pledge(event_id="evt-pl", pledge_id="pl-1")]
    log += [application(event_id=f"evt-app-{i}", application_id=f"app-{i}", serial=i + 1,
                        event_time=T0 + timedelta(days=2, minutes=i)) for i in range(6)]
    events = _story(log, 0)
    seat = next(e for e in events if isinstance(e, CoverageCommitted))
    move = next(e for e in events if isinstance(e, FundingMovement))
    later = seat.model_copy(update={
        "event_id": "again", "coverage_id": seat.coverage_id + ":2", "district": "74.71.09",
        "event_time": seat.event_time + timedelta(days=3),
    })
    legacy = move.model_copy(update={"event_id": "legacy", "kind": FundingKind.PREMIUM_PAID, "amount_idr": 7})
    end = T0.date() + timedelta(days=10)  # before the first close
    seated = [e for e in events if isinstance(e, CoverageCommitted) and e.event_time.date() <= end]
    districts = Counter(e.district for e in seated if e.worker != seat.worker)
    districts["74.71.09"] += 1
    want = suppress(dict(sorted(districts.items())))
    for order in ([later, *events, legacy], [*events, later, legacy]):
        books = StatementBooks()
        for e in order:
            books.apply(e)
        f = books.statement("dealer-kendari", T0.date(), end).total
        assert f.workers_covered == len({e.worker for e in seated}) == 6 and f.seats_filled == 7
        assert f.groups["district"].cells == want.cells and f.groups["district"].merged == list(want.merged)
        assert f.money["paid_idr"] == 7


def test_money_a_discount_gives_back_is_repriced_not_returned() -> None:
    """Months billed below their committed price (PP 50/2025) give money back to the pledge's
    remainder: the statement shows it as ``repriced``; it is still the pledge's, so nothing is
    ``returned`` and the remaining money is pledged - paid."""
    m, _, _ = two_workers()
    events: list[Any] = []
    for month in ("2025-12", "2026-01", "2026-02"):
        events += paid_close(m, month)
    books = StatementBooks()
    for e in events:
        books.apply(e)
    f = books.statement("dealer-kendari", date(2025, 12, 1), date(2026, 3, 31)).total
    moves = [e for e in events if isinstance(e, FundingMovement)]
    assert f.money["repriced_idr"] == sum(e.amount_idr for e in moves if e.kind is FundingKind.REPRICED)
    assert f.money["repriced_idr"] == 2 * 8_400  # January and February: the ojek driver's half
    assert f.money["returned_idr"] == 0
    last = moves[-1].balances
    assert (last.remainder_idr, last.returned_idr) == (2 * 8_400, 0)  # back in the pledge, not refunded

"""``api.quotes``: the waiting list folded from the outputs, and a quote that seats whom the engine seats.

The core is the referee: a region's inputs go through ``RegionMatcher``, its
outputs are folded into a ``DeskModel`` (the officer's desk: quotes use its waiting list),
a quote is made, and then the same
pledge goes through the same matcher. The workers the quote would seat must be
exactly the workers the matcher commits, whatever came before (cover, expiry
back to waiting, cancelled registrations).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from api.bodies import PledgeIn, QuoteOut
from api.desk_model import DeskModel
from api.intake import pledge_event
from api.quotes import quote, take
from models.eligibility import KENDARI
from models.events import (
    ApplicationWaiting,
    BillLine,
    CoverageCommitted,
    Event,
    FundingKind,
    FundingMovement,
    Targeting,
)
from models.matcher import RegionMatcher
from models.nik import Sex
from models.occupations import Occupation
from models.tariff import BPU_TARIFF, Package
from tests.unit.factories import (
    KEY,
    REGION,
    T0,
    application,
    confirm_all,
    pay_all,
    pledge,
    registration_rejected,
    tick,
)

DISTRICTS = ("74.71.01", "74.71.02", "74.71.03")
OCCUPATIONS = (Occupation.FISHER, Occupation.TAILOR, Occupation.OJEK_DRIVER)
NOW = datetime(2025, 3, 2, 8, tzinfo=UTC)
"""After the closes of January and February: the region's month is March."""


def feed(m: RegionMatcher, book: DeskModel, events: list[Any]) -> list[Event]:
    out: list[Event] = []
    for e in events:
        out += m.handle(e).outputs
    for o in out:
        book.apply(o)
    return out


applicant = st.fixed_dictionaries({
    "district": st.sampled_from(DISTRICTS),
    "occupation": st.sampled_from(OCCUPATIONS),
    "sex": st.sampled_from(tuple(Sex)),
    "welfare_decile": st.one_of(st.none(), st.integers(1, 5)),
    "dependants": st.integers(0, 5),
    "breadwinner": st.booleans(),
    "minutes": st.integers(0, 50_000),
})

targeting = st.builds(
    Targeting,
    districts=st.one_of(st.none(), st.lists(st.sampled_from(DISTRICTS), min_size=1, max_size=2, unique=True)
                        .map(tuple)),
    occupations=st.one_of(st.none(), st.lists(st.sampled_from(OCCUPATIONS), min_size=1, max_size=2,
                                              unique=True).map(tuple)),
    sexes=st.one_of(st.none(), st.sampled_from(tuple(Sex)).map(lambda s: (s,))),
    max_welfare_decile=st.one_of(st.none(), st.integers(1, 5)),
)


def region_before(people: list[dict[str, Any]], early_seats: int, reject_first: bool) -> tuple[
        RegionMatcher, DeskModel]:
    """Applications, an early 1-month pledge, BPJS's answers, two closes: some waiting, some back to it."""
    m, book = RegionMatcher(REGION, KEY), DeskModel(KEY, KENDARI.priority)
    apps = [
        application(event_id=f"evt-app-{n}", application_id=f"app-{n}", serial=n + 1,
                    birth_date=date(1970 + n % 30, 1 + n % 12, 1 + n % 28),
                    submitted_at=T0 + timedelta(minutes=p["minutes"]),
                    **{k: v for k, v in p.items() if k != "minutes"})
        for n, p in enumerate(people)
    ]
    feed(m, book, apps)
    if early_seats:
        feed(m, book, [pledge(event_id="evt-early", pledge_id="early", months=1,
                              amount_idr=early_seats * 16_800, valid_until=date(2025, 1, 31))])
    answers = confirm_all(m)
    if reject_first and answers:
        answers[0] = registration_rejected(answers[0].coverage_id, event_id="reject-first")
    feed(m, book, [*answers, tick("2025-01"), tick("2025-02")])
    return m, book


def body(t: Targeting, amount: int, months: int, max_workers: int | None) -> PledgeIn:
    return PledgeIn.model_validate_json(json.dumps({
        "region": REGION, "amount_idr": amount, "months": months, "package": Package.JKK_JKM.value,
        "targeting": {k: v for k, v in t.model_dump(mode="json").items() if v is not None},
        "max_workers": max_workers, "valid_from": "2025-03-01", "valid_until": "2025-12-31"}))


@settings(max_examples=60, deadline=None)
@given(st.lists(applicant, min_size=1, max_size=25), st.integers(0, 6), st.booleans(), targeting,
       st.integers(1, 30), st.sampled_from((1, 3, 12)), st.one_of(st.none(), st.integers(1, 10)))
def test_a_quote_seats_exactly_whom_the_engine_then_seats(
    people: list[dict[str, Any]], early_seats: int, reject_first: bool, t: Targeting, seats: int, months: int,
    max_workers: int | None,
) -> None:
    m, book = region_before(people, early_seats, reject_first)
    wanted = body(t, seats * 16_800 * months + 999, months, max_workers)
    waiting = book.waiting_list(REGION)
    assert [e[3] for e, _ in waiting] == m.waiting()  # the fold is the engine's list, in its order
    answer = quote(wanted, sponsor_id="dealer-kendari", waiting=waiting, policy=KENDARI, tariff=BPU_TARIFF,
                   now=NOW)
    assert isinstance(answer, QuoteOut) and answer.accepted
    event = pledge_event(wanted, sponsor_id="dealer-kendari", idempotency_key="k", now=NOW)
    seated = [o.worker for o in m.handle(event).outputs if isinstance(o, CoverageCommitted)]
    assert [e[3] for e, _ in take(waiting, event.targeting, answer.seats)] == seated
    assert answer.workers_covered == len(seated) == answer.by_sex.total == answer.by_district.total
    assert answer.seats == min(seats, max_workers or seats)
    assert answer.committed_idr + answer.uncommitted_idr == wanted.amount_idr
    assert answer.remainder_idr == wanted.amount_idr - answer.seats * answer.seat_cost_idr
    assert answer.runway_months == (months if seated else 0)


def test_a_quote_answers_counts_by_group_suppressed_and_the_months_it_pays() -> None:
    people = [{"district": DISTRICTS[n // 2 % 2], "occupation": OCCUPATIONS[0], "sex": Sex.FEMALE,
               "welfare_decile": 1 + n % 2, "dependants": 0, "breadwinner": False, "minutes": n}
              for n in range(12)]
    _, book = region_before(people, 0, False)
    answer = quote(body(Targeting(), 10 * 16_800 * 3, 3, None), sponsor_id="s",
                   waiting=book.waiting_list(REGION), policy=KENDARI, tariff=BPU_TARIFF, now=NOW)
    assert isinstance(answer, QuoteOut) and answer.accepted
    assert (answer.seats, answer.workers_covered, answer.free_seats) == (10, 10, 0)
    assert answer.waiting_considered == 12
    assert answer.by_district.cells == {"74.71.01": 5, "74.71.02": 5} and answer.by_district.other == 0
    # Six of decile 1 and four of decile 2: the 4 is merged, then the 6 with it (other may not be 4).
    deciles = answer.by_welfare_decile
    assert (deciles.merged, deciles.other, deciles.total) == (["1", "2"], 10, 10)
    assert set(deciles.cells.values()) == {0}
    assert answer.by_sex.cells == {"F": 10, "M": 0}
    assert answer.by_occupation.cells["fisher"] == 10
    assert [(mo.period, mo.premium_idr) for mo in answer.months] == [
        ("2025-03", 16_800), ("2025-04", 16_800), ("2025-05", 16_800)]
    narrow = quote(body(Targeting(max_welfare_decile=1), 10 * 16_800 * 3, 3, None), sponsor_id="s",
                   waiting=book.waiting_list(REGION), policy=KENDARI, tariff=BPU_TARIFF, now=NOW)
    assert isinstance(narrow, QuoteOut)
    assert narrow.workers_covered == 6 and narrow.by_welfare_decile.cells["1"] == 6


def test_a_pledge_the_engine_would_reject_is_the_engine_s_rejection() -> None:
    wanted = body(Targeting(), 16_800 * 12, 5, None)
    answer = quote(wanted, sponsor_id="s", waiting=[], policy=KENDARI, tariff=BPU_TARIFF, now=NOW)
    assert (answer.accepted, answer.reason) == (False, "pledge_months_not_allowed")
    assert answer.message and "months must be one of 1, 3, 6, 12" in answer.message
    assert (answer.seats, answer.workers_covered, answer.committed_idr, answer.months) == (0, 0, 0, [])


def test_a_repeated_waiting_event_after_the_seat_does_not_put_the_worker_back() -> None:
    m, book = RegionMatcher(REGION, KEY), DeskModel(KEY, KENDARI.priority)
    out = feed(m, book, [application(event_id="evt-a", application_id="a", serial=7),
                         pledge(event_id="evt-p")])
    assert book.waiting_list(REGION) == []
    waiting = next(o for o in out if isinstance(o, ApplicationWaiting))
    assert not book.apply(waiting)  # at-least-once delivery repeats it: dropped
    assert book.waiting_list(REGION) == []


def test_equal_keys_go_to_the_earlier_submission_as_in_the_engine() -> None:
    """Y scores 5 points more but applied 10 days (5 points of waiting) later: the keys tie, X goes first.

    Events carry the key and the points, not the submission time; the book derives it from both.
    """
    m, book = RegionMatcher(REGION, KEY), DeskModel(KEY, KENDARI.priority)
    x = application(event_id="evt-x", application_id="app-b", serial=1, dependants=0,
                    submitted_at=T0 - timedelta(days=10))
    y = application(event_id="evt-y", application_id="app-a", serial=2, dependants=1, submitted_at=T0)
    feed(m, book, [x, y])
    waiting = book.waiting_list(REGION)
    assert waiting[0][0][0] == waiting[1][0][0]  # the same key
    assert [e[2] for e, _ in waiting] == ["app-b", "app-a"]
    assert [e[3] for e, _ in waiting] == m.waiting()


def test_a_quote_s_months_are_billed_as_the_engine_then_bills_them() -> None:
    """In December 2025 an ojek driver and a tailor wait; a 6-month pledge for both is quoted, then
    submitted. PP 50/2025 halves JKK+JKM for the driver from January and for both from April: each
    quoted month's ``billed_idr`` is what the engine's bill lines for it add up to, and the expected
    return is the engine's ``repriced`` movements."""
    dec = datetime(2025, 12, 3, 1, tzinfo=UTC)
    m, book = RegionMatcher(REGION, KEY), DeskModel(KEY, KENDARI.priority)
    feed(m, book, [application(event_id=f"evt-{o.value}", application_id=f"app-{o.value}", serial=n + 1,
                               occupation=o, event_time=dec, submitted_at=dec)
                   for n, o in enumerate((Occupation.OJEK_DRIVER, Occupation.TAILOR))])
    wanted = PledgeIn.model_validate_json(json.dumps({
        "region": REGION, "amount_idr": 2 * 16_800 * 6, "months": 6, "package": Package.JKK_JKM.value,
        "targeting": {}, "valid_from": "2025-12-01", "valid_until": "2026-12-31"}))
    answer = quote(wanted, sponsor_id="dealer-kendari", waiting=book.waiting_list(REGION), policy=KENDARI,
                   tariff=BPU_TARIFF, now=dec)
    assert [(mo.period, mo.committed_idr, mo.billed_idr, mo.discounted_workers) for mo in answer.months] == [
        ("2025-12", 33_600, 33_600, 0), ("2026-01", 33_600, 25_200, 1), ("2026-02", 33_600, 25_200, 1),
        ("2026-03", 33_600, 25_200, 1), ("2026-04", 33_600, 16_800, 2), ("2026-05", 33_600, 16_800, 2)]
    assert answer.expected_repriced_idr == 3 * 8_400 + 2 * 16_800
    out = feed(m, book, [pledge_event(wanted, sponsor_id="dealer-kendari", idempotency_key="k", now=dec)])
    out += feed(m, book, confirm_all(m))
    billed: dict[str, int] = {}
    for month in (mo.period for mo in answer.months):
        closed = feed(m, book, [tick(month)])
        billed[month] = sum(o.amount_idr for o in closed if isinstance(o, BillLine))
        out += closed + feed(m, book, pay_all(m))
    assert billed == {mo.period: mo.billed_idr for mo in answer.months}
    repriced = [o for o in out if isinstance(o, FundingMovement) and o.kind is FundingKind.REPRICED]
    assert sum(o.amount_idr for o in repriced) == answer.expected_repriced_idr
    off = quote(wanted, sponsor_id="s", waiting=[], policy=KENDARI.model_copy(
        update={"apply_tariff_discounts": False}), tariff=BPU_TARIFF, now=dec)
    assert off.expected_repriced_idr == 0 and {mo.billed_idr for mo in off.months} == {0}

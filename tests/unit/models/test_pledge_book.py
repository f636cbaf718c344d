"""The one read model of pledges (``models.pledge_book``), and the API and the dashboard agreeing on it.

The outside tester's sequence: sponsor B posts sponsor A's pledge id first
(the squat), A posts it, A's duplicate submission is rejected. The dashboard
then showed A's full pledge as "Ditolak/Rejected" while the API showed it
exhausted. The events below are the real matcher's, folded in every topic
interleaving Kafka allows, with redeliveries.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from api.read_model import ReadModel
from dashboard.read_model import CityView
from models.events import (
    ApplicationRejected,
    ApplicationWaiting,
    BillIssued,
    BillLine,
    CoverageActivated,
    CoverageCommitted,
    CoverageExpired,
    CoverageRenewed,
    Event,
    FundingMovement,
    MonthTick,
    PayerMovement,
    PaymentReconciled,
    PledgeSubmitted,
    pledge_key,
)
from models.matcher import RegionMatcher
from models.pledge_book import PledgeBooks
from tests.unit.factories import KEY, REGION, application, confirm_all, pay_all, pledge, tick

SEAT = 16_800 * 12
A, B = "dealer-kendari", "bank-sultra"


def by(sponsor: str, pledge_id: str, event_id: str, **fields: Any) -> PledgeSubmitted:
    return pledge(pledge_id=pledge_id, sponsor_id=sponsor, payer_id=sponsor, event_id=event_id, **fields)


def story() -> list[Event]:
    """Inputs and the matcher's outputs, in region-log order."""
    inputs: list[Any] = [
        *(application(serial=n) for n in range(3)),
        by(B, "pl-1", "b-squat", amount_idr=SEAT),  # B takes A's id first
        by(A, "pl-1", "a-1", amount_idr=2 * SEAT),  # A's own pledge, accepted regardless
        by(A, "pl-1", "a-1-again", amount_idr=2 * SEAT),  # A's duplicate: rejected, A's pledge stays
        by(A, "pl-2", "a-2-odd", months=7),  # rejected ...
        by(A, "pl-2", "a-2", amount_idr=SEAT + 5_000),  # ... corrected under the same id: accepted
        by(B, "pl-3", "b-huge", amount_idr=10**15),  # over the city's bound
        application(serial=7),
        *(tick(f"2025-{month:02d}") for month in range(1, 13)),
    ]
    matcher = RegionMatcher(REGION, KEY)
    events: list[Event] = []
    for event in inputs:
        if isinstance(event, PledgeSubmitted):
            events.append(event)
        events.extend(matcher.handle(event).outputs)
        # BPJS confirms every registration, and the payer pays every bill on time
        for answer in [*confirm_all(matcher), *(pay_all(matcher) if isinstance(event, MonthTick) else [])]:
            events.extend(matcher.handle(answer).outputs)
    return events


STORY = story()


def partition_of(event: Event) -> str:
    """Which topic partition carries it: Kafka keeps the order within one, not between them."""
    if isinstance(event, PledgeSubmitted):
        return "pledges"
    if isinstance(event, ApplicationWaiting | ApplicationRejected):
        return "application-status"
    if isinstance(event, CoverageCommitted | CoverageActivated | CoverageRenewed | CoverageExpired):
        return "coverage"
    if isinstance(event, FundingMovement | PayerMovement):
        return "funding"
    if isinstance(event, BillLine | BillIssued | PaymentReconciled):
        return "billing"
    return f"pledge-status/{pledge_key(event.sponsor_id, event.pledge_id)}"  # type: ignore[union-attr]


def interleave(events: list[Event], rng: random.Random, repeats: int) -> list[Event]:
    queues: dict[str, list[Event]] = {}
    for event in events:
        queues.setdefault(partition_of(event), []).append(event)
    merged: list[Event] = []
    while any(queues.values()):
        merged.append(queues[rng.choice(sorted(q for q in queues if queues[q]))].pop(0))
    for _ in range(repeats):  # a redelivery comes after its original
        original = rng.randrange(len(merged))
        merged.insert(rng.randrange(original + 1, len(merged) + 1), merged[original])
    return merged


def books(events: list[Event]) -> PledgeBooks:
    folded = PledgeBooks()
    for event in events:
        folded.apply(event)
    return folded


def api_view(events: list[Event]) -> ReadModel:
    model = ReadModel()
    for event in events:
        model.apply(event)
    return model


def dashboard_view(events: list[Event]) -> CityView:
    view = CityView()
    for event in events:
        view.apply(event)
    return view


# ------------------------------------------------------------ the fold


def test_each_sponsor_s_pledge_with_one_id_is_its_own_book() -> None:
    folded = books(STORY)
    theirs, mine = folded.book(B, "pl-1"), folded.book(A, "pl-1")
    assert theirs is not None and mine is not None
    assert (theirs.seats, theirs.seats_filled, theirs.status) == (1, 1, "expired")
    assert (mine.seats, mine.seats_filled, mine.balances.pledged_idr) == (2, 2, 2 * SEAT)
    assert [b.pledge_id for b in folded.of_sponsor(B)] == ["pl-1", "pl-3"]
    assert folded.book(B, "pl-2") is None


def test_a_duplicate_s_rejection_never_downgrades_the_accepted_pledge() -> None:
    """After the squat and the duplicate, A's full pledge reads exhausted, then expired: never rejected."""
    cut = next(i for i, e in enumerate(STORY) if e.event_id == "pledge.rejected:a-1-again") + 1
    before_expiry = books(STORY[:cut]).book(A, "pl-1")
    assert before_expiry is not None
    assert (before_expiry.status, before_expiry.reason, before_expiry.message) == ("exhausted", None, None)
    assert before_expiry.rejection is not None and before_expiry.rejection[0] == "duplicate_pledge"
    final = books(STORY).book(A, "pl-1")
    assert final is not None and final.status == "expired"


def test_a_rejected_id_corrected_and_accepted_reads_accepted_without_the_old_reason() -> None:
    cut = next(i for i, e in enumerate(STORY) if e.event_id == "pledge.rejected:a-2-odd") + 1
    rejected = books(STORY[:cut]).book(A, "pl-2")
    assert rejected is not None
    assert (rejected.status, rejected.reason) == ("rejected", "pledge_months_not_allowed")
    later = books(STORY[: cut + 3]).book(A, "pl-2")
    assert later is not None and (later.status, later.reason, later.seats) == ("accepted", None, 1)


def test_a_pledge_over_the_bound_reads_rejected_with_its_reason() -> None:
    huge = books(STORY).book(B, "pl-3")
    assert huge is not None
    assert (huge.status, huge.reason) == ("rejected", "pledge_amount_above_limit")
    assert huge.balances.pledged_idr == 0


def test_a_ledger_movement_read_before_the_acceptance_already_means_accepted() -> None:
    movement = next(e for e in STORY if isinstance(e, FundingMovement) and e.sponsor_id == A)
    book = books([movement]).book(A, movement.pledge_id)
    assert book is not None and book.status == "accepted"


@given(st.randoms(use_true_random=False), st.integers(min_value=0, max_value=20))
def test_any_interleaving_of_the_topics_with_redeliveries_gives_the_same_books(
    rng: random.Random, repeats: int
) -> None:
    expected, got = books(STORY), books(interleave(STORY, rng, repeats))
    assert len(got) == len(expected) == 4
    for sponsor in (A, B):
        assert got.of_sponsor(sponsor) == expected.of_sponsor(sponsor)


# ------------------------------------------------------------ one read model, two readers


def agreement(events: list[Event]) -> None:
    """Every pledge the dashboard shows is the one the API answers its sponsor, and the dashboard
    shows every pledge the engine has answered (the API alone reads submissions)."""
    api, rows = api_view(events), dashboard_view(events).snapshot(REGION).pledges
    answered = {
        (book.sponsor_id, book.pledge_id)
        for sponsor in (A, B)
        for book in api.books.of_sponsor(sponsor)
        if book.status != "submitted"
    }
    assert sorted((r.sponsor_id, r.pledge_id) for r in rows) == sorted(answered)
    for row in rows:
        answer = api.pledge(row.sponsor_id, row.pledge_id)
        assert answer is not None
        assert (row.status, row.reason, row.seats, row.seats_filled) == (
            answer.status, answer.reason, answer.seats or 0, answer.seats_filled
        )
        assert (row.pledged_idr, row.committed_idr, row.paid_idr, row.returned_idr) == (
            answer.pledged_idr, answer.committed_idr, answer.paid_idr, answer.returned_idr
        )
        assert (row.remaining_idr, row.runway_months) == (answer.remaining_idr, answer.runway_months)


def test_the_api_and_the_dashboard_agree_on_every_pledge_at_every_point_of_the_story() -> None:
    for cut in range(len(STORY) + 1):
        agreement(STORY[:cut])
    squat_done = next(i for i, e in enumerate(STORY) if e.event_id == "pledge.rejected:a-1-again") + 1
    rows = dashboard_view(STORY[:squat_done]).snapshot(REGION).pledges
    assert [(r.sponsor_id, r.pledge_id, r.status, r.seats_filled) for r in rows] == [
        (B, "pl-1", "exhausted", 1), (A, "pl-1", "exhausted", 2)
    ]
    assert sorted((r.sponsor_id, r.pledge_id) for r in dashboard_view(STORY).snapshot(REGION).pledges) == [
        (B, "pl-1"), (B, "pl-3"), (A, "pl-1"), (A, "pl-2")
    ]


@given(st.randoms(use_true_random=False), st.integers(min_value=0, max_value=10))
def test_the_api_and_the_dashboard_agree_in_any_interleaving(rng: random.Random, repeats: int) -> None:
    agreement(interleave(STORY, rng, repeats))

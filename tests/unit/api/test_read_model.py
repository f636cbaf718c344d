"""The sponsor's books, folded from what the real matcher emits, in any order, repeats included."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from api.read_model import ReadModel
from jaring.bpjs import Simulator, drive
from models.events import Event, FundingMovement, Input, OutputEvent, PledgeSubmitted
from models.matcher import RegionMatcher
from tests.unit.factories import KEY, REGION, application, pledge, tick

SEAT = 16_800 * 12


def run(*inputs: Input) -> list[Event]:
    """The inputs and the matcher's outputs; BPJS confirms every seat and payers pay on time."""
    matcher = RegionMatcher(REGION, KEY)
    events: list[Event] = []

    def handle(event: Input) -> list[OutputEvent]:
        events.append(event)
        outputs = matcher.handle(event).outputs
        events.extend(outputs)
        return outputs

    drive(inputs, handle, Simulator())
    return events


def fold(events: list[Event]) -> ReadModel:
    model = ReadModel()
    for event in events:
        model.apply(event)
    return model


def story() -> tuple[PledgeSubmitted, list[Event]]:
    """Two workers apply; a 3-seat pledge covers them; two months are billed and January's paid."""
    p = pledge(pledge_id="pl-1", amount_idr=3 * SEAT + 5_000)
    return p, run(application(serial=1), application(serial=2), p, tick("2025-01"), tick("2025-02"))


def test_a_pledge_book_matches_the_engines_last_ledger_movement() -> None:
    p, events = story()
    out = fold(events).pledge("dealer-kendari", "pl-1")
    assert out is not None
    last = [e for e in events if isinstance(e, FundingMovement)][-1].balances
    assert (out.status, out.seats, out.seats_filled, out.workers_covered, out.workers_active) == (
        "accepted",
        3,
        2,
        2,
        2,
    )
    assert (out.pledged_idr, out.committed_idr, out.paid_idr) == (last.pledged_idr, 2 * SEAT, 2 * 16_800)
    assert out.uncommitted_idr == SEAT + 5_000
    assert out.remaining_idr == out.pledged_idr - out.paid_idr
    assert out.runway_months == last.runway_months == 10
    assert (out.valid_from, out.amount_idr) == (p.valid_from, p.amount_idr)


def test_a_submitted_pledge_is_visible_before_the_engine_answers() -> None:
    model = fold([pledge(pledge_id="pl-1")])
    book = model.pledge("dealer-kendari", "pl-1")
    assert book is not None and book.status == "submitted" and book.pledged_idr == 0


def test_another_sponsors_pledge_is_invisible_even_with_the_same_id() -> None:
    _, events = story()
    model = fold([*events, pledge(pledge_id="pl-1", sponsor_id="bank-sultra", event_id="other")])
    assert model.pledge("bank-sultra", "pl-1") is not None
    assert model.pledge("bank-sultra", "pl-1").status == "submitted"  # type: ignore[union-attr]
    assert model.pledge("dealer-kendari", "pl-1").status == "accepted"  # type: ignore[union-attr]
    assert model.sponsor("nobody").pledges == []


def test_a_duplicate_submission_rejected_by_the_engine_leaves_the_accepted_pledge_accepted() -> None:
    p = pledge(pledge_id="pl-1")
    events = run(p, pledge(pledge_id="pl-1", event_id="again"))
    assert [e.type for e in events].count("pledge.rejected") == 1
    assert fold(events).pledge("dealer-kendari", "pl-1").status == "accepted"  # type: ignore[union-attr]


def test_the_sponsor_ledger_sums_its_pledges() -> None:
    p2 = pledge(pledge_id="pl-2", amount_idr=SEAT)
    events = run(application(serial=1), pledge(pledge_id="pl-1", amount_idr=SEAT), p2, application(serial=2))
    ledger = fold(events).sponsor("dealer-kendari")
    assert [p.pledge_id for p in ledger.pledges] == ["pl-1", "pl-2"]
    assert (ledger.totals.pledges, ledger.totals.pledged_idr, ledger.totals.committed_idr) == (
        2,
        2 * SEAT,
        2 * SEAT,
    )
    assert ledger.totals.workers_covered == 2


@given(st.randoms(use_true_random=False), st.integers(min_value=0, max_value=10))
def test_any_order_and_any_repeats_give_the_same_books(rng: random.Random, repeats: int) -> None:
    _, events = story()
    expected = fold(events).sponsor("dealer-kendari")
    # Topics interleave freely, but one pledge's funding movements keep their partition's order
    # (a redelivered movement comes after the original, and is dropped by id).
    funding = [e for e in events if isinstance(e, FundingMovement)]
    others = [e for e in events if not isinstance(e, FundingMovement)]
    shuffled = [*others, *(rng.choice(others) for _ in range(repeats))]
    rng.shuffle(shuffled)
    total = len(shuffled) + len(funding)
    slots = set(rng.sample(range(total), len(funding)))
    in_order, anyhow = iter(funding), iter(shuffled)
    merged = [next(in_order) if i in slots else next(anyhow) for i in range(total)]
    got = fold(merged).sponsor("dealer-kendari")
    assert got.totals == expected.totals
    assert [p.model_dump(exclude={"updated_at"}) for p in got.pledges] == [
        p.model_dump(exclude={"updated_at"}) for p in expected.pledges
    ]


def test_a_repeated_event_is_dropped_by_its_id() -> None:
    _, events = story()
    model = ReadModel()
    first = {e.event_id: model.apply(e) for e in events}  # every event once (bills and payments too)
    assert all(
        first[e.event_id]
        for e in events
        if e.type.startswith("pledge.")
        or e.type in ("funding.movement", "coverage.committed", "coverage.renewed", "coverage.expired")
    )
    assert not any(model.apply(e) for e in events)

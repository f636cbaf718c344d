"""The payers' read model (``api.payer_model``) against the engine's own state, in any topic interleaving.

The story is the real matcher's: two payers, registrations confirmed,
rejected and left to expire, payments exact, short, late, over, duplicate
and to an unknown reference, a payer that never pays (its terms lapse and
their lines are written off), an ended term whose last month stays unpaid
(written off after the arrears window), and a refund settled in part. After
every input, what the fold says about each payer is compared with the
matcher's snapshot: pending seats, each bill's paid and written-off money,
which lines are still unpaid, refunds and accounts.
"""

from __future__ import annotations

import random
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from api.payer_model import ARCHIVED, BillView, LineView, PayerBooks
from models.events import (
    BillLine,
    CoverageLapsed,
    Event,
    FundingKind,
    FundingMovement,
    MonthTick,
    PaymentReconciled,
    RefundOwed,
)
from models.matcher import RegionMatcher
from models.pledge_book import PledgeBooks
from models.topics import route
from tests.unit.factories import (
    KEY,
    REGION,
    application,
    confirmed,
    payment,
    pledge,
    registration_rejected,
    settled,
    tick,
)
from tests.unit.models.test_matcher_tariff import two_workers

LINE = 16_800
SEAT6 = LINE * 6
PAYERS = ("payer-a", "payer-b")


@dataclass(frozen=True)
class Truth:
    """What the matcher holds about the payers after one input."""

    pending: dict[str, set[str]]
    bills: dict[str, tuple[str, int, int, int, int, date]]
    """bill_id -> (payer, lines, total, paid, written off, due date)."""
    unpaid: set[tuple[str, str]]
    """(coverage id, period) of every line still unpaid."""
    refunds: dict[str, tuple[str, int, int]]
    accounts: dict[tuple[str, str], tuple[int, int, int, int]]
    seats: dict[str, tuple[int, int]]
    """pledge id -> (seats committed, seats active)."""


def truth(m: RegionMatcher) -> Truth:
    snap = m.snapshot()
    committed = set(m.committed())
    pending: dict[str, set[str]] = {p: set() for p in PAYERS}
    unpaid: set[tuple[str, str]] = set()
    terms = [w.coverage for w in snap.workers if w.coverage is not None] + list(snap.terms)
    seats = {p: (sum(t.pledge_id == p and t.state == "committed" for t in terms),
                 sum(t.pledge_id == p and t.state == "active" for t in terms)) for p in ("pl-a", "pl-b")}
    for t in terms:
        if t.coverage_id in committed:
            pending[t.payer_id].add(t.coverage_id)
        unpaid |= {(t.coverage_id, q) for q in t.unpaid_periods}
    return Truth(
        pending=pending,
        bills={b.bill_id: (b.payer_id, b.lines, b.total_idr, b.paid_idr, b.written_off_idr, b.due_date)
               for b in snap.bills},
        unpaid=unpaid,
        refunds={r.refund_id: (r.payer_id, r.amount_idr, r.refunded_idr) for r in snap.refunds},
        accounts={(a.payer_id, a.region): (a.received_idr, a.applied_idr, a.refunds_owed_idr, a.refunded_idr)
                  for a in snap.payers},
        seats=seats,
    )


def payer_of(m: RegionMatcher, coverage_id: str) -> str:
    term = m.term(coverage_id)
    assert term is not None
    return term.payer_id


def story() -> tuple[list[Event], list[tuple[int, Truth]]]:
    """Events in region-log order, and the matcher's truth after each input (at that many events)."""
    m = RegionMatcher(REGION, KEY)
    events: list[Event] = []
    truths: list[tuple[int, Truth]] = []
    n = {"event": 0}

    def feed(*inputs: Any) -> None:
        for event in inputs:
            events.append(event)
            events.extend(m.handle(event).outputs)
            truths.append((len(events), truth(m)))

    def pay(payer: str, period: str, amount: int | Callable[[int], int] | None = None, **fields: Any) -> None:
        bill_id = f"bill:{REGION}:{payer}:{period}"
        bill = next(b for b in m.snapshot().bills if b.bill_id == bill_id)
        owed = bill.total_idr - bill.paid_idr - bill.written_off_idr
        n["event"] += 1
        fields.setdefault("payment_id", f"TX-{payer}-{period}-{n['event']}")
        feed(payment(bill_id, owed if amount is None else amount(owed) if callable(amount) else amount,
                     payer_id=payer, event_id=f"pay-{n['event']}", **fields))

    feed(*(application(serial=200 + i) for i in range(8)))
    feed(
        pledge(pledge_id="pl-a", payer_id="payer-a", amount_idr=3 * SEAT6, months=6),
        pledge(pledge_id="pl-b", sponsor_id="bank-sultra", payer_id="payer-b", amount_idr=3 * SEAT6,
               months=6),
    )
    first, *rest = m.committed()
    # one rejected (its seat goes to a waiting worker), one left unconfirmed (cancelled at its deadline)
    feed(registration_rejected(first, payer_id=payer_of(m, first)),
         *(confirmed(c, payer_id=payer_of(m, c), event_id=f"confirm-{c}") for c in rest[:-1]))
    for month in range(1, 11):
        period, previous = f"2025-{month:02d}", f"2025-{month - 1:02d}"
        if month == 3:
            feed(*(confirmed(c, payer_id=payer_of(m, c), event_id=f"confirm-{c}") for c in m.committed()))
        if month == 3:
            pay("payer-a", previous)  # the rest of February's bill, after its due date: arrears paid
        if month == 4:
            pay("payer-a", "2025-03", 1_000, payment_id="TX-payer-a-2025-03-over")  # reported again
            pay("payer-a", "2025-02", 5_000)  # the bill is paid in full: all of it comes back
        feed(tick(period))
        if month == 1:
            pay("payer-a", period)  # exact
        elif month == 2:
            pay("payer-a", period, lambda owed: owed - 100)  # short: one line less, the rest owed back
        elif month == 3:
            pay("payer-a", period, lambda owed: owed + 5_000, payment_id="TX-payer-a-2025-03-over")
        elif month in (4, 5):
            pay("payer-a", period)
        # June's bill is never paid: the term ends, its line is written off after the window
    feed(payment("bill:74.71:payer-a:2030-01", 7_000, payer_id="payer-a", event_id="pay-unknown",
                 payment_id="TX-unknown"))
    refund = next(r.refund_id for r in m.snapshot().refunds if r.amount_idr == 5_000 and r.payment_id
                  and "over" in r.payment_id)
    feed(settled(refund, 2_000, event_id="settle-1"))
    return events, truths


EVENTS, TRUTHS = story()


def fold(events: list[Event]) -> PayerBooks:
    books = PayerBooks()
    for event in events:
        books.apply(event)
    return books


def lines_of(books: PayerBooks, payer: str, bill: BillView) -> list[LineView]:
    found = books.bill(payer, bill.bill_id)
    assert found is not None
    return list(found[1])


def assert_agrees(books: PayerBooks, t: Truth) -> None:
    for payer in PAYERS:
        assert {r.coverage_id for r in books.pending(payer)} == t.pending[payer]
        bills = books.bills_of(payer)
        assert {b.bill_id: (payer, b.lines, b.total_idr, b.paid_idr, b.written_off_idr, b.due_date)
                for b in bills} == {k: v for k, v in t.bills.items() if v[0] == payer}
        for bill in bills:
            lines = lines_of(books, payer, bill)
            assert [ln.line_no for ln in lines] == list(range(1, bill.lines + 1))
            unpaid = {(ln.coverage_id, bill.period) for ln in lines if ln.state in ("due", "in_arrears")}
            assert unpaid == {u for u in t.unpaid if u[1] == bill.period and u[0] in
                              {ln.coverage_id for ln in lines}}
            owed = sum(ln.amount_idr for ln in lines if ln.state in ("due", "in_arrears"))
            assert bill.outstanding_idr == owed
        assert {r.refund_id: (payer, r.amount_idr, r.refunded_idr) for r in books.refunds_of(payer)} == {
            k: v for k, v in t.refunds.items() if v[0] == payer
        }
        assert {(payer, region): (a.received_idr, a.applied_idr, a.refunds_owed_idr, a.refunded_idr)
                for region, a in books.accounts_of(payer).items()} == {
            k: v for k, v in t.accounts.items() if k[0] == payer
        }


def test_after_every_input_the_pledges_seats_by_state_are_the_engine_s() -> None:
    """The sponsor's view (``models.pledge_book``, the API's and the dashboard's fold) of the same story."""
    for cut, t in TRUTHS:
        books = PledgeBooks()
        for event in EVENTS[:cut]:
            books.apply(event)
        for sponsor, pledge_id in (("dealer-kendari", "pl-a"), ("bank-sultra", "pl-b")):
            book = books.book(sponsor, pledge_id)
            got = (0, 0) if book is None else (book.by_state()["seats_committed"],
                                               book.by_state()["seats_active"])
            assert got == t.seats[pledge_id], (cut, pledge_id)


# ------------------------------------------------------------ the story covers every path


def test_the_story_has_every_outcome_a_lapse_and_an_ended_term_s_write_off() -> None:
    outcomes = {e.outcome for e in EVENTS if isinstance(e, PaymentReconciled)}
    assert outcomes == {"exact", "short", "over", "unknown_reference", "duplicate"}
    lapsed = {e.coverage_id for e in EVENTS if isinstance(e, CoverageLapsed)}
    written = {e.coverage_id for e in EVENTS
               if isinstance(e, FundingMovement) and e.kind is FundingKind.WRITTEN_OFF}
    assert lapsed and written - lapsed, "a lapse, and an ended term's lines written off"
    assert {e.cause for e in EVENTS if isinstance(e, RefundOwed)} >= {
        "overpayment", "short_remainder", "unknown_reference"
    }


# ------------------------------------------------------------ the fold agrees with the engine


def test_after_every_input_each_payer_s_desk_is_the_engine_s() -> None:
    for cut, t in TRUTHS:
        assert_agrees(fold(EVENTS[:cut]), t)


def test_with_payments_and_write_offs_frozen_as_months_pass_each_desk_is_still_the_engine_s() -> None:
    """The API's fold freezes line states month by month (``PayerBooks._freeze``); a window longer than
    the story archives nothing, so every line is still there to compare with the engine's."""
    books, done = PayerBooks(keep_months=len(TRUTHS)), 0
    for cut, t in TRUTHS:
        for event in EVENTS[done:cut]:
            books.apply(event)
        done = cut
        assert_agrees(books, t)
    assert books._frozen  # noqa: SLF001 - the months were frozen, or this compared nothing new


def test_a_pending_registration_is_listed_until_bpjs_answers_or_its_deadline_passes() -> None:
    everyone = [t.pending for _, t in TRUTHS]
    assert any(p["payer-a"] for p in everyone) and any(p["payer-b"] for p in everyone)
    pending = fold(EVENTS[:TRUTHS[9][0]]).pending("payer-a")  # after the pledges, before any answer
    assert [r.registration_due_period for r in pending] == ["2025-02"] * len(pending)
    assert all(r.region == REGION and r.pledge_id == "pl-a" and r.worker.startswith("w_") for r in pending)


def test_a_line_left_unpaid_reads_due_then_in_arrears_then_written_off() -> None:
    """June's bill of payer-a is never paid: due after June's close, in arrears after July's, written
    off at October's (more than three months past due)."""
    ticks = {e.period: i for i, e in enumerate(EVENTS) if isinstance(e, MonthTick)}
    after = {period: next(cut for cut, _ in TRUTHS if cut > at) for period, at in ticks.items()}

    def june(cut: int) -> tuple[str, set[str]]:
        books = fold(EVENTS[:cut])
        bill = next(b for b in books.bills_of("payer-a") if b.period == "2025-06")
        return bill.state, {ln.state for ln in lines_of(books, "payer-a", bill)}

    assert june(after["2025-06"]) == ("due", {"due"})
    assert june(after["2025-09"]) == ("in_arrears", {"in_arrears"})
    assert june(after["2025-10"]) == ("written_off", {"written_off"})
    may = next(b for b in fold(EVENTS).bills_of("payer-a") if b.period == "2025-05")
    assert may.state == "paid"


def test_repeats_change_nothing() -> None:
    books = fold(EVENTS)
    before = snapshot_of(books)
    for event in EVENTS:
        assert books.apply(event) is False
    assert snapshot_of(books) == before


def snapshot_of(books: PayerBooks) -> Any:
    return [
        (books.pending(p), [(b, lines_of(books, p, b)) for b in books.bills_of(p)], books.refunds_of(p),
         books.accounts_of(p))
        for p in PAYERS
    ]


def partition_of(event: Event) -> tuple[str, bytes | None]:
    """Kafka keeps the order within one topic partition (topic and key here), not between them."""
    return route(event)


def interleave(events: list[Event], rng: random.Random, repeats: int) -> list[Event]:
    queues: dict[tuple[str, bytes | None], list[Event]] = {}
    for event in events:
        queues.setdefault(partition_of(event), []).append(event)
    merged: list[Event] = []
    while any(queues.values()):
        merged.append(queues[rng.choice(sorted(q for q in queues if queues[q]))].pop(0))
    for _ in range(repeats):  # a redelivery comes after its original
        original = rng.randrange(len(merged))
        merged.insert(rng.randrange(original + 1, len(merged) + 1), merged[original])
    return merged


EXPECTED = snapshot_of(fold(EVENTS))


@settings(max_examples=60, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(min_value=0, max_value=30))
def test_any_interleaving_of_the_topics_with_redeliveries_gives_the_same_desks(
    rng: random.Random, repeats: int
) -> None:
    assert snapshot_of(fold(interleave(EVENTS, rng, repeats))) == EXPECTED


# ------------------------------------------------------------ memory


def test_a_bill_line_costs_under_300_bytes_held(capsys: Any) -> None:
    """Lines are the big part of the model: parallel arrays, two strings per line."""
    lines = 20_000

    def made() -> Any:
        for i in range(lines):
            yield BillLine(
                event_id=f"bill.line:bill:74.71:payer-m:2025-01:c{i}",
                event_time=datetime(2025, 1, 28, tzinfo=UTC), region=REGION, period="2025-01",
                bill_id="bill:74.71:payer-m:2025-01", line_no=i + 1, payer_id="payer-m",
                coverage_id=f"dealer-kendari:pl-1:w_{i:024x}:1", worker=f"w_{i:024x}",
                membership_number=f"{10_000_000_000 + i}", pledge_id="pl-1", sponsor_id="dealer-kendari",
                months=1, amount_idr=LINE,
            )

    books = PayerBooks()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for line in made():  # each event is dropped once folded, as the reader drops it
            books.apply(line)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    per_line = held / lines
    with capsys.disabled():
        print(f"\npayer model: {per_line:.0f} bytes per bill line held ({lines} lines)")
    assert books.line_count() == lines
    assert per_line < 300


# ------------------------------------------------------------ the window of bill lines kept


def assert_same_within_window(windowed: PayerBooks, full: PayerBooks) -> None:
    """Every answer of a fold that archives settled bills is the full fold's, except an archived bill's
    lines, which are settled and outside the window."""
    for p in PAYERS:
        assert windowed.pending(p) == full.pending(p)
        assert windowed.refunds_of(p) == full.refunds_of(p)
        assert windowed.accounts_of(p) == full.accounts_of(p)
        assert windowed.bills_of(p) == full.bills_of(p)
        for bill in full.bills_of(p):
            kept, whole = windowed.bill(p, bill.bill_id), full.bill(p, bill.bill_id)
            assert kept is not None and whole is not None and kept[0] == whole[0]
            assert not isinstance(whole[1], str)
            if isinstance(kept[1], str):
                assert kept[1] == ARCHIVED
                assert all(ln.state in ("paid", "written_off") for ln in whole[1])
            else:
                assert list(kept[1]) == list(whole[1])


def test_archived_bills_change_no_answer_after_any_input() -> None:
    """The story in its log order, a window of no closed months (archive as soon as settled): after
    every event, every answer agrees with the fold that keeps every line."""
    windowed, full = PayerBooks(keep_months=0), PayerBooks()
    for event in EVENTS:
        assert windowed.apply(event) == full.apply(event)
        assert_same_within_window(windowed, full)
    archived = [b for p in PAYERS for b in full.bills_of(p)
                if (windowed.bill(p, b.bill_id) or (b, ""))[1] == ARCHIVED]
    assert len(archived) >= 3
    assert windowed.line_count() < full.line_count()


@settings(max_examples=40, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(min_value=0, max_value=30), st.sampled_from([0, 1, 2]))
def test_any_interleaving_with_redeliveries_archives_without_changing_an_answer(
    rng: random.Random, repeats: int, keep: int
) -> None:
    windowed, full = PayerBooks(keep_months=keep), PayerBooks()
    for event in interleave(EVENTS, rng, repeats):
        windowed.apply(event)
        full.apply(event)
        assert_same_within_window(windowed, full)
    assert snapshot_of(full) == EXPECTED


def short_payer_story() -> list[Event]:
    """A payer who pays every bill one line short: bills stay part paid when their months freeze,
    then the term lapses and the unpaid lines are written off."""
    m = RegionMatcher(REGION, KEY)
    events: list[Event] = []

    def feed(*inputs: Any) -> None:
        for event in inputs:
            events.extend(m.handle(event).outputs)

    feed(*(application(serial=300 + i) for i in range(4)))
    feed(pledge(pledge_id="pl-s", payer_id="payer-a", amount_idr=4 * SEAT6, months=6))
    feed(*(confirmed(c, payer_id="payer-a", event_id=f"confirm-{c}") for c in m.committed()))
    for month in range(1, 10):
        feed(tick(f"2025-{month:02d}"))
        for b in m.snapshot().bills:
            owed = b.total_idr - b.paid_idr - b.written_off_idr
            if b.period == f"2025-{month:02d}" and owed > LINE:
                feed(payment(b.bill_id, owed - LINE, payer_id="payer-a", event_id=f"short-{b.bill_id}",
                             payment_id=f"TX-short-{month}"))
    return events


SHORT = short_payer_story()


@settings(max_examples=30, deadline=None)
@given(st.randoms(use_true_random=False), st.sampled_from([0, 1]))
def test_bills_part_paid_when_frozen_keep_their_paid_lines(rng: random.Random, keep: int) -> None:
    windowed, full = PayerBooks(keep_months=keep), PayerBooks()
    for event in interleave(SHORT, rng, 5):
        windowed.apply(event)
        full.apply(event)
        assert_same_within_window(windowed, full)
    states = {ln.state for b in full.bills_of("payer-a") for ln in lines_of(full, "payer-a", b)}
    assert {"paid", "written_off"} <= states
    # frozen payments and write-offs are dropped: left are those of the months after the last frozen one
    late = [e for e in SHORT if e.period > windowed._frozen[REGION]  # noqa: SLF001
            and ((isinstance(e, PaymentReconciled) and e.lines_paid)
                 or (isinstance(e, FundingMovement) and e.kind is FundingKind.WRITTEN_OFF))]
    assert windowed.held()["steps"] == len(late) < full.held()["steps"]


def test_a_lapse_writes_off_lines_of_different_amounts_whole() -> None:
    """An ojek driver's lines from December 2025 to March 2026 are Rp 16,800 then three of Rp 8,400
    (PP 50/2025); nothing is paid, so the April close lapses the terms: every line reads written off,
    each bill's written-off money is the engine's."""
    m, _, _ = two_workers()
    events: list[Event] = [o for month in ("2025-12", "2026-01", "2026-02", "2026-03", "2026-04")
                           for o in m.handle(tick(month)).outputs]
    assert len([e for e in events if isinstance(e, CoverageLapsed)]) == 2
    books = fold(events)
    bills = books.bills_of("dealer-kendari")
    assert [b.period for b in bills] == ["2025-12", "2026-01", "2026-02", "2026-03"]
    for bill in bills:
        assert {ln.state for ln in lines_of(books, "dealer-kendari", bill)} == {"written_off"}, bill.period
    engine = {b.bill_id: b.written_off_idr for b in m.snapshot().bills}
    assert {b.bill_id: b.written_off_idr for b in bills} == engine

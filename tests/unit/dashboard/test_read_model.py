"""The dashboard's read model against recorded output events (``recorded/kendari-mini.tsv``).

The recording's story is told in ``dashboard_recording.py``; the numbers
below follow from it by hand: 8 workers wait, 2 applications are refused,
pledge A (2 seats, 1 month, Rp 5,000 over) and pledge B (10 seats, 3
months) fill, C asks for 5 months and is refused, three late workers come
(two matched on arrival, one waits and is taken by D: 1 seat, 6 months), six
month closes bill it. B's payer pays each bill a month late (in arrears at
the close after the bill, paid in full the month after), A's and D's never
pay: A's one line is written off at the close of May (January + 4), D's term
lapses at the close of June (its February line + 4). C's payer pays Rp
16,800 to a bill that does not exist: a refund owed, Rp 10,000 of it settled.
One premium is Rp 16,800 (JKK + JKM).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from dashboard.read_model import RECENT, CityView
from dashboard.snapshot import CitySnapshot, MoneyPoint, PeoplePoint
from infra.settings import DEV_PSEUDONYM_KEY
from jaring.scenario import applications, pledges
from models.codec import decode, dumps
from models.events import (
    ApplicationSubmitted,
    ApplicationWaiting,
    CoverageActivated,
    CoverageCancelled,
    CoverageCommitted,
    CoverageRenewed,
    Event,
    FundingMovement,
    Input,
    OutputEvent,
    RegistrationRejected,
)
from models.matcher import RegionMatcher
from models.topics import APPLICATION_STATUS, route
from tests.unit.dashboard.dashboard_recording import RECORDING, story

REGION = "74.71"
RECORDED: list[tuple[str, Event]] = [
    (topic, decode(raw))
    for topic, raw in (line.split("\t", 1) for line in RECORDING.read_text().splitlines())
]
TOPICS = sorted({topic for topic, _ in RECORDED})


def fold(events: Iterable[Event], min_cell: int = 1) -> CitySnapshot:
    """The fold's figures with every cell shown (``min_cell=1``); suppression: ``test_suppression``."""
    view = CityView(min_cell=min_cell)
    for event in events:
        view.apply(event)
    return view.snapshot(REGION)


def everything() -> list[Event]:
    return [event for _, event in RECORDED]


def test_the_recording_decodes_into_every_kind_of_output_the_dashboard_shows() -> None:
    kinds = {e.type for e in everything()}

    assert kinds == {
        "application.waiting", "application.rejected", "coverage.activated", "coverage.renewed",
        "coverage.expired", "pledge.accepted", "pledge.rejected", "pledge.exhausted", "pledge.expired",
        "funding.movement", "coverage.committed", "bill.line", "bill.issued", "payment.reconciled",
        "payer.movement", "refund.owed", "refund.closed", "coverage.lapsed",
    }


def test_at_the_end_everyone_has_been_covered_and_waits_again() -> None:
    totals = fold(everything()).totals

    assert (totals.covered, totals.waiting, totals.ever_covered, totals.rejected) == (0, 11, 11, 2)
    assert (totals.registering, totals.lapsed) == (0, 1)  # D's worker lapsed and waits again


def test_before_any_pledge_every_eligible_worker_waits() -> None:
    statuses = [e for topic, e in RECORDED if topic == APPLICATION_STATUS.name][:10]

    totals = fold(statuses).totals

    assert (totals.covered, totals.waiting, totals.rejected) == (0, 8, 2)


def test_districts_and_occupations_each_add_up_to_the_totals() -> None:
    for cut in (30, 60, len(RECORDED)):  # mid-story too, while some are covered
        snap = fold(everything()[:cut])
        for rows in (snap.districts, snap.occupations):
            assert sum(r.covered for r in rows) == snap.totals.covered
            assert sum(r.waiting for r in rows) == snap.totals.waiting


def test_a_worker_is_counted_in_the_district_and_occupation_the_events_name() -> None:
    first = next(e for e in everything() if isinstance(e, CoverageActivated))

    snap = fold(e for e in everything() if e.event_id == first.event_id)

    assert [(r.key, r.covered, r.waiting) for r in snap.districts] == [(first.district, 1, 0)]
    assert [(r.key, r.covered) for r in snap.occupations] == [(str(first.occupation), 1)]


def test_workers_by_month_follow_the_story() -> None:
    people = fold(everything()).people

    # BPJS confirms every registration at once: no seat is still registering at a month's end
    assert [(p.period, p.covered, p.waiting, p.registering, p.lapsed) for p in people] == [
        ("2026-01", 9, 0, 0, 0),    # 2 on A, 6 + 1 on B
        ("2026-02", 11, 0, 0, 0),   # A's 2 renewed onto B, one more matched on arrival, one taken by D
        ("2026-03", 4, 7, 0, 0),    # B's January terms end
        ("2026-04", 1, 10, 0, 0),   # and its February ones
        ("2026-05", 1, 10, 0, 0),
        ("2026-06", 0, 11, 0, 1),   # D's term lapses
    ]
    assert all(isinstance(p, PeoplePoint) for p in people)


def test_a_seat_committed_and_not_yet_confirmed_is_registering_neither_covered_nor_waiting() -> None:
    first = next(i for i, e in enumerate(everything()) if isinstance(e, CoverageActivated))
    before = everything()[:first]
    committed = [e for e in before if isinstance(e, CoverageCommitted)]

    totals = fold(before).totals

    assert committed
    assert (totals.registering, totals.covered) == (len(committed), 0)
    assert totals.waiting == 8 - sum(e.was_waiting for e in committed)
    assert fold(everything()[: first + 1]).totals.registering == len(committed) - 1


def test_money_by_month_carries_the_ledgers_of_the_region() -> None:
    money = fold(everything()).money

    # January's bill: 9 lines; B's payer pays it in March, A's never
    assert money[0] == MoneyPoint(
        period="2026-01", pledged_idr=542_600, committed_idr=487_200, paid_idr=0,
        returned_idr=0, remaining_idr=542_600, runway_months=3, billed_idr=151_200, due_idr=151_200,
        arrears_idr=0, written_off_idr=0, refunds_owed_idr=0, refunded_idr=0,
    )
    assert money[-1] == MoneyPoint(
        period="2026-06", pledged_idr=643_400, committed_idr=604_800, paid_idr=504_000,
        returned_idr=38_600, remaining_idr=100_800, runway_months=1, billed_idr=604_800, due_idr=0,
        arrears_idr=0, written_off_idr=100_800, refunds_owed_idr=16_800, refunded_idr=10_000,
    )
    assert [p.runway_months for p in money] == [3, 5, 4, 3, 2, 1]


def test_money_by_state_month_by_month() -> None:
    states = [
        (p.period, p.paid_idr, p.due_idr, p.arrears_idr, p.written_off_idr, p.refunds_owed_idr,
         p.refunded_idr)
        for p in fold(everything()).money
    ]

    line = 16_800
    assert states == [
        ("2026-01", 0, 9 * line, 0, 0, 0, 0),                      # January billed, not yet due
        ("2026-02", 0, 11 * line, 9 * line, 0, 0, 0),               # January's lines past due
        ("2026-03", 7 * line, 11 * line, 13 * line, 0, 0, 0),       # B pays January; February past due
        ("2026-04", 17 * line, 4 * line, 14 * line, 0, line, 10_000),  # a stray payment owed back
        ("2026-05", 27 * line, 1 * line, 6 * line, 2 * line, line, 10_000),  # A's January line written off
        ("2026-06", 30 * line, 0, 0, 6 * line, line, 10_000),       # D lapses: its 4 lines written off
    ]
    for p in fold(everything()).money:  # billed = paid + due + in arrears + written off, every month
        assert p.billed_idr == p.paid_idr + p.due_idr + p.arrears_idr + p.written_off_idr


def test_refunds_carry_forward_through_months_without_a_payer_movement() -> None:
    quiet = [e for e in everything() if not (e.type == "payer.movement" and e.period > "2026-04")]

    money = fold(quiet).money

    assert [(p.period, p.refunds_owed_idr, p.refunded_idr) for p in money[3:]] == [
        ("2026-04", 16_800, 10_000), ("2026-05", 16_800, 10_000), ("2026-06", 16_800, 10_000),
    ]


def test_each_pledge_shows_its_last_ledger_its_seats_and_its_furthest_status() -> None:
    pledges = {p.pledge_id: p for p in fold(everything()).pledges}
    last = {e.pledge_id: e.balances for e in everything() if isinstance(e, FundingMovement)}

    a, b, c, d = (pledges[f"pledge-{x}-0"] for x in "abcd")
    assert (a.status, a.seats, a.seats_filled, a.returned_idr) == ("expired", 2, 2, 5_000)
    assert (b.status, b.seats, b.seats_filled, b.paid_idr) == ("expired", 10, 10, 504_000)
    assert (a.payer_id, a.arrears_idr, a.written_off_idr) == ("payer-0", 0, 2 * 16_800)
    assert (b.payer_id, b.arrears_idr, b.written_off_idr) == ("payer-1", 0, 0)
    assert (d.payer_id, d.written_off_idr, d.returned_idr) == ("payer-3", 4 * 16_800, 2 * 16_800)
    assert (c.status, c.reason, c.pledged_idr) == ("rejected", "pledge_months_not_allowed", 0)
    for pid in ("pledge-a-0", "pledge-b-0"):
        assert pledges[pid].committed_idr == last[pid].committed_idr
        assert pledges[pid].pledged_idr == last[pid].pledged_idr


def test_sponsors_sum_their_pledges() -> None:
    snap = fold(everything())

    sponsors = {s.sponsor_id: s for s in snap.sponsors}
    assert set(sponsors) == {"sponsor-0", "sponsor-1", "sponsor-2", "sponsor-3"}
    assert sum(s.pledged_idr for s in snap.sponsors) == snap.money[-1].pledged_idr
    assert (sponsors["sponsor-1"].seats, sponsors["sponsor-1"].seats_filled) == (10, 10)


def test_the_feed_keeps_the_latest_activations_newest_first_renewals_marked() -> None:
    view = CityView(recent=5, min_cell=1)
    for event in everything():
        view.apply(event)
    recent = view.snapshot(REGION).recent
    seated = [e for e in everything() if isinstance(e, CoverageActivated | CoverageRenewed)]

    assert len(recent) == 5 < len(seated)
    assert len(fold(everything()).recent) == min(RECENT, len(seated))
    assert [a.event_time for a in recent] == sorted((a.event_time for a in recent), reverse=True)
    assert recent[0].event_time == max(e.event_time for e in seated)
    assert sum(a.renewal for a in recent) == 2


def test_a_repeated_event_is_counted_once() -> None:
    # bills and refunds are read off the ledgers and payer accounts (funding.v1), not billing.v1
    events = [e for topic, e in RECORDED if topic != "billing.v1"]
    view = CityView(min_cell=1)
    applied = [view.apply(e) for e in events]
    again = [view.apply(e) for e in events]

    assert all(applied)
    assert not any(again)
    assert view.snapshot(REGION) == fold(events)
    assert view.events == len(events)


@given(st.randoms(use_true_random=False), st.integers(min_value=0, max_value=20))
def test_any_interleaving_of_the_topics_with_repeats_gives_the_same_view(
    rng: random.Random, repeats: int
) -> None:
    """Kafka orders a topic's partition, not the four topics between them, and may redeliver."""
    queues = {t: [e for topic, e in RECORDED if topic == t] for t in TOPICS}
    merged: list[Event] = []
    while any(queues.values()):
        topic = rng.choice([t for t in TOPICS if queues[t]])
        merged.append(queues[topic].pop(0))
    for _ in range(repeats):  # a repeat comes after its original: a re-emission or a re-read
        original = rng.randrange(len(merged))
        merged.insert(rng.randrange(original + 1, len(merged) + 1), merged[original])

    assert fold(merged) == fold(everything())
    midway = fold(merged[: rng.randrange(len(merged) + 1)])  # a page opened while the topics are read
    assert midway.totals.registering >= 0  # a seat is committed before BPJS's answer, on the same topic
    for p in midway.money:  # each month's money comes from one topic's prefix: it balances
        assert p.billed_idr == p.paid_idr + p.due_idr + p.arrears_idr + p.written_off_idr
        assert 0 <= p.refunded_idr <= p.refunds_owed_idr


def test_input_events_and_unknown_regions_leave_the_view_empty() -> None:
    view = CityView()

    assert not any(view.apply(e) for e in story())
    assert (view.regions(), view.events) == (["74.71"], 0)  # the city's region, shown empty
    empty = view.snapshot("74.71")
    assert (empty.totals.covered, empty.people, empty.money, empty.recent) == (0, [], [], [])


def test_no_nik_or_name_from_the_applications_reaches_the_snapshot() -> None:
    """UU 27/2022: the outputs carry pseudonyms only, and the dashboard shows not even those."""
    page = dumps(fold(everything(), min_cell=5).model_dump(mode="json")).decode()
    applications = [e for e in story() if isinstance(e, ApplicationSubmitted)]
    pseudonyms = {e.worker for e in everything() if isinstance(e, ApplicationWaiting)}

    assert applications and pseudonyms
    for app in applications:
        assert app.nik not in page
        assert app.name not in page
    assert not any(w in page for w in pseudonyms)  # a pseudonym would link one person's rows


def _rejected_registration_story() -> tuple[list[tuple[str, Event]], str]:
    """Two workers wait for a one-seat pledge; BPJS rejects the first one's registration, the seat goes
    to the second; the first applies again (the officer corrected the data) and waits. Returns the
    outputs with their topics, and the first worker's pseudonym."""
    matcher = RegionMatcher(REGION, DEV_PSEUDONYM_KEY.encode())
    start = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
    apps = applications(2, seed=7, start=start)
    offer = pledges([1], start=start + timedelta(hours=1), months=3)[0]
    out: list[OutputEvent] = []
    inputs: list[Input] = [*apps, offer]
    for event in inputs:
        out += matcher.handle(event).outputs
    first = next(e for e in out if isinstance(e, CoverageCommitted))
    out += matcher.handle(RegistrationRejected(
        event_id="bpjs-rejected-1", event_time=start + timedelta(hours=2), region=REGION,
        coverage_id=first.coverage_id, payer_id=first.payer_id, reason="NIK tidak cocok",
    )).outputs
    again = apps[0].model_copy(update={
        "event_id": "app-again", "application_id": "app-again", "event_time": start + timedelta(hours=3),
    })
    out += matcher.handle(again).outputs
    return [(route(e)[0], e) for e in out], first.worker


def test_a_rejected_registration_leaves_the_worker_out_until_they_apply_again_whatever_the_order() -> None:
    story, worker = _rejected_registration_story()
    kinds = [e.type for _, e in story]
    assert kinds.count("coverage.committed") == 2 and "coverage.cancelled" in kinds
    cancelled = next(e for _, e in story if isinstance(e, CoverageCancelled))
    assert (cancelled.worker, cancelled.outcome) == (worker, "rejected")
    reapplied = next(i for i, (_, e) in enumerate(story)
                     if isinstance(e, ApplicationWaiting) and e.application_id == "app-again")

    before = fold(e for _, e in story[:reapplied]).totals
    after = fold(e for _, e in story).totals
    # the application-status topic may be read before the coverage topic: same view at the end
    statuses_first = fold([e for t, e in story if t == APPLICATION_STATUS.name]
                          + [e for t, e in story if t != APPLICATION_STATUS.name]).totals

    assert (before.waiting, before.registering, before.covered) == (0, 1, 0)  # the first is out
    assert (after.waiting, after.registering) == (1, 1)  # and back on the list after applying again
    assert statuses_first == after

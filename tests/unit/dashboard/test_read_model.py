"""The dashboard's read model against recorded output events (``recorded/kendari-mini.tsv``).

The recording's story is told in ``dashboard_recording.py``; the numbers
below follow from it by hand: 8 workers wait, 2 applications are refused,
pledge A (2 seats, 1 month, Rp 5,000 over) and pledge B (10 seats, 3
months) fill, C asks for 5 months and is refused, three late workers come
(two matched on arrival, one waits), five month closes bill it (paid the
month after: ``jaring.bpjs``) and end it all.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from hypothesis import given
from hypothesis import strategies as st

from dashboard.read_model import RECENT, CityView
from dashboard.snapshot import CitySnapshot, MoneyPoint, PeoplePoint
from models.codec import decode, dumps
from models.events import (
    ApplicationSubmitted,
    CoverageActivated,
    CoverageRenewed,
    Event,
    FundingMovement,
)
from models.topics import APPLICATION_STATUS
from tests.unit.dashboard.dashboard_recording import RECORDING, story

REGION = "74.71"
RECORDED: list[tuple[str, Event]] = [
    (topic, decode(raw))
    for topic, raw in (line.split("\t", 1) for line in RECORDING.read_text().splitlines())
]
TOPICS = sorted({topic for topic, _ in RECORDED})


def fold(events: Iterable[Event]) -> CitySnapshot:
    view = CityView()
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
        "payer.movement",
    }


def test_at_the_end_everyone_has_been_covered_and_waits_again() -> None:
    totals = fold(everything()).totals

    assert (totals.covered, totals.waiting, totals.ever_covered, totals.rejected) == (0, 11, 10, 2)


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

    assert people == [
        PeoplePoint(period="2026-01", covered=9, waiting=0),   # 2 on A, 6 + 1 on B; A's 2 renewed onto B
        PeoplePoint(period="2026-02", covered=10, waiting=1),  # one more matched on arrival, one waits
        PeoplePoint(period="2026-03", covered=3, waiting=8),   # B's January terms end, no pledge open
        PeoplePoint(period="2026-04", covered=0, waiting=11),  # the February terms end too
        PeoplePoint(period="2026-05", covered=0, waiting=11),  # April's bill is paid in May
    ]


def test_money_by_month_carries_the_ledgers_of_the_region() -> None:
    money = fold(everything()).money

    # a month's bill (9 x Rp 16,800 for January) is paid during the month after it
    assert money[0] == MoneyPoint(
        period="2026-01", pledged_idr=542_600, committed_idr=487_200, paid_idr=0,
        returned_idr=0, remaining_idr=542_600, runway_months=3,
    )
    assert money[1].paid_idr == 151_200
    assert money[-1] == MoneyPoint(
        period="2026-05", pledged_idr=542_600, committed_idr=537_600, paid_idr=537_600,
        returned_idr=5_000, remaining_idr=0, runway_months=0,
    )
    assert [p.runway_months for p in money] == [3, 2, 1, 0, 0]


def test_each_pledge_shows_its_last_ledger_its_seats_and_its_furthest_status() -> None:
    pledges = {p.pledge_id: p for p in fold(everything()).pledges}
    last = {e.pledge_id: e.balances for e in everything() if isinstance(e, FundingMovement)}

    a, b, c = pledges["pledge-a-0"], pledges["pledge-b-0"], pledges["pledge-c-0"]
    assert (a.status, a.seats, a.seats_filled, a.returned_idr) == ("expired", 2, 2, 5_000)
    assert (b.status, b.seats, b.seats_filled, b.paid_idr) == ("expired", 10, 10, 504_000)
    assert (c.status, c.reason, c.pledged_idr) == ("rejected", "pledge_months_not_allowed", 0)
    for pid in ("pledge-a-0", "pledge-b-0"):
        assert pledges[pid].committed_idr == last[pid].committed_idr
        assert pledges[pid].pledged_idr == last[pid].pledged_idr


def test_sponsors_sum_their_pledges() -> None:
    snap = fold(everything())

    sponsors = {s.sponsor_id: s for s in snap.sponsors}
    assert set(sponsors) == {"sponsor-0", "sponsor-1", "sponsor-2"}
    assert sum(s.pledged_idr for s in snap.sponsors) == snap.money[-1].pledged_idr
    assert (sponsors["sponsor-1"].seats, sponsors["sponsor-1"].seats_filled) == (10, 10)


def test_the_feed_keeps_the_latest_activations_newest_first_renewals_marked() -> None:
    view = CityView(recent=5)
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
    # bills and payer accounts are not on this dashboard yet
    events = [e for topic, e in RECORDED if topic != "billing.v1" and e.type != "payer.movement"]
    view = CityView()
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


def test_input_events_and_unknown_regions_leave_the_view_empty() -> None:
    view = CityView()

    assert not any(view.apply(e) for e in story())
    assert (view.regions(), view.events) == (["74.71"], 0)  # the city's region, shown empty
    empty = view.snapshot("74.71")
    assert (empty.totals.covered, empty.people, empty.money, empty.recent) == (0, [], [], [])


def test_no_nik_or_name_from_the_applications_reaches_the_snapshot() -> None:
    """UU 27/2022: the outputs carry pseudonyms only, and the dashboard must keep it so."""
    page = dumps(fold(everything()).model_dump(mode="json")).decode()
    applications = [e for e in story() if isinstance(e, ApplicationSubmitted)]

    assert applications
    for app in applications:
        assert app.nik not in page
        assert app.name not in page
    assert "w_" in page  # pseudonyms are what the feed shows

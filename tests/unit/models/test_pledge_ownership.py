"""A pledge id is its sponsor's: the engine knows a pledge by (sponsor, pledge), everywhere.

An outside tester with a second sponsor key posted another sponsor's pledge id:
the answer ("already accepted") told them the pledge existed, and posting it
first made the owner's own pledge a ``duplicate_pledge``. These tests play
that probe and that squat against the pure core, the state store and the
auditor; ``tests/integration/api/test_pledge_ids_per_sponsor.py`` plays them
through the real API, broker and worker.
"""

from __future__ import annotations

from typing import Any

from infra.topic_io import Record
from jaring.audit import audit
from models.codec import encode
from models.eligibility import KENDARI
from models.events import (
    CoverageCommitted,
    FundingMovement,
    PledgeAccepted,
    PledgeRejected,
    pledge_key,
)
from models.matcher import RegionMatcher
from streams.state import RegionStore
from tests.unit.factories import KEY, REGION, application, pledge, tick

SEAT = 16_800 * 12
A, B = "dealer-kendari", "bank-sultra"


def run(m: RegionMatcher, *events: Any) -> list[Any]:
    return [o for e in events for o in m.handle(e).outputs]


def about(sponsor: str, outputs: list[Any]) -> list[Any]:
    return [o for o in outputs if getattr(o, "sponsor_id", None) == sponsor]


def test_the_key_is_sponsor_then_pledge_and_splits_back_at_its_first_colon() -> None:
    assert pledge_key(A, "pl-1") == "dealer-kendari:pl-1"
    assert pledge_key(A, "pl-1").split(":", 1) == [A, "pl-1"]


def test_another_sponsor_posting_an_accepted_id_gets_its_own_pledge_and_learns_nothing() -> None:
    m = RegionMatcher(REGION, KEY)
    run(m, *(application(serial=n) for n in range(3)))
    theirs = run(m, pledge(pledge_id="pl-1", sponsor_id=A, payer_id=A, amount_idr=2 * SEAT))

    probe = run(m, pledge(pledge_id="pl-1", sponsor_id=B, payer_id=B, amount_idr=SEAT))

    assert not [o for o in probe if isinstance(o, PledgeRejected)]
    assert about(A, probe) == []  # nothing in B's answer is about A's pledge
    [accepted] = [o for o in probe if isinstance(o, PledgeAccepted)]
    assert (accepted.sponsor_id, accepted.seats) == (B, 1)
    assert accepted.event_id == "pledge.accepted:bank-sultra:pl-1"
    assert {o.event_id for o in probe}.isdisjoint(o.event_id for o in theirs)
    assert m.pledge_keys() == ["dealer-kendari:pl-1", "bank-sultra:pl-1"]


def test_an_id_taken_first_by_another_sponsor_does_not_block_the_owner() -> None:
    m = RegionMatcher(REGION, KEY)
    run(m, *(application(serial=n) for n in range(3)))
    run(m, pledge(pledge_id="pl-1", sponsor_id=B, payer_id=B, amount_idr=SEAT))

    owner = run(m, pledge(pledge_id="pl-1", sponsor_id=A, payer_id=A, amount_idr=2 * SEAT))

    assert [o.type for o in owner if o.type.startswith("pledge.")] == ["pledge.accepted", "pledge.exhausted"]
    covered = [o for o in owner if isinstance(o, CoverageCommitted)]
    assert len(covered) == 2 and {o.sponsor_id for o in covered} == {A}
    assert {o.coverage_id.rsplit(":", 2)[0] for o in covered} == {"dealer-kendari:pl-1"}


def test_a_sponsor_reusing_its_own_accepted_id_is_still_a_duplicate() -> None:
    m = RegionMatcher(REGION, KEY)
    run(m, pledge(pledge_id="pl-1", sponsor_id=B, payer_id=B))
    run(m, pledge(pledge_id="pl-1", sponsor_id=A, payer_id=A))

    [again] = run(m, pledge(pledge_id="pl-1", sponsor_id=A, payer_id=A))

    assert isinstance(again, PledgeRejected)
    assert (again.reason, again.sponsor_id) == ("duplicate_pledge", A)
    assert "your pledge pl-1" in again.message


def test_every_id_derived_from_a_pledge_names_its_sponsor() -> None:
    m = RegionMatcher(REGION, KEY)
    out = run(
        m,
        application(serial=1),
        pledge(pledge_id="pl-1", sponsor_id=A, payer_id=A, amount_idr=SEAT + 7),
        pledge(pledge_id="pl-1", sponsor_id=B, payer_id=B, amount_idr=2 * SEAT),
        *(tick(f"2025-{month:02d}") for month in range(1, 13)),
    )
    pledge_events = [o for o in out if hasattr(o, "pledge_id")]
    assert pledge_events
    for o in pledge_events:
        key = pledge_key(o.sponsor_id, o.pledge_id)
        if getattr(o, "coverage_id", None) is not None:
            assert o.coverage_id.startswith(f"{key}:")
            assert key in o.event_id
        elif isinstance(o, FundingMovement):
            assert o.event_id.startswith(f"funding.{o.kind}:{key}")
        else:
            assert o.event_id.startswith(f"{o.type}:{key}")
    assert len({o.event_id for o in out}) == len(out)


def test_the_store_keeps_both_sponsors_pledges_with_one_id_and_restores_both() -> None:
    events = [
        *(application(serial=n) for n in range(4)),
        pledge(pledge_id="pl-1", sponsor_id=A, payer_id=A, amount_idr=SEAT),
        pledge(pledge_id="pl-1", sponsor_id=B, payer_id=B, amount_idr=2 * SEAT),
        tick("2025-01"),
    ]
    table: dict[str, Any] = {}
    store = RegionStore(table, KEY, KENDARI)
    for event in events:
        matcher = store.matcher(REGION)
        store.write(REGION, store.changes(REGION, matcher, [matcher.handle(event)]))

    assert {k for k in table if k.startswith(f"{REGION}|p|")} == {
        f"{REGION}|p|dealer-kendari:pl-1",
        f"{REGION}|p|bank-sultra:pl-1",
    }
    restored = RegionStore(dict(table), KEY, KENDARI).matcher(REGION)
    assert restored.snapshot() == store.matcher(REGION).snapshot()
    assert [(r.sponsor_id, r.seats_filled) for r in restored.snapshot().pledges] == [(A, 1), (B, 2)]
    later = [tick("2025-02"), application(serial=9)]
    original = RegionMatcher(REGION, KEY)
    for event in events:
        original.handle(event)
    assert run(restored, *later) == run(original, *later)


def test_the_auditor_counts_seats_per_sponsors_pledge() -> None:
    m = RegionMatcher(REGION, KEY)
    out = run(
        m,
        *(application(serial=n) for n in range(3)),
        pledge(pledge_id="pl-1", sponsor_id=A, payer_id=A, amount_idr=SEAT),
        pledge(pledge_id="pl-1", sponsor_id=B, payer_id=B, amount_idr=2 * SEAT),
        tick("2025-01"),
    )
    records = [Record("out", 0, n, None, encode(o)) for n, o in enumerate(out)]

    result = audit(records, applications=3)

    assert result.ok, result.violations
    assert result.counts["coverage.committed"] == 3

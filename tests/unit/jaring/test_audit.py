"""The invariant checker (``jaring.audit``) on the pure core's outputs: it passes them, and catches
each broken identity of the extended ledger, payer accounts and bills."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from infra.topic_io import Record
from jaring.audit import audit, replay
from jaring.bpjs import Habits, Simulator, drive
from jaring.scenario import applications, kendari, life_events, month_ticks, pledges
from models.codec import encode
from models.eligibility import KENDARI
from models.events import (
    ApplicationWaiting,
    BillLine,
    CoverageActivated,
    CoverageEnded,
    FundingKind,
    FundingMovement,
    Input,
    LifeEventKind,
    LifeEventRecorded,
    OutputEvent,
    PayerMovement,
    PersonMoved,
    PersonReleased,
)
from models.matcher import RegionMatcher
from models.topics import route
from tests.unit.factories import KEY

REGION = "74.71"


def programme() -> tuple[list[Input], list[OutputEvent]]:
    """60 workers for a year; payer-1 pays two months late, payer-2 never (its terms lapse)."""
    s = kendari(workers=60)
    m = RegionMatcher(REGION, KEY, KENDARI)
    outputs: list[OutputEvent] = []

    def handle(event: Input) -> list[OutputEvent]:
        out = m.handle(event).outputs
        outputs.extend(out)
        return out

    log = drive(
        [*s.applications, *s.pledges, *s.ticks],
        handle,
        Simulator(Habits(late={"payer-1": 2}, never=frozenset({"payer-2"}))),
    )
    return log, outputs


LOG, OUTPUTS = programme()


def records(outputs: list[Any]) -> list[Record]:
    return [Record(route(o)[0], 0, n, None, encode(o)) for n, o in enumerate(outputs)]


def test_the_programme_passes_every_check_and_takes_every_money_path() -> None:
    result = audit(records(OUTPUTS), applications=60)
    assert result.ok, result.violations
    for kind in (
        "coverage.lapsed",
        "bill.issued",
        "payment.reconciled",
        "funding.arrears",
        "funding.written_off",
        "funding.paid",
        "funding.billed",
        "payer.movement",
    ):
        assert result.counts[kind] > 0, kind


def test_the_region_log_replayed_gives_the_same_outputs() -> None:
    log = [Record("region-log.v1", 0, n, REGION.encode(), encode(e)) for n, e in enumerate(LOG)]
    assert replay(log, KEY) == {o.event_id: encode(o) for o in OUTPUTS}


def tampered(index: int, **balances: int) -> list[Any]:
    event = OUTPUTS[index]
    assert isinstance(event, FundingMovement | PayerMovement)
    changed = event.model_copy(update={"balances": event.balances.model_copy(update=balances)})
    return [*OUTPUTS[:index], changed, *OUTPUTS[index + 1 :]]


def test_a_movement_whose_balances_do_not_add_up_is_a_violation() -> None:
    at = next(
        i for i, o in enumerate(OUTPUTS) if isinstance(o, FundingMovement) and o.kind is FundingKind.ARREARS
    )
    arrears = OUTPUTS[at].balances.arrears_idr  # type: ignore[union-attr]
    result = audit(records(tampered(at, arrears_idr=arrears + 1)))
    assert any("outstanding = due + arrears broken" in v for v in result.violations), result.violations


def test_paid_movements_that_do_not_add_up_to_the_ledger_are_a_violation() -> None:
    at = next(
        i for i, o in enumerate(OUTPUTS) if isinstance(o, FundingMovement) and o.kind is FundingKind.PAID
    )
    result = audit(records([*OUTPUTS[:at], *OUTPUTS[at + 1 :]]))
    assert any("paid movements add to" in v for v in result.violations), result.violations


def test_a_payer_account_that_does_not_balance_is_a_violation() -> None:
    at = next(i for i, o in enumerate(OUTPUTS) if isinstance(o, PayerMovement))
    applied = OUTPUTS[at].balances.applied_idr  # type: ignore[union-attr]
    result = audit(records(tampered(at, applied_idr=applied - 1)))
    assert any("payer account does not balance" in v for v in result.violations), result.violations


def test_a_bill_missing_a_line_is_a_violation() -> None:
    at = next(i for i, o in enumerate(OUTPUTS) if isinstance(o, BillLine))
    result = audit(records([*OUTPUTS[:at], *OUTPUTS[at + 1 :]]))
    assert any("its lines add to" in v for v in result.violations), result.violations


def lives() -> list[OutputEvent]:
    """60 applicants, 40 seats for a year; after five closes, officers report on 15 covered and 5
    waiting workers (every kind, claims included), then the year runs out."""
    apps = applications(60, seed=5)
    ticks = month_ticks("2026-01", 12)
    m = RegionMatcher(REGION, KEY, KENDARI)
    simulator = Simulator(Habits())
    outputs: list[OutputEvent] = []

    def handle(event: Input) -> list[OutputEvent]:
        out = m.handle(event).outputs
        outputs.extend(out)
        return out

    offers = pledges([20, 20], start=apps[-1].event_time, valid_days=365)
    drive([*apps, *offers, *ticks[:5]], handle, simulator)
    covered = [o.worker for o in outputs if isinstance(o, CoverageActivated)][:15]
    waiting = [o.worker for o in outputs if isinstance(o, ApplicationWaiting)][:5]
    drive([*life_events([*covered, *waiting], period="2026-05"), *ticks[5:]], handle, simulator)
    return outputs


LIVES = lives()


def test_life_events_end_terms_hand_seats_on_and_pass_every_check() -> None:
    result = audit(records(LIVES), applications=60)
    assert result.ok, result.violations
    assert result.counts["coverage.ended"] >= 10
    assert {e.outcome for e in LIVES if isinstance(e, LifeEventRecorded)} == {
        "withdrawn", "term_ended", "claim_counted"
    }
    assert {e.seat for e in LIVES if isinstance(e, CoverageEnded)} >= {"refilled"}


def test_cover_for_a_dead_worker_after_the_death_is_a_violation() -> None:
    death = next(e for e in LIVES if isinstance(e, LifeEventRecorded) and e.kind is LifeEventKind.DECEASED)
    term = next(e for e in LIVES if isinstance(e, CoverageActivated))
    ghost = term.model_copy(update={"event_id": "ghost", "coverage_id": "ghost", "worker": death.worker,
                                   "start_period": "2026-09"})
    result = audit(records([*LIVES, ghost]))
    assert any("after their death" in v for v in result.violations), result.violations


def test_a_term_ended_outside_its_months_is_a_violation() -> None:
    at = next(i for i, e in enumerate(LIVES) if isinstance(e, CoverageEnded) and e.end_period is not None)
    ended = LIVES[at].model_copy(update={"end_period": "2030-01"})
    result = audit(records([*LIVES[:at], ended, *LIVES[at + 1 :]]))
    assert any("ended outside its term" in v for v in result.violations), result.violations


def test_a_missing_repriced_movement_leaves_committed_not_adding_up() -> None:
    at = next(
        i for i, e in enumerate(LIVES) if isinstance(e, FundingMovement) and e.kind is FundingKind.REPRICED
    )
    result = audit(records([*LIVES[:at], *LIVES[at + 1 :]]))
    wanted = "committed - released - repriced movements add to"
    assert any(wanted in v for v in result.violations), result.violations


def _move(**changed: Any) -> list[Any]:
    """Kendari lets a worker go (covered January to May) and the index moves them to Baubau."""
    at = datetime(2026, 6, 12, tzinfo=UTC)
    worker = "w_" + "a" * 24
    clocks = {"membership_since": "2026-01", "covered_through": "2026-05", "months_of_membership": 5}
    released = PersonReleased(event_id="person.released:m", event_time=at, region="74.71", period="2026-06",
                              worker=worker, move_id="person.move:m", outcome="released", **clocks)
    moved = PersonMoved(event_id="person.moved:m", event_time=at, region="74.72", period="2026-06",
                        worker=worker, application_id="app-bb", from_region="74.71", move_id="person.move:m",
                        **clocks | changed)
    return [released, moved]


def test_a_move_after_its_release_with_the_same_clocks_passes() -> None:
    assert audit(records(_move())).ok


def test_a_move_nobody_released_or_with_other_clocks_is_a_violation() -> None:
    released, moved = _move()
    for broken in ([moved], [released.model_copy(update={"outcome": "refused"}), moved],
                   _move(months_of_membership=17), [moved, released]):
        result = audit(records(broken))
        assert any("did not release as carried" in v for v in result.violations), broken

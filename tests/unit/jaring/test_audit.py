"""The invariant checker (``jaring.audit``) on the pure core's outputs: it passes them, and catches
each broken identity of the extended ledger, payer accounts and bills."""

from __future__ import annotations

from typing import Any

from infra.topic_io import Record
from jaring.audit import audit, replay
from jaring.bpjs import Habits, Simulator, drive
from jaring.scenario import kendari
from models.codec import encode
from models.eligibility import KENDARI
from models.events import BillLine, FundingKind, FundingMovement, Input, OutputEvent, PayerMovement
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

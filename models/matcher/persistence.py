"""Entities to records and back (``models.records`` is the persistence contract).

An entity and its record hold the same fields under the same names, so
each direction copies those by name and converts only what is represented
differently: months (indexes in memory, names in records), targeting (sets
in memory, sorted tuples in records), a worker's term and a pledge's ledger
(objects in memory, a nested record and the ledger's columns in records), and the
region (a record's, implied by the matcher in memory). A field added to one
side without the other stops the import, naming it, instead of being lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from operator import attrgetter
from sys import intern
from typing import Any, TypeVar

from pydantic import BaseModel

from models.ledger import Ledger
from models.matcher.entities import Bill, Payer, Payment, Pledge, Refund, Term, Worker
from models.occupations import Occupation
from models.periods import period_index, period_name
from models.records import (
    BillRecord,
    ClockRecord,
    CoverageRecord,
    PayerRecord,
    PaymentRecord,
    PledgeRecord,
    RefundRecord,
    TermRecord,
    WorkerRecord,
)

__all__ = [
    "Snapshot",
    "bill_from_record",
    "bill_record",
    "coverage_record",
    "payer_from_record",
    "payer_record",
    "payment_from_record",
    "payment_record",
    "pledge_from_record",
    "pledge_record",
    "refund_from_record",
    "refund_record",
    "term_from_record",
    "term_record",
    "worker_from_record",
    "worker_record",
]

_T = TypeVar("_T", bound=str)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every record of a region: what ``RegionMatcher.restore`` takes."""

    clock: ClockRecord
    workers: tuple[WorkerRecord, ...]
    pledges: tuple[PledgeRecord, ...]
    seen: tuple[tuple[str, int], ...]
    """Markers of handled inputs with no record of their own: (event id, closes when handled)."""
    terms: tuple[TermRecord, ...] = ()
    """Ended terms still owing bill lines."""
    bills: tuple[BillRecord, ...] = ()
    payments: tuple[PaymentRecord, ...] = ()
    refunds: tuple[RefundRecord, ...] = ()
    payers: tuple[PayerRecord, ...] = ()


class _Fields:
    """Named fields, read off any object that has them."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = tuple(names)
        self._get = attrgetter(*self.names)

    def of(self, source: object) -> dict[str, Any]:
        return dict(zip(self.names, self._get(source), strict=True))


def _shared(entity: type, record: type[BaseModel], converted: Iterable[str]) -> _Fields:
    """The fields an entity and its record hold alike; any other field must be in ``converted``."""
    own = {f.name for f in fields(entity) if f.init}
    unmatched = (own ^ set(record.model_fields)) - set(converted)
    if unmatched:
        raise TypeError(
            f"{entity.__name__} and {record.__name__} differ in {sorted(unmatched)}: "
            "name the field alike on both sides, or convert it in models.matcher.persistence"
        )
    return _Fields(sorted((own & set(record.model_fields)) - set(converted)))


_LEDGER = _Fields(f.name for f in fields(Ledger))
_WORKER = _shared(
    Worker, WorkerRecord, ("region", "last_end_period", "membership_since", "coverage", "birth_month")
)
_PERIODS = (
    "committed_period", "registration_due_period", "start_period", "membership_since", "unpaid_periods",
)
_TERM = _shared(Term, CoverageRecord, (*_PERIODS, "occupation"))
"""A current term's occupation is its worker's (a worker applies again only with no current term)."""
_ENDED = _shared(Term, TermRecord, (*_PERIODS, "region", "occupation"))
_BILL = _shared(Bill, BillRecord, ("region", "period"))
_PAYMENT = _shared(Payment, PaymentRecord, ("region",))
_REFUND = _shared(Refund, RefundRecord, ("region",))
_PAYER = _shared(Payer, PayerRecord, ("region",))
_PLEDGE = _shared(
    Pledge, PledgeRecord,
    ("region", "districts", "occupations", "sexes", "opens_period", "ledger", *_LEDGER.names),
)


def _name(month: int | None) -> str | None:
    return None if month is None else period_name(month)


def _index(period: str | None) -> int | None:
    return None if period is None else period_index(period)


def _sorted(values: frozenset[_T] | None) -> tuple[_T, ...] | None:
    return None if values is None else tuple(sorted(values))


def _set(values: tuple[_T, ...] | None) -> frozenset[_T] | None:
    return None if values is None else frozenset(values)


def _term_periods(t: Term) -> dict[str, Any]:
    return {
        "committed_period": period_name(t.committed_period),
        "registration_due_period": period_name(t.registration_due_period),
        "start_period": _name(t.start_period),
        "membership_since": _name(t.membership_since),
        "unpaid_periods": tuple(period_name(q) for q in t.unpaid_periods),
    }


def _term_indexes(r: CoverageRecord) -> dict[str, Any]:
    return {
        "committed_period": period_index(r.committed_period),
        "registration_due_period": period_index(r.registration_due_period),
        "start_period": _index(r.start_period),
        "membership_since": _index(r.membership_since),
        "unpaid_periods": [period_index(q) for q in r.unpaid_periods],
    }


def coverage_record(t: Term) -> CoverageRecord:
    return CoverageRecord(**_TERM.of(t), **_term_periods(t))


def term_from_record(r: CoverageRecord, occupation: Occupation) -> Term:
    """``occupation``: the worker's, or the one an ended term's record kept (``TermRecord``)."""
    t = Term(**_TERM.of(r), **_term_indexes(r), occupation=occupation)
    # a regency's terms share a few sponsors, pledges and payers: one string each, not one per term
    t.sponsor_id, t.pledge_id, t.payer_id = intern(t.sponsor_id), intern(t.pledge_id), intern(t.payer_id)
    return t  # its pledge_key is interned by Term itself


def term_record(t: Term, region: str) -> TermRecord:
    """An ended term still owing lines, as persisted on its own."""
    return TermRecord(**_ENDED.of(t), **_term_periods(t), region=region, occupation=t.occupation)


def bill_record(b: Bill, region: str) -> BillRecord:
    return BillRecord(**_BILL.of(b), region=region, period=period_name(b.period))


def bill_from_record(r: BillRecord) -> Bill:
    return Bill(**_BILL.of(r), period=period_index(r.period))


def payment_record(p: Payment, region: str) -> PaymentRecord:
    return PaymentRecord(**_PAYMENT.of(p), region=region)


def payment_from_record(r: PaymentRecord) -> Payment:
    return Payment(**_PAYMENT.of(r))


def refund_record(f: Refund, region: str) -> RefundRecord:
    return RefundRecord(**_REFUND.of(f), region=region)


def refund_from_record(r: RefundRecord) -> Refund:
    return Refund(**_REFUND.of(r))


def payer_record(a: Payer, region: str) -> PayerRecord:
    return PayerRecord(**_PAYER.of(a), region=region)


def payer_from_record(r: PayerRecord) -> Payer:
    return Payer(**_PAYER.of(r))


def worker_record(w: Worker, region: str) -> WorkerRecord:
    return WorkerRecord(
        **_WORKER.of(w),
        region=region,
        last_end_period=_name(w.last_end_period),
        membership_since=_name(w.membership_since),
        coverage=None if w.coverage is None else coverage_record(w.coverage),
        birth_month=_name(w.birth_month),
    )


def worker_from_record(r: WorkerRecord) -> Worker:
    fields = _WORKER.of(r)
    fields["district"] = intern(fields["district"])
    return Worker(
        **fields,
        last_end_period=_index(r.last_end_period),
        membership_since=_index(r.membership_since),
        coverage=None if r.coverage is None else term_from_record(r.coverage, r.occupation),
        birth_month=_index(r.birth_month),
    )


def pledge_record(p: Pledge, region: str) -> PledgeRecord:
    return PledgeRecord(
        **_PLEDGE.of(p),
        **_LEDGER.of(p.ledger),
        region=region,
        districts=_sorted(p.districts),
        occupations=_sorted(p.occupations),
        sexes=_sorted(p.sexes),
        opens_period=period_name(p.opens_period),
    )


def pledge_from_record(r: PledgeRecord) -> Pledge:
    return Pledge(
        **_PLEDGE.of(r),
        ledger=Ledger(**_LEDGER.of(r)),
        districts=_set(r.districts),
        occupations=_set(r.occupations),
        sexes=_set(r.sexes),
        opens_period=period_index(r.opens_period),
    )

"""The events a matcher step emits, built in one place with one header and ids derived from their cause.

Every output carries the same header: an id derived from what caused it,
and the step's ``stamp``: the causing input's time, the region, and the
region's month (for a month close, the month closed). The builders below
add each event's own fields, so a replay derives the same ids and bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal, TypedDict

from models.eligibility import PledgeTerms
from models.events import (
    CLAIM_KINDS,
    ApplicationRejected,
    ApplicationSubmitted,
    ApplicationWaiting,
    BillIssued,
    BillLine,
    CoverageActivated,
    CoverageCancelled,
    CoverageCommitted,
    CoverageEnded,
    CoverageExpired,
    CoverageLapsed,
    CoverageRenewed,
    FundingKind,
    FundingMovement,
    LifeEventKind,
    LifeEventRecorded,
    LifeEventRejected,
    LifeEventReported,
    LifeOutcome,
    LifeStatus,
    OutputEvent,
    PayerBalances,
    PayerKind,
    PayerMovement,
    PaymentReconciled,
    PaymentReported,
    PersonReleased,
    PledgeAccepted,
    PledgeExhausted,
    PledgeExpired,
    PledgeRejected,
    PledgeReopened,
    PledgeSubmitted,
    ReconcileOutcome,
    RefundClosed,
    RefundOwed,
    RefundRejected,
    RegistrationUnmatched,
    ReleaseOutcome,
    RenewalBreakdown,
    SeatOutcome,
)
from models.matcher.entities import Bill, Payer, Pledge, Refund, Term, Worker
from models.nik import Sex
from models.occupations import Occupation
from models.periods import period_name
from models.priority import Priority
from models.tariff import Package
from models.trusted import adopt, trusted

__all__ = ["EPOCH", "Outbox", "RenewalRule", "Stamp", "due_date"]

RenewalRule = Literal["renew_before_new", "by_priority"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""The stamp before any input: never on an event (every step stamps its input's time first)."""

# The core builds its outputs from validated inputs and its own state: no second validation
# (``models.trusted`` says why, and what test keeps the builders honest). What validation would
# still have changed is done here: a ``reason`` (a ``Reason`` member) is stored as its plain ``str``.
_ApplicationRejected = trusted(ApplicationRejected)
_ApplicationWaiting = trusted(ApplicationWaiting)
_BillIssued = trusted(BillIssued)
_BillLineBare = adopt(BillLine, (
    "event_id", "event_time", "region", "period", "bill_id", "line_no", "payer_id", "coverage_id", "worker",
    "membership_number", "pledge_id", "sponsor_id", "months", "amount_idr", "discount",
))
_CoverageActivated = trusted(CoverageActivated)
_CoverageCancelled = trusted(CoverageCancelled)
_CoverageCommitted = trusted(CoverageCommitted)
_CoverageEnded = trusted(CoverageEnded)
_CoverageExpired = trusted(CoverageExpired)
_CoverageLapsed = trusted(CoverageLapsed)
_CoverageRenewed = trusted(CoverageRenewed)
_FundingMovement = trusted(FundingMovement)
_LifeEventRecorded = trusted(LifeEventRecorded)
_LifeEventRejected = trusted(LifeEventRejected)
_PayerMovement = trusted(PayerMovement)
_PaymentReconciled = trusted(PaymentReconciled)
_PledgeAccepted = trusted(PledgeAccepted)
_PledgeExhausted = trusted(PledgeExhausted)
_PledgeExpired = trusted(PledgeExpired)
_PledgeRejected = trusted(PledgeRejected)
_PledgeReopened = trusted(PledgeReopened)
_RefundClosed = trusted(RefundClosed)
_RefundOwed = trusted(RefundOwed)
_RefundRejected = trusted(RefundRejected)
_RegistrationUnmatched = trusted(RegistrationUnmatched)
_PayerBalances = trusted(PayerBalances)
_RenewalBreakdown = trusted(RenewalBreakdown)


class Stamp(TypedDict):
    """The header every output of a step shares; only its ``event_id`` is its own."""

    event_time: datetime
    region: str
    period: str


class _SeatFields(TypedDict):
    """What a commitment, an activation and a renewal share besides the header."""

    coverage_id: str
    worker: str
    pledge_id: str
    sponsor_id: str
    payer_id: str
    district: str
    occupation: Occupation
    sex: Sex
    welfare_decile: int | None
    package: Package
    monthly_premium_idr: int
    months: int
    term_no: int
    priority: Priority


class _TermFields(TypedDict):
    """What an activation and a renewal add: the membership and the months of cover."""

    membership_number: str
    start_period: str
    end_period: str
    membership_since: str


class _EndFields(TypedDict):
    """What a cancellation and a lapse share besides the header."""

    coverage_id: str
    worker: str
    pledge_id: str
    sponsor_id: str
    payer_id: str
    district: str
    occupation: Occupation


def _seat(w: Worker, t: Term, priority: Priority) -> _SeatFields:
    return {
        "coverage_id": t.coverage_id, "worker": w.worker, "pledge_id": t.pledge_id,
        "sponsor_id": t.sponsor_id,
        "payer_id": t.payer_id, "district": w.district, "occupation": w.occupation,
        "sex": w.sex, "welfare_decile": w.welfare_decile, "package": t.package,
        "monthly_premium_idr": t.monthly_premium_idr, "months": t.months, "term_no": t.term_no,
        "priority": priority,
    }


def _end(w: Worker, t: Term) -> _EndFields:
    return {
        "coverage_id": t.coverage_id, "worker": w.worker, "pledge_id": t.pledge_id,
        "sponsor_id": t.sponsor_id,
        "payer_id": t.payer_id, "district": w.district, "occupation": w.occupation,
    }


@dataclass(slots=True)
class Outbox:
    """The outputs of one ``handle`` call, in order, each with the step's ``stamp`` and its own id."""

    region: str
    events: list[OutputEvent] = field(default_factory=list)
    stamp: Stamp = field(init=False)
    spill: Callable[[list[OutputEvent]], None] | None = None
    """Takes the outputs gathered so far whenever ``spill_at`` of them are: a step of a million
    outputs (a close billing a million terms) is then never held whole. None: all at the end."""
    spill_at: int = 5_000

    def __post_init__(self) -> None:
        self.stamp = {"event_time": EPOCH, "region": self.region, "period": ""}

    def _add(self, event: OutputEvent) -> None:
        self.events.append(event)
        if self.spill is not None and len(self.events) >= self.spill_at:
            chunk, self.events = self.events, []
            self.spill(chunk)

    def begin(self, time: datetime) -> None:
        """A new step: no outputs yet, stamped with its input's time."""
        self.events = []
        self.stamp["event_time"] = time

    def in_month(self, period: str) -> None:
        """The region's month the next outputs happen in (for a month close, the month closed)."""
        self.stamp["period"] = period

    # ------------------------------------------------------------ applications

    def waiting(self, w: Worker, priority: Priority) -> None:
        self._add(_ApplicationWaiting(
            event_id=f"application.waiting:{w.application_event_id}", **self.stamp,
            application_id=w.application_id, worker=w.worker, district=w.district, occupation=w.occupation,
            sex=w.sex, welfare_decile=w.welfare_decile, priority=priority,
        ))

    def application_rejected(
        self, app: ApplicationSubmitted, worker: str | None, reason: str, message: str
    ) -> None:
        self._add(_ApplicationRejected(
            event_id=f"application.rejected:{app.event_id}", **self.stamp,
            application_id=app.application_id, worker=worker, reason=str(reason), message=message,
        ))

    # ------------------------------------------------------------ pledges

    def pledge_rejected(self, event: PledgeSubmitted, reason: str, message: str) -> None:
        self._add(_PledgeRejected(
            event_id=f"pledge.rejected:{event.event_id}", **self.stamp,
            pledge_id=event.pledge_id, sponsor_id=event.sponsor_id, reason=str(reason), message=message,
        ))

    def pledge_accepted(self, p: Pledge, terms: PledgeTerms) -> None:
        self._add(_PledgeAccepted(
            event_id=f"pledge.accepted:{p.key}", **self.stamp,
            pledge_id=p.pledge_id, sponsor_id=p.sponsor_id, payer_id=p.payer_id, package=p.package,
            months=p.months, amount_idr=p.ledger.pledged_idr, monthly_premium_idr=p.monthly_premium_idr,
            seat_cost_idr=p.seat_cost_idr, seats=p.seats, capacity_idr=terms.capacity_idr,
            remainder_idr=terms.remainder_idr, opens_period=period_name(p.opens_period),
            valid_until=p.valid_until,
        ))

    def pledge_exhausted(self, p: Pledge) -> None:
        """Every seat filled; after the ``n``-th reopening the id names ``n`` (one id per exhaustion)."""
        suffix = f":{p.reopened}" if p.reopened else ""
        self._add(_PledgeExhausted(
            event_id=f"pledge.exhausted:{p.key}{suffix}", **self.stamp,
            pledge_id=p.pledge_id, sponsor_id=p.sponsor_id, seats=p.seats,
        ))

    def pledge_reopened(self, p: Pledge) -> None:
        self._add(_PledgeReopened(
            event_id=f"pledge.reopened:{p.key}:{p.reopened}", **self.stamp,
            pledge_id=p.pledge_id, sponsor_id=p.sponsor_id, seats=p.seats, seats_filled=p.seats_filled,
        ))

    def pledge_expired(self, p: Pledge, released: int, returned: int) -> None:
        self._add(_PledgeExpired(
            event_id=f"pledge.expired:{p.key}", **self.stamp,
            pledge_id=p.pledge_id, sponsor_id=p.sponsor_id, seats=p.seats, seats_filled=p.seats_filled,
            seats_released=released, returned_idr=returned,
        ))

    def movement(self, p: Pledge, kind: FundingKind, amount: int, runway: int, cause: str,
                 coverage_id: str | None = None) -> None:
        """A ledger movement; its id is ``funding.{kind}:{cause}`` (``models.matcher.transitions``
        names each kind's cause: the pledge, a term, a term's month, the pledge's month, a payment)."""
        self._add(_FundingMovement(
            event_id=f"funding.{kind.value}:{cause}", **self.stamp,
            kind=kind, pledge_id=p.pledge_id, sponsor_id=p.sponsor_id, payer_id=p.payer_id, amount_idr=amount,
            coverage_id=coverage_id, balances=p.ledger.balances(runway),
        ))

    # ------------------------------------------------------------ coverage

    def coverage_committed(self, w: Worker, t: Term, priority: Priority) -> None:
        """The registration request for the payer: a seat's money is committed, cover not started."""
        self._add(_CoverageCommitted(
            event_id=f"coverage.committed:{t.coverage_id}", **self.stamp, **_seat(w, t, priority),
            was_waiting=t.was_waiting, registration_due_period=period_name(t.registration_due_period),
        ))

    def coverage_started(self, w: Worker, t: Term, priority: Priority, previous: Term | None,
                         rule: RenewalRule | None = None) -> None:
        """An activation (BPJS confirmed), or a renewal when the worker's ``previous`` term just ended
        (``rule``: which renewal rule seated them)."""
        assert t.start_period is not None and t.membership_since is not None
        assert t.membership_number is not None
        fields = _seat(w, t, priority)
        term: _TermFields = {
            "membership_number": t.membership_number, "start_period": period_name(t.start_period),
            "end_period": period_name(t.end_period), "membership_since": period_name(t.membership_since),
        }
        if previous is None:
            assert t.start_date is not None
            self._add(_CoverageActivated(
                event_id=f"coverage.activated:{t.coverage_id}", **self.stamp, **fields, **term,
                was_waiting=t.was_waiting, start_date=t.start_date,
                committed_period=period_name(t.committed_period),
            ))
        else:
            assert rule is not None and previous.membership_since is not None
            self._add(_CoverageRenewed(
                event_id=f"coverage.renewed:{t.coverage_id}", **self.stamp, **fields, **term,
                previous_coverage_id=previous.coverage_id,
                renewal=_RenewalBreakdown(
                    rule=rule, months_of_membership=previous.end_period - previous.membership_since + 1,
                    clock_protected=t.membership_since == previous.membership_since,
                ),
            ))

    def coverage_expired(
        self, w: Worker, old: Term, outcome: Literal["renewed", "waiting", "ended"],
        refused: str | None = None,
    ) -> None:
        event = _CoverageExpired(
            event_id=f"coverage.expired:{old.coverage_id}", **self.stamp,
            coverage_id=old.coverage_id, worker=w.worker, pledge_id=old.pledge_id, sponsor_id=old.sponsor_id,
            district=w.district, occupation=w.occupation,
            end_period=period_name(old.end_period), months_billed=old.months_billed, outcome=outcome,
        )
        if refused is not None:  # set only then: every other expiry's bytes are as before issue 18
            event = event.model_copy(update={"renewal_refused": str(refused)})
        self._add(event)

    def coverage_cancelled(self, w: Worker, t: Term, reason: str, message: str, released: int) -> None:
        self._add(_CoverageCancelled(
            event_id=f"coverage.cancelled:{t.coverage_id}", **self.stamp, **_end(w, t),
            reason=str(reason), message=message, released_idr=released,
            outcome="rejected" if w.registration_rejected else "waiting",
        ))

    def coverage_lapsed(
        self, w: Worker, t: Term, unpaid: int, written_off: int, released: int, last_paid: int | None
    ) -> None:
        self._add(_CoverageLapsed(
            event_id=f"coverage.lapsed:{t.coverage_id}", **self.stamp, **_end(w, t),
            unpaid_months=unpaid, written_off_idr=written_off, released_idr=released,
            last_paid_period=None if last_paid is None else period_name(last_paid),
        ))

    def coverage_ended(
        self, w: Worker, t: Term, reason: LifeEventKind, end_period: int | None, covered: int, unused: int,
        released: int, seat: SeatOutcome, refill: str | None, returned: int,
    ) -> None:
        self._add(_CoverageEnded(
            event_id=f"coverage.ended:{t.coverage_id}", **self.stamp, **_end(w, t),
            reason=reason, end_period=None if end_period is None else period_name(end_period),
            months_covered=covered, months_unused=unused, released_idr=released, seat=seat,
            refill_coverage_id=refill, returned_idr=returned,
        ))

    # ------------------------------------------------------------ life events

    def life_event_recorded(
        self, w: Worker, event: LifeEventReported, status: LifeStatus, outcome: LifeOutcome
    ) -> None:
        self._add(_LifeEventRecorded(
            event_id=f"life_event.recorded:{event.event_id}", **self.stamp,
            worker=w.worker, kind=event.kind, effective_period=event.effective_period,
            reported_on=event.reported_on, status=status, outcome=outcome,
            claim=event.kind in CLAIM_KINDS,
        ))

    def life_event_rejected(self, event: LifeEventReported, worker: str | None, reason: str,
                            message: str) -> None:
        self._add(_LifeEventRejected(
            event_id=f"life_event.rejected:{event.event_id}", **self.stamp,
            worker=worker, application_id=event.application_id, kind=event.kind, reason=str(reason),
            message=message,
        ))

    def person_released(self, event: LifeEventReported, outcome: ReleaseOutcome, since: int | None,
                        through: int | None) -> None:
        """The answer to the engine's move request (``models.persons``): rare, so validated as built."""
        assert event.worker is not None  # the engine names the worker by pseudonym
        if since is not None and (through is None or since > through):
            since = None  # a term that started here and ended with no month covered: no clock to carry
        months = 0 if since is None or through is None else through - since + 1
        self._add(PersonReleased(
            event_id=f"person.released:{event.event_id}", **self.stamp,
            worker=event.worker, move_id=event.event_id, outcome=outcome,
            membership_since=None if since is None else period_name(since),
            covered_through=None if through is None else period_name(through), months_of_membership=months,
        ))

    def registration_unmatched(self, event_id: str, coverage_id: str, answer: str, reason: str,
                               message: str) -> None:
        self._add(_RegistrationUnmatched(
            event_id=f"registration.unmatched:{event_id}", **self.stamp,
            coverage_id=coverage_id, answer="confirmed" if answer == "confirmed" else "rejected",
            reason=str(reason), message=message,
        ))

    # ------------------------------------------------------------ bills, payments, refunds

    def bill_line(self, bill_id: str, line_no: int, t: Term, amount: int, discount: str | None) -> None:
        """One line per active term at a close: built bare (``models.trusted.adopt``), the
        ``BillLine`` field order written out, so a million of them cost what they must."""
        assert t.membership_number is not None
        stamp = self.stamp
        self._add(_BillLineBare({
            "schema_version": 1, "event_id": f"bill.line:{bill_id}:{t.coverage_id}",
            "event_time": stamp["event_time"], "region": stamp["region"], "period": stamp["period"],
            "type": "bill.line", "bill_id": bill_id, "line_no": line_no, "payer_id": t.payer_id,
            "coverage_id": t.coverage_id, "worker": t.worker, "membership_number": t.membership_number,
            "pledge_id": t.pledge_id, "sponsor_id": t.sponsor_id, "months": 1, "amount_idr": amount,
            "discount": discount,
        }))

    def bill_issued(self, b: Bill) -> None:
        self._add(_BillIssued(
            event_id=f"bill.issued:{b.bill_id}", **self.stamp,
            bill_id=b.bill_id, payer_id=b.payer_id, lines=b.lines, total_idr=b.total_idr, due_date=b.due_date,
        ))

    def payment_reconciled(
        self, event: PaymentReported, outcome: ReconcileOutcome, reason: str, message: str, *,
        applied: int, refund: int, lines_paid: int, lines_outstanding: int, outstanding: int,
    ) -> None:
        self._add(_PaymentReconciled(
            event_id=f"payment.reconciled:{event.event_id}", **self.stamp,
            payment_id=event.payment_id, payer_id=event.payer_id, bill_id=event.bill_id, outcome=outcome,
            reason=str(reason), message=message, amount_idr=event.amount_idr, applied_idr=applied,
            refund_idr=refund,
            lines_paid=lines_paid, lines_outstanding=lines_outstanding, outstanding_idr=outstanding,
        ))

    def refund_owed(self, f: Refund) -> None:
        self._add(_RefundOwed(
            event_id=f"refund.owed:{f.refund_id}", **self.stamp,
            refund_id=f.refund_id, payer_id=f.payer_id, amount_idr=f.amount_idr,
            cause=f.cause, payment_id=f.payment_id, coverage_id=f.coverage_id,
        ))

    def refund_closed(self, event_id: str, f: Refund, amount: int) -> None:
        self._add(_RefundClosed(
            event_id=f"refund.closed:{event_id}", **self.stamp,
            refund_id=f.refund_id, payer_id=f.payer_id, amount_idr=amount, refunded_idr=f.refunded_idr,
            remaining_idr=f.amount_idr - f.refunded_idr,
        ))

    def refund_rejected(self, event_id: str, refund_id: str, amount: int, reason: str, message: str) -> None:
        self._add(_RefundRejected(
            event_id=f"refund.rejected:{event_id}", **self.stamp,
            refund_id=refund_id, amount_idr=amount, reason=str(reason), message=message,
        ))

    def payer_movement(self, a: Payer, kind: PayerKind, cause: str, amount: int, applied: int) -> None:
        self._add(_PayerMovement(
            event_id=f"payer.{kind}:{self.region}:{a.payer_id}:{cause}", **self.stamp,
            kind=kind, payer_id=a.payer_id, amount_idr=amount, applied_idr=applied, cause=cause,
            balances=_PayerBalances(
                received_idr=a.received_idr, applied_idr=a.applied_idr, refunds_owed_idr=a.refunds_owed_idr,
                refunded_idr=a.refunded_idr,
            ),
        ))


def due_date(period: int, day: int) -> date:
    """Day ``day`` of the month after ``period``: when a bill for ``period`` falls due."""
    year, month0 = divmod(period + 1, 12)
    return date(year, month0 + 1, day)

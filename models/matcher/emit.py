"""The events a matcher step emits, built in one place with one header and ids derived from their cause.

Every output carries the same header: an id derived from what caused it,
and the step's ``stamp``: the causing input's time, the region, and the
region's month (for a month close, the month closed). The builders below
add each event's own fields, so a replay derives the same ids and bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypedDict

from models.eligibility import PledgeTerms
from models.events import (
    ApplicationRejected,
    ApplicationSubmitted,
    ApplicationWaiting,
    CoverageActivated,
    CoverageExpired,
    CoverageRenewed,
    FundingKind,
    FundingMovement,
    OutputEvent,
    PledgeAccepted,
    PledgeExhausted,
    PledgeExpired,
    PledgeRejected,
    PledgeSubmitted,
)
from models.matcher.entities import Pledge, Term, Worker
from models.occupations import Occupation
from models.periods import period_name
from models.priority import Priority
from models.tariff import Package

__all__ = ["EPOCH", "Outbox", "Stamp"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""The stamp before any input: never on an event (every step stamps its input's time first)."""


class Stamp(TypedDict):
    """The header every output of a step shares; only its ``event_id`` is its own."""

    event_time: datetime
    region: str
    period: str


class _TermFields(TypedDict):
    """What an activation and a renewal share besides the header."""

    coverage_id: str
    worker: str
    pledge_id: str
    sponsor_id: str
    district: str
    occupation: Occupation
    package: Package
    monthly_premium_idr: int
    months: int
    term_no: int
    start_period: str
    end_period: str
    membership_since: str
    priority: Priority


@dataclass(slots=True)
class Outbox:
    """The outputs of one ``handle`` call, in order, each with the step's ``stamp`` and its own id."""

    region: str
    events: list[OutputEvent] = field(default_factory=list)
    stamp: Stamp = field(init=False)

    def __post_init__(self) -> None:
        self.stamp = {"event_time": EPOCH, "region": self.region, "period": ""}

    def begin(self, time: datetime) -> None:
        """A new step: no outputs yet, stamped with its input's time."""
        self.events = []
        self.stamp["event_time"] = time

    def in_month(self, period: str) -> None:
        """The region's month the next outputs happen in (for a month close, the month closed)."""
        self.stamp["period"] = period

    # ------------------------------------------------------------ applications

    def waiting(self, w: Worker, priority: Priority) -> None:
        self.events.append(ApplicationWaiting(
            event_id=f"application.waiting:{w.application_event_id}", **self.stamp,
            application_id=w.application_id, worker=w.worker, district=w.district, occupation=w.occupation,
            priority=priority,
        ))

    def application_rejected(
        self, app: ApplicationSubmitted, worker: str | None, reason: str, message: str
    ) -> None:
        self.events.append(ApplicationRejected(
            event_id=f"application.rejected:{app.event_id}", **self.stamp,
            application_id=app.application_id, worker=worker, reason=reason, message=message,
        ))

    # ------------------------------------------------------------ pledges

    def pledge_rejected(self, event: PledgeSubmitted, reason: str, message: str) -> None:
        self.events.append(PledgeRejected(
            event_id=f"pledge.rejected:{event.event_id}", **self.stamp,
            pledge_id=event.pledge_id, sponsor_id=event.sponsor_id, reason=reason, message=message,
        ))

    def pledge_accepted(self, p: Pledge, terms: PledgeTerms) -> None:
        self.events.append(PledgeAccepted(
            event_id=f"pledge.accepted:{p.key}", **self.stamp,
            pledge_id=p.pledge_id, sponsor_id=p.sponsor_id, payer_id=p.payer_id, package=p.package,
            months=p.months, amount_idr=p.ledger.pledged_idr, monthly_premium_idr=p.monthly_premium_idr,
            seat_cost_idr=p.seat_cost_idr, seats=p.seats, capacity_idr=terms.capacity_idr,
            remainder_idr=terms.remainder_idr, opens_period=period_name(p.opens_period),
            valid_until=p.valid_until,
        ))

    def pledge_exhausted(self, p: Pledge) -> None:
        self.events.append(PledgeExhausted(
            event_id=f"pledge.exhausted:{p.key}", **self.stamp,
            pledge_id=p.pledge_id, sponsor_id=p.sponsor_id, seats=p.seats,
        ))

    def pledge_expired(self, p: Pledge, released: int, returned: int) -> None:
        self.events.append(PledgeExpired(
            event_id=f"pledge.expired:{p.key}", **self.stamp,
            pledge_id=p.pledge_id, sponsor_id=p.sponsor_id, seats=p.seats, seats_filled=p.seats_filled,
            seats_released=released, returned_idr=returned,
        ))

    def movement(
        self, p: Pledge, kind: FundingKind, amount: int, runway: int, coverage_id: str | None = None
    ) -> None:
        """A ledger movement, caused by a term (``coverage_id``) or by the pledge itself.

        A term pays a premium every month, so those ids name the month too.
        """
        cause = p.key if coverage_id is None else coverage_id
        if kind is FundingKind.PREMIUM_PAID:
            cause = f"{cause}:{self.stamp['period']}"
        self.events.append(FundingMovement(
            event_id=f"funding.{kind.value}:{cause}", **self.stamp,
            kind=kind, pledge_id=p.pledge_id, sponsor_id=p.sponsor_id, payer_id=p.payer_id, amount_idr=amount,
            coverage_id=coverage_id, balances=p.ledger.balances(runway),
        ))

    # ------------------------------------------------------------ coverage

    def coverage_started(
        self, w: Worker, p: Pledge, term: Term, priority: Priority, *,
        was_waiting: bool, previous: Term | None,
    ) -> None:
        """An activation, or a renewal when the worker's ``previous`` term just ended."""
        fields: _TermFields = {
            "coverage_id": term.coverage_id, "worker": w.worker, "pledge_id": p.pledge_id,
            "sponsor_id": p.sponsor_id, "district": w.district, "occupation": w.occupation,
            "package": p.package, "monthly_premium_idr": p.monthly_premium_idr, "months": p.months,
            "term_no": term.term_no, "start_period": period_name(term.start_period),
            "end_period": period_name(term.start_period + p.months - 1),
            "membership_since": period_name(term.membership_since), "priority": priority,
        }
        if previous is None:
            self.events.append(CoverageActivated(
                event_id=f"coverage.activated:{term.coverage_id}", **self.stamp, **fields,
                was_waiting=was_waiting,
            ))
        else:
            self.events.append(CoverageRenewed(
                event_id=f"coverage.renewed:{term.coverage_id}", **self.stamp, **fields,
                previous_coverage_id=previous.coverage_id,
            ))

    def coverage_expired(self, w: Worker, old: Term, *, renewed: bool) -> None:
        assert w.last_end_period is not None
        self.events.append(CoverageExpired(
            event_id=f"coverage.expired:{old.coverage_id}", **self.stamp,
            coverage_id=old.coverage_id, worker=w.worker, pledge_id=old.pledge_id, sponsor_id=old.sponsor_id,
            district=w.district, occupation=w.occupation,
            end_period=period_name(w.last_end_period), months_paid=old.months_paid,
            outcome="renewed" if renewed else "waiting",
        ))

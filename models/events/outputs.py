"""What the engine emits about applications, coverage and pledges.

Output ids are derived from their cause (``coverage.activated:{coverage_id}``,
``pledge.expired:{sponsor}:{pledge}``...), so a replay produces the same ids
and downstream consumers drop repeats. Output ``event_time`` is the causing
event's time; ``period`` is the region's event-time month (``models.matcher``
explains the clock). Which topic each goes to, and its key, is
``models.topics``.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import SerializerFunctionWrapHandler, model_serializer

from models.events.base import Identifier, Model, OutputBase, Rupiah
from models.events.billing import (
    BillIssued,
    BillLine,
    PaymentReconciled,
    RefundClosed,
    RefundOwed,
    RefundRejected,
)
from models.events.funding import FundingMovement, PayerMovement
from models.events.life import CoverageEnded, LifeEventRecorded, LifeEventRejected
from models.events.persons import PersonMoved, PersonReleased
from models.nik import Sex
from models.occupations import Occupation
from models.periods import Period
from models.priority import Priority
from models.regions import DistrictCode
from models.tariff import Package

__all__ = [
    "ApplicationRejected",
    "ApplicationWaiting",
    "CoverageActivated",
    "CoverageCancelled",
    "CoverageCommitted",
    "CoverageExpired",
    "CoverageLapsed",
    "CoverageRenewed",
    "OutputEvent",
    "PledgeAccepted",
    "PledgeExhausted",
    "PledgeExpired",
    "PledgeRejected",
    "PledgeReopened",
    "RegistrationUnmatched",
    "RenewalBreakdown",
]


class ApplicationWaiting(OutputBase):
    """Eligible, no seat yet: the worker joins the region's waiting list."""

    type: Literal["application.waiting"] = "application.waiting"
    application_id: Identifier
    worker: str
    """The keyed pseudonym (``models.nik.pseudonym``); never the NIK or name."""
    district: DistrictCode
    occupation: Occupation
    sex: Sex | None = None
    """As applied: what targeting and the fairness figures count by (None: an older record)."""
    welfare_decile: int | None = None
    """1-10 as applied, None when unknown."""
    priority: Priority


class ApplicationRejected(OutputBase):
    """Not eligible, or a duplicate; ``reason`` is a stable code, ``message`` says what to do."""

    type: Literal["application.rejected"] = "application.rejected"
    application_id: Identifier
    worker: str | None
    """Pseudonym when the NIK parsed, else None."""
    reason: str
    message: str


class _Seat(OutputBase):
    coverage_id: str
    """``{sponsor_id}:{pledge_id}:{worker}:{term_no}``: one id per term."""
    worker: str
    pledge_id: Identifier
    sponsor_id: Identifier
    payer_id: Identifier
    district: DistrictCode
    occupation: Occupation
    sex: Sex | None = None
    """As applied (None: an output written before schema 1 carried it)."""
    welfare_decile: int | None = None
    package: Package
    monthly_premium_idr: Rupiah
    months: int
    term_no: int
    """1 for the worker's first term, +1 per term (renewal or later match)."""
    priority: Priority


class CoverageCommitted(_Seat):
    """A worker got a seat: its money is committed, and this is the payer's registration request.

    Cover has not started: it starts when BPJS confirms the registration
    (``registration.confirmed``); unconfirmed at the close of
    ``registration_due_period``, the seat is cancelled (``registration_expired``).
    """

    type: Literal["coverage.committed"] = "coverage.committed"
    was_waiting: bool
    """False when matched on arrival, True when taken from the waiting list."""
    registration_due_period: Period


class _CoverageTerm(_Seat):
    membership_number: str
    """BPJS's membership number (KPJ), kept across renewals."""
    start_period: Period
    """First month of cover; cover starts when the registration is accepted."""
    end_period: Period
    """Last month of cover, inclusive: ``start_period + months - 1``."""
    membership_since: Period
    """Start of unbroken membership, for benefit clocks (JKM needs 3 months)."""


class CoverageActivated(_CoverageTerm):
    """BPJS confirmed a committed seat's registration: cover starts this month and is billed."""

    type: Literal["coverage.activated"] = "coverage.activated"
    was_waiting: bool
    """As on the ``coverage.committed`` it activates."""
    start_date: date
    """The start BPJS reported (cover is billed from ``start_period``, the region's month)."""
    committed_period: Period


class RenewalBreakdown(Model):
    """Why a worker was renewed before anyone new was covered (``CityPolicy.renew_before_new``)."""

    rule: Literal["renew_before_new", "by_priority"]
    """``renew_before_new``: expiring workers took open seats before the waiting list; ``by_priority``:
    they competed with waiting workers by priority and this one ranked high enough."""
    months_of_membership: int
    """Months of unbroken BPJS membership at the end of the previous term: the benefit clocks
    (JKM's death benefit needs 3, its scholarship benefit 36) that a gap would have reset."""
    clock_protected: bool
    """The renewal carried an unbroken membership on (no gap: the clocks keep running)."""


def _lean(data: dict[str, object], later: tuple[str, ...]) -> dict[str, object]:
    """Drop fields added later while they are None: older outputs' bytes stay as they were."""
    for name in later:
        if data.get(name) is None:
            data.pop(name, None)
    return data


class CoverageRenewed(_CoverageTerm):
    """A term ended and the worker was re-seated with no gap: active at once, same membership number."""

    type: Literal["coverage.renewed"] = "coverage.renewed"
    previous_coverage_id: str
    renewal: RenewalBreakdown | None = None
    """The rule that renewed the worker and the clock it protected (None: written before issue 18)."""

    @model_serializer(mode="wrap")
    def _without_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        return _lean(handler(self), ("renewal",))


class CoverageExpired(OutputBase):
    """A term's last month was billed; ``outcome`` says whether a renewal follows."""

    type: Literal["coverage.expired"] = "coverage.expired"
    coverage_id: str
    worker: str
    pledge_id: Identifier
    sponsor_id: Identifier
    district: DistrictCode
    occupation: Occupation
    end_period: Period
    months_billed: int
    outcome: Literal["renewed", "waiting", "ended"]
    """``ended``: not renewed and not waiting: the renewal check refused it (``renewal_refused``)."""
    renewal_refused: str | None = None
    """Why the renewal check refused the worker (``age_above_maximum``); None otherwise."""

    @model_serializer(mode="wrap")
    def _without_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        return _lean(handler(self), ("renewal_refused",))


class CoverageCancelled(OutputBase):
    """A committed seat that never became cover: BPJS rejected it, or no confirmation came in time.

    Its money is released and the seat goes to the next waiting worker the
    pledge admits. ``outcome``: ``waiting`` (``registration_expired``: the
    worker did nothing wrong and waits again with their original priority) or
    ``rejected`` (``registration_rejected``: an officer must check the data;
    a new application for the NIK is a fresh attempt).
    """

    type: Literal["coverage.cancelled"] = "coverage.cancelled"
    coverage_id: str
    worker: str
    pledge_id: Identifier
    sponsor_id: Identifier
    payer_id: Identifier
    district: DistrictCode
    occupation: Occupation
    reason: str
    message: str
    released_idr: Rupiah
    outcome: Literal["waiting", "rejected"]


class CoverageLapsed(OutputBase):
    """A term whose payer left a line unpaid past the arrears window: membership ends.

    Its unpaid lines are written off, its not-yet-billed money released, its
    seat freed, the worker's benefit clocks reset, and the worker waits again
    with their original priority (the payer failed, not the worker).
    """

    type: Literal["coverage.lapsed"] = "coverage.lapsed"
    coverage_id: str
    worker: str
    pledge_id: Identifier
    sponsor_id: Identifier
    payer_id: Identifier
    district: DistrictCode
    occupation: Occupation
    unpaid_months: int
    written_off_idr: Rupiah
    released_idr: Rupiah
    last_paid_period: Period | None


class RegistrationUnmatched(OutputBase):
    """A registration answer the engine cannot apply: unknown coverage id, or a seat no longer pending."""

    type: Literal["registration.unmatched"] = "registration.unmatched"
    coverage_id: str
    answer: Literal["confirmed", "rejected"]
    reason: str
    message: str


class PledgeAccepted(OutputBase):
    """The engine took the pledge: its seats, what they cost, and when they open."""

    type: Literal["pledge.accepted"] = "pledge.accepted"
    pledge_id: Identifier
    sponsor_id: Identifier
    payer_id: Identifier
    package: Package
    months: int
    amount_idr: Rupiah
    monthly_premium_idr: Rupiah
    seat_cost_idr: Rupiah
    """``monthly_premium_idr * months``: the money one seat binds."""
    seats: int
    capacity_idr: Rupiah
    """``seats * seat_cost_idr``: the most this pledge can ever commit."""
    remainder_idr: Rupiah
    """``amount_idr - capacity_idr``: never committable, returned at expiry."""
    opens_period: Period
    """First month seats can be filled (later than ``period`` if ``valid_from`` is ahead)."""
    valid_until: date


class PledgeRejected(OutputBase):
    """A pledge that cannot be accepted; nothing was committed."""

    type: Literal["pledge.rejected"] = "pledge.rejected"
    pledge_id: Identifier
    sponsor_id: Identifier
    reason: str
    message: str


class PledgeExhausted(OutputBase):
    """Every seat is filled; the pledge keeps paying its terms until they end."""

    type: Literal["pledge.exhausted"] = "pledge.exhausted"
    pledge_id: Identifier
    sponsor_id: Identifier
    seats: int


class PledgeReopened(OutputBase):
    """An exhausted pledge got a seat back (a cancellation or a lapse) that no waiting worker took."""

    type: Literal["pledge.reopened"] = "pledge.reopened"
    pledge_id: Identifier
    sponsor_id: Identifier
    seats: int
    seats_filled: int


class PledgeExpired(OutputBase):
    """The validity window closed: free seats released, remainder returned to the payer."""

    type: Literal["pledge.expired"] = "pledge.expired"
    pledge_id: Identifier
    sponsor_id: Identifier
    seats: int
    seats_filled: int
    seats_released: int
    returned_idr: Rupiah


OutputEvent = (
    ApplicationWaiting
    | ApplicationRejected
    | CoverageCommitted
    | CoverageActivated
    | CoverageRenewed
    | CoverageExpired
    | CoverageCancelled
    | CoverageLapsed
    | RegistrationUnmatched
    | PledgeAccepted
    | PledgeRejected
    | PledgeExhausted
    | PledgeReopened
    | PledgeExpired
    | FundingMovement
    | PayerMovement
    | BillLine
    | BillIssued
    | PaymentReconciled
    | RefundOwed
    | RefundClosed
    | RefundRejected
    | LifeEventRecorded
    | LifeEventRejected
    | CoverageEnded
    | PersonReleased
    | PersonMoved
)
"""What ``RegionMatcher.handle`` returns."""

"""What the engine reads about money that moved: BPJS's registration answers, payments, refund transfers.

All are keyed by region on Kafka (``models.topics``): the region's matcher
holds the terms, bills and refunds they name, so it applies them in its one
order. ``registrations.v1`` carries what a BPJS branch answers to a
``coverage.committed`` registration request; ``payments.v1`` what payers
report having paid (``payment.reported``) and what the city has refunded
(``refund.settled``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from models.events.base import EventBase, Identifier
from models.regions import RegencyCode

__all__ = [
    "MembershipNumber",
    "PaymentReported",
    "PaymentSource",
    "RefundSettled",
    "RegistrationConfirmed",
    "RegistrationRejected",
]

MembershipNumber = Annotated[str, StringConstraints(pattern=r"^[0-9]{8,16}$")]
"""BPJS's membership number (KPJ): 8 to 16 digits; stored and shown, never validated beyond that."""

DerivedId = Annotated[str, StringConstraints(min_length=1, max_length=300)]
"""An id the engine derived (a coverage, bill or refund id): echoed back as it was emitted."""

PaymentSource = Literal["api", "upload", "topic"]


class RegistrationConfirmed(EventBase):
    """BPJS accepted a registration request: the term's cover starts (``coverage.activated``)."""

    type: Literal["registration.confirmed"] = "registration.confirmed"
    region: RegencyCode
    coverage_id: DerivedId
    """The ``coverage_id`` of the ``coverage.committed`` request it answers."""
    payer_id: Identifier
    """The payer that registered the worker: an answer for another payer's seat changes nothing."""
    membership_number: MembershipNumber
    start_date: date
    """The start BPJS recorded; cover is billed from the region's current month whatever it says."""


class RegistrationRejected(EventBase):
    """BPJS refused a registration request (``coverage.cancelled``, the seat goes to the next worker)."""

    type: Literal["registration.rejected"] = "registration.rejected"
    region: RegencyCode
    coverage_id: DerivedId
    payer_id: Identifier
    """The payer that registered the worker: an answer for another payer's seat changes nothing."""
    reason: str = Field(min_length=1, max_length=500)
    """BPJS's own words, carried in the cancellation's ``message``."""


class PaymentReported(EventBase):
    """A payer transferred contributions to BPJS for a bill (reconciled into ``payment.reconciled``)."""

    type: Literal["payment.reported"] = "payment.reported"
    payment_id: Identifier
    """The bank's or BPJS's transaction reference: the same one reported twice is a ``duplicate``."""
    payer_id: Identifier
    region: RegencyCode
    bill_id: DerivedId
    """The reference printed on the bill (``bill:{region}:{payer}:{period}``)."""
    amount_idr: int = Field(gt=0)
    paid_on: date
    source: PaymentSource


class RefundSettled(EventBase):
    """The city (or BPJS) transferred a refund owed to a payer, in full or in part."""

    type: Literal["refund.settled"] = "refund.settled"
    region: RegencyCode
    refund_id: DerivedId
    amount_idr: int = Field(gt=0)
    settled_on: date

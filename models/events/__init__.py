"""Every event Jaring reads or writes, as frozen pydantic models; a new type is added here.

Common to all: ``type`` (dotted, the discriminator), ``schema_version``
(1), ``event_id`` and ``event_time`` (aware, normalised to UTC).

Compatibility rules, so producers and consumers can upgrade apart:

- unknown fields are ignored on input (a newer producer may add fields);
  a newer ``schema_version`` of a known type is refused, since its meaning
  may have changed (``unsupported_schema_version``);
- types are strict otherwise (no ``"5"`` for 5, no ``1`` for ``true``);
- rejection reasons are plain strings on the wire so an old consumer can
  read a new code (``models.errors.Reason`` lists today's).

Output ids are derived from their cause (``coverage.activated:{coverage_id}``,
``bill:{region}:{payer}:{period}``...), so a replay produces the
same ids and downstream consumers drop repeats. Output ``event_time`` is the
causing event's time; ``period`` is the region's event-time month
(``models.matcher`` explains the clock).

A pledge id belongs to its sponsor: the engine identifies a pledge by
``pledge_key(sponsor_id, pledge_id)`` (``{sponsor}:{pledge}``), so two sponsors
choosing the same ``pledge_id`` have two independent pledges, and one sponsor
can neither probe nor squat another's ids. Events keep ``sponsor_id`` and
``pledge_id`` as separate fields; ids derived from a pledge embed the key:
``pledge.accepted:{sponsor}:{pledge}``, ``funding.pledged:{sponsor}:{pledge}``,
and ``coverage_id`` is ``{sponsor}:{pledge}:{worker}:{term_no}``.

Modules: ``base`` (the header every event shares, id and money types,
``pledge_key``), ``inputs`` (what the engine reads), ``outputs`` (what it
says about applications, coverage and pledges), ``payments`` (registration
answers, payments and refund transfers read), ``billing`` (bills,
reconciliation and refunds emitted), ``funding`` (ledger and payer account
movements), ``life`` (life events reported, and what they did),
``persons`` (one person across regions: a move's release and its record),
``access`` (the API's record of personal data handed out), ``webhooks`` (a
sponsor's webhook and its delivery log), ``dead_letter``. Import from this
package: ``from models.events import CoverageActivated``. Which topic each
type travels on, and its key, is ``models.topics``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from models.events.access import AccessRecorded, AccessResource
from models.events.base import EventId, Identifier, UtcDatetime, pledge_key
from models.events.billing import (
    BillIssued,
    BillLine,
    PaymentReconciled,
    ReconcileOutcome,
    RefundCause,
    RefundClosed,
    RefundOwed,
    RefundRejected,
)
from models.events.dead_letter import DeadLetter
from models.events.funding import (
    FundingKind,
    FundingMovement,
    LedgerBalances,
    PayerBalances,
    PayerKind,
    PayerMovement,
)
from models.events.inputs import (
    ApplicationSubmitted,
    Channel,
    Input,
    InputEvent,
    MonthTick,
    PledgeSubmitted,
    Targeting,
    region_of,
)
from models.events.life import (
    CLAIM_KINDS,
    EXIT_KINDS,
    CoverageEnded,
    LifeEventKind,
    LifeEventRecorded,
    LifeEventRejected,
    LifeEventReported,
    LifeOutcome,
    LifeStatus,
    SeatOutcome,
)
from models.events.outputs import (
    ApplicationRejected,
    ApplicationWaiting,
    CoverageActivated,
    CoverageCancelled,
    CoverageCommitted,
    CoverageExpired,
    CoverageLapsed,
    CoverageRenewed,
    OutputEvent,
    PledgeAccepted,
    PledgeExhausted,
    PledgeExpired,
    PledgeRejected,
    PledgeReopened,
    RegistrationUnmatched,
    RenewalBreakdown,
)
from models.events.payments import (
    MembershipNumber,
    PaymentReported,
    PaymentSource,
    RefundSettled,
    RegistrationConfirmed,
    RegistrationRejected,
)
from models.events.persons import Carried, PersonMoved, PersonReleased, ReleaseOutcome
from models.events.webhooks import (
    DeliveryOutcome,
    WebhookAttempted,
    WebhookRegistered,
    WebhookRemoved,
    WebhookReplayed,
    WebhookReplayRequested,
)

__all__ = [
    "CLAIM_KINDS",
    "EXIT_KINDS",
    "AccessRecorded",
    "AccessResource",
    "ApplicationRejected",
    "ApplicationSubmitted",
    "ApplicationWaiting",
    "BillIssued",
    "BillLine",
    "Carried",
    "Channel",
    "CoverageActivated",
    "CoverageCancelled",
    "CoverageCommitted",
    "CoverageEnded",
    "CoverageExpired",
    "CoverageLapsed",
    "CoverageRenewed",
    "DeadLetter",
    "DeliveryOutcome",
    "Event",
    "EventId",
    "FundingKind",
    "FundingMovement",
    "Identifier",
    "Input",
    "InputEvent",
    "LedgerBalances",
    "LifeEventKind",
    "LifeEventRecorded",
    "LifeEventRejected",
    "LifeEventReported",
    "LifeOutcome",
    "LifeStatus",
    "MembershipNumber",
    "MonthTick",
    "OutputEvent",
    "PayerBalances",
    "PayerKind",
    "PayerMovement",
    "PaymentReconciled",
    "PaymentReported",
    "PaymentSource",
    "PersonMoved",
    "PersonReleased",
    "PledgeAccepted",
    "PledgeExhausted",
    "PledgeExpired",
    "PledgeRejected",
    "PledgeReopened",
    "PledgeSubmitted",
    "ReconcileOutcome",
    "RefundCause",
    "RefundClosed",
    "RefundOwed",
    "RefundRejected",
    "RefundSettled",
    "RegistrationConfirmed",
    "RegistrationRejected",
    "RegistrationUnmatched",
    "ReleaseOutcome",
    "RenewalBreakdown",
    "SeatOutcome",
    "Targeting",
    "UtcDatetime",
    "WebhookAttempted",
    "WebhookEvent",
    "WebhookRegistered",
    "WebhookRemoved",
    "WebhookReplayRequested",
    "WebhookReplayed",
    "pledge_key",
    "region_of",
]

WebhookEvent = (
    WebhookRegistered | WebhookRemoved | WebhookReplayRequested | WebhookAttempted | WebhookReplayed
)
"""A sponsor's webhook registration, replay requests and delivery log (``models.events.webhooks``)."""

Event = Annotated[
    Input | OutputEvent | AccessRecorded | DeadLetter | WebhookEvent, Field(discriminator="type")
]
"""Any event on any Jaring topic."""

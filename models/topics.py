"""Every topic Jaring reads or writes, its key, and which event types travel on it: the one routing table.

Everything that names or chooses a topic reads it here: the worker declares
and creates each one (``streams.catalogue``), the router knows which input
type arrives where, outputs are sent where ``route`` says, and the API, the
dashboard, the demo and the audit read the topics carrying the types they
fold. A new event type gets its topic by adding it to one ``Topic`` below;
a type without one cannot be routed (``UnroutableError``), never sent to a
default.

Names are under the namespace (``Settings.topic`` adds it:
``kendari.coverage.v1``). Every topic has the same partition count, because
matching for one region happens in one partition: the region log, the state
table's changelog and the outputs keyed by region all line up.

=========================  ======  ========  ==============================================
topic                      key     role      carries
=========================  ======  ========  ==============================================
``applications.v1``        region  input     ``application.submitted``
``pledges.v1``             region  input     ``pledge.submitted``
``clock.v1``               region  input     ``month.tick`` (the event-time clock)
``registrations.v1``       region  input     ``registration.confirmed`` / ``rejected`` (BPJS's answers)
``payments.v1``            region  input     ``payment.reported``, ``refund.settled``
``life-events.v1``         region  input     ``life_event.reported`` (an officer's report: moved out, died...)
``region-log.v1``          region  internal  copies of every input, in one order per region
``application-status.v1``  region  output    ``application.waiting`` / ``rejected``,
                                             ``life_event.recorded`` / ``rejected``
``coverage.v1``            region  output    ``coverage.committed`` / ``activated`` / ``renewed`` /
                                             ``expired`` / ``cancelled`` / ``lapsed`` / ``ended``,
                                             ``registration.unmatched``
``pledge-status.v1``       pledge  output    ``pledge.accepted`` / ``rejected`` / ``exhausted`` /
                                             ``reopened`` / ``expired``
``funding.v1``             region  output    ``funding.movement`` (pledge ledgers), ``payer.movement``
``billing.v1``             region  output    ``bill.line`` / ``issued``, ``payment.reconciled``,
                                             ``refund.owed`` / ``closed`` / ``rejected``
``deadletter.v1``          none    output    ``deadletter``: reason and the original bytes
``access-log.v1``          payer   record    ``access.recorded``: who downloaded personal data
``webhooks.v1``            sponsor record    ``webhook.registered`` / ``removed`` / ``replay_requested``
``webhook-deliveries.v1``  sponsor record    ``webhook.attempted`` / ``replayed``: the delivery log
``person-claims.v1``       person  internal  copies of applications, for the person index
``persons.v1``             person  output    ``person.released`` (a region's answer to a move),
                                             ``person.moved``
=========================  ======  ========  ==============================================

The key of a region-keyed topic is the regency code (``"74.71"``); of
``pledge-status.v1`` the pledge's ``pledge_key`` (a sponsor's pledge keeps
its statuses in one partition, in order); of ``access-log.v1`` the payer
whose data was handed out (a payer's downloads in order); of the webhook
topics the sponsor (a sponsor's requests and deliveries in order); of the
person topics the worker's pseudonym (one person's claims and releases in
order, on one partition of the person index); dead letters have none (their
record may not have had a readable region).
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from models.codec import INPUT_TYPES
from models.errors import UnroutableError
from models.events import (
    AccessRecorded,
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
    DeadLetter,
    Event,
    FundingMovement,
    Input,
    LifeEventRecorded,
    LifeEventRejected,
    LifeEventReported,
    MonthTick,
    OutputEvent,
    PayerMovement,
    PaymentReconciled,
    PaymentReported,
    PersonMoved,
    PersonReleased,
    PledgeAccepted,
    PledgeExhausted,
    PledgeExpired,
    PledgeRejected,
    PledgeReopened,
    PledgeSubmitted,
    RefundClosed,
    RefundOwed,
    RefundRejected,
    RefundSettled,
    RegistrationConfirmed,
    RegistrationRejected,
    RegistrationUnmatched,
    WebhookAttempted,
    WebhookRegistered,
    WebhookRemoved,
    WebhookReplayed,
    WebhookReplayRequested,
    pledge_key,
)

__all__ = [
    "ACCESS_LOG",
    "APPLICATIONS",
    "APPLICATION_STATUS",
    "BILLING",
    "CLOCK",
    "COVERAGE",
    "DEADLETTER",
    "FUNDING",
    "INPUTS",
    "LIFE_EVENTS",
    "OUTPUTS",
    "PAYMENTS",
    "PERSONS",
    "PERSON_CLAIMS",
    "PLEDGES",
    "PLEDGE_STATUS",
    "REGION_LOG",
    "REGISTRATIONS",
    "ROUTES",
    "TOPICS",
    "WEBHOOKS",
    "WEBHOOK_DELIVERIES",
    "Key",
    "Role",
    "Topic",
    "UnroutableError",
    "carrying",
    "inputs_on",
    "route",
    "topic_of",
]


class Role(StrEnum):
    INPUT = "input"
    """Written outside the engine (kiosks, the API, the clock); the router reads it."""
    INTERNAL = "internal"
    """Written and read by the engine; it holds copies of events routed to other topics."""
    OUTPUT = "output"
    """Written by the engine for the city, sponsors and operators to read."""
    RECORD = "record"
    """Written outside the engine as a record: the API's of personal data it handed out (for auditors),
    a sponsor's webhook requests, the delivery process's log; the engine neither reads nor writes it."""


class Key(StrEnum):
    REGION = "region"
    """The regency code the event names (an application's ``regency``, anyone else's ``region``)."""
    PLEDGE = "pledge"
    """``pledge_key(sponsor_id, pledge_id)``."""
    PAYER = "payer"
    """The ``payer_id`` the event is about."""
    SPONSOR = "sponsor"
    """The ``sponsor_id`` the event is about."""
    PERSON = "person"
    """The worker's pseudonym (``models.nik.pseudonym``): one person across regions; an application's is
    its NIK's, which the router computes (``streams.router``)."""
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    """The name under the namespace, e.g. ``coverage.v1``."""
    role: Role
    key: Key
    carries: tuple[type[Event], ...]
    """The event types on its records; an internal topic's are routed elsewhere first."""
    config: tuple[tuple[str, str], ...] = ()
    """Topic configuration beyond the cluster's defaults, whoever creates it (``infra.topic_admin``)."""


APPLICATIONS = Topic("applications.v1", Role.INPUT, Key.REGION, (ApplicationSubmitted,))
PLEDGES = Topic("pledges.v1", Role.INPUT, Key.REGION, (PledgeSubmitted,))
CLOCK = Topic("clock.v1", Role.INPUT, Key.REGION, (MonthTick,))
REGISTRATIONS = Topic(
    "registrations.v1", Role.INPUT, Key.REGION, (RegistrationConfirmed, RegistrationRejected)
)
PAYMENTS = Topic("payments.v1", Role.INPUT, Key.REGION, (PaymentReported, RefundSettled))
LIFE_EVENTS = Topic("life-events.v1", Role.INPUT, Key.REGION, (LifeEventReported,))
REGION_LOG = Topic("region-log.v1", Role.INTERNAL, Key.REGION, typing.get_args(Input))
APPLICATION_STATUS = Topic(
    "application-status.v1", Role.OUTPUT, Key.REGION,
    (ApplicationWaiting, ApplicationRejected, LifeEventRecorded, LifeEventRejected),
)
COVERAGE = Topic(
    "coverage.v1", Role.OUTPUT, Key.REGION,
    (CoverageCommitted, CoverageActivated, CoverageRenewed, CoverageExpired, CoverageCancelled,
     CoverageLapsed, RegistrationUnmatched, CoverageEnded),
)
PLEDGE_STATUS = Topic(
    "pledge-status.v1", Role.OUTPUT, Key.PLEDGE,
    (PledgeAccepted, PledgeRejected, PledgeExhausted, PledgeReopened, PledgeExpired),
)
FUNDING = Topic("funding.v1", Role.OUTPUT, Key.REGION, (FundingMovement, PayerMovement))
BILLING = Topic(
    "billing.v1", Role.OUTPUT, Key.REGION,
    (BillLine, BillIssued, PaymentReconciled, RefundOwed, RefundClosed, RefundRejected),
)
DEADLETTER = Topic("deadletter.v1", Role.OUTPUT, Key.NONE, (DeadLetter,))
ACCESS_LOG = Topic("access-log.v1", Role.RECORD, Key.PAYER, (AccessRecorded,))
WEBHOOKS = Topic(
    "webhooks.v1", Role.RECORD, Key.SPONSOR, (WebhookRegistered, WebhookRemoved, WebhookReplayRequested),
    config=(("retention.ms", "-1"),),  # an endpoint stays registered until replaced or removed
)
WEBHOOK_DELIVERIES = Topic(
    "webhook-deliveries.v1", Role.RECORD, Key.SPONSOR, (WebhookAttempted, WebhookReplayed),
    config=(("retention.ms", str(30 * 86_400_000)),),  # a month of delivery log (and of parked bodies)
)
PERSON_CLAIMS = Topic("person-claims.v1", Role.INTERNAL, Key.PERSON, (ApplicationSubmitted,))
PERSONS = Topic("persons.v1", Role.OUTPUT, Key.PERSON, (PersonReleased, PersonMoved))

TOPICS: tuple[Topic, ...] = (
    APPLICATIONS, PLEDGES, CLOCK, REGISTRATIONS, PAYMENTS, LIFE_EVENTS, REGION_LOG,
    APPLICATION_STATUS, COVERAGE, PLEDGE_STATUS, FUNDING, BILLING, DEADLETTER, ACCESS_LOG,
    WEBHOOKS, WEBHOOK_DELIVERIES, PERSON_CLAIMS, PERSONS,
)
"""Every topic, in the order the worker declares them."""
INPUTS = tuple(t for t in TOPICS if t.role is Role.INPUT)
OUTPUTS = tuple(t for t in TOPICS if t.role is Role.OUTPUT)
"""What the engine writes for others, dead letters included."""


def _routes() -> Mapping[type[Event], Topic]:
    routes: dict[type[Event], Topic] = {}
    for topic in TOPICS:
        if topic.role is Role.INTERNAL:
            continue
        for kind in topic.carries:
            if kind in routes:
                raise TypeError(f"{kind.__name__} is routed to {routes[kind].name} and {topic.name}")
            routes[kind] = topic
    return MappingProxyType(routes)


ROUTES = _routes()
"""Each event type's topic: where it is first published (an input's, not the region log)."""


def _by_region(event: Input | OutputEvent) -> bytes:
    return (event.regency if isinstance(event, ApplicationSubmitted) else event.region).encode()


def _by_pledge(
    event: PledgeAccepted | PledgeRejected | PledgeExhausted | PledgeReopened | PledgeExpired,
) -> bytes:
    return pledge_key(event.sponsor_id, event.pledge_id).encode()


def _by_payer(event: AccessRecorded) -> bytes:
    """The payer's id; a desk lookup has none: its regency's code, else the officer's desk id."""
    return (event.payer_id or event.region or event.subject).encode()


def _by_sponsor(
    event: WebhookRegistered | WebhookRemoved | WebhookReplayRequested | WebhookAttempted | WebhookReplayed,
) -> bytes:
    return event.sponsor_id.encode()


def _by_person(event: PersonReleased | PersonMoved) -> bytes:
    return event.worker.encode()


def _unkeyed(event: DeadLetter) -> None:
    return None


_KEYS: dict[Key, Callable[[Any], bytes | None]] = {
    Key.REGION: _by_region,
    Key.PLEDGE: _by_pledge,
    Key.PAYER: _by_payer,
    Key.SPONSOR: _by_sponsor,
    Key.PERSON: _by_person,
    Key.NONE: _unkeyed,
}


def topic_of(kind: type[Event]) -> Topic:
    """The topic an event type is published to; ``UnroutableError`` for a type no topic carries."""
    topic = ROUTES.get(kind)
    if topic is None:
        raise UnroutableError(
            "unroutable_event", f"no topic carries {kind.__name__}; add it to a Topic in models.topics"
        )
    return topic


def route(event: Event) -> tuple[str, bytes | None]:
    """The topic (under the namespace) an event is published to, and its record key."""
    topic = topic_of(type(event))
    return topic.name, _KEYS[topic.key](event)


def inputs_on(topic: Topic) -> tuple[type[Input], ...]:
    """The input types on ``topic``'s records: what may be read from it, as ``models.codec.decode_input``
    takes them (empty for an output topic)."""
    return tuple(kind for kind in INPUT_TYPES if kind in topic.carries)


def carrying(*kinds: type[Event]) -> tuple[Topic, ...]:
    """The topics ``kinds`` are routed to, in table order: what a reader of those types subscribes to."""
    wanted = {topic_of(kind).name for kind in kinds}
    return tuple(t for t in TOPICS if t.name in wanted)

"""A sponsor's webhook: its registration, its replay requests, and the log of every delivery attempt.

Two topics, both keyed by sponsor (``models.topics``): ``webhooks.v1``,
written by the API (what the sponsor asked for, in order), and
``webhook-deliveries.v1``, written by the delivery process (``jaring
webhooks``: what it sent, when, and what the endpoint answered). Neither
holds a secret: a registration carries a random ``nonce``, and the signing
secret is an HMAC of it under the operator's ``JARING_WEBHOOK_KEY``
(``webhooks.signing.secret_for``), which the API shows the sponsor once.
The engine neither reads nor writes these topics.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from models.events.base import EventBase, EventId, Identifier, UtcDatetime

__all__ = [
    "DeliveryOutcome",
    "WebhookAttempted",
    "WebhookRegistered",
    "WebhookRemoved",
    "WebhookReplayRequested",
    "WebhookReplayed",
]

Nonce = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
WebhookUrl = Annotated[str, StringConstraints(min_length=8, max_length=2048, pattern=r"^https?://[^\s]+$")]

DeliveryOutcome = Literal["delivered", "retrying", "parked"]
"""``retrying``: this attempt failed and another is scheduled; ``parked``: no more attempts (replayable)."""


class WebhookRegistered(EventBase):
    """A sponsor's endpoint, from now on (a later registration replaces it, with a new secret)."""

    type: Literal["webhook.registered"] = "webhook.registered"
    sponsor_id: Identifier
    url: WebhookUrl
    nonce: Nonce
    """The secret's seed; the secret itself is on no topic."""


class WebhookRemoved(EventBase):
    """The sponsor wants no more deliveries; what is in flight is parked, not lost."""

    type: Literal["webhook.removed"] = "webhook.removed"
    sponsor_id: Identifier


class WebhookReplayRequested(EventBase):
    """Deliver again: the sponsor's events whose records were written in [``since``, ``until``), or its
    parked deliveries. The ``event_id`` is the request's id; a request is carried out once."""

    type: Literal["webhook.replay_requested"] = "webhook.replay_requested"
    sponsor_id: Identifier
    since: UtcDatetime | None = None
    until: UtcDatetime | None = None
    parked: bool = False


class WebhookAttempted(EventBase):
    """One attempt to deliver one event to one sponsor's endpoint, and what came of it."""

    type: Literal["webhook.attempted"] = "webhook.attempted"
    sponsor_id: Identifier
    delivered_event_id: EventId
    delivered_type: str
    attempt: int = Field(ge=1)
    outcome: DeliveryOutcome
    status_code: int | None = None
    """The endpoint's HTTP status; None when no answer came (``error`` says why)."""
    error: str | None = None
    """Why the attempt failed: ``timeout``, ``connection_failed``, ``http_status``, ``address_refused``,
    ``no_endpoint`` or ``lane_full``."""
    next_attempt_at: UtcDatetime | None = None
    replay_of: EventId | None = None
    """The replay request this delivery carries out, if any."""
    body: str | None = None
    """The exact JSON that was being delivered, on a ``parked`` attempt only: what a replay re-sends."""


class WebhookReplayed(EventBase):
    """A replay request carried out: how many events it queued (each then logged as attempts)."""

    type: Literal["webhook.replayed"] = "webhook.replayed"
    sponsor_id: Identifier
    request_id: EventId
    events: int = Field(ge=0)

"""A sponsor's webhook: register an endpoint, read its delivery log, ask for a replay.

The API only records what the sponsor asks for (``webhooks.v1``); the
delivery process (``jaring webhooks``) does the sending. The signing secret
is derived, never stored (``models.webhooks.signing``): from the operator's
key and a nonce that is itself derived from the request's Idempotency-Key,
so a retried registration, even after an API restart, answers the same
secret, and a new registration (a new key) rotates it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from api.auth import Sponsor, services
from api.intake import fingerprint, request_digest
from api.problems import ProblemError, responses
from api.services import Services
from api.submission import submit
from api.webhook_bodies import (
    AttemptOut,
    DeliveriesOut,
    ReplayIn,
    ReplayReceipt,
    WebhookIn,
    WebhookOut,
    WebhookReceipt,
    WebhookRemovedReceipt,
)
from models.events import WebhookRegistered, WebhookRemoved, WebhookReplayRequested
from models.topics import WEBHOOKS, topic_of
from models.webhooks.addresses import url_problem
from models.webhooks.rules import DELIVERED
from models.webhooks.signing import secret_for

__all__ = ["webhook_desk"]

Svc = Annotated[Services, Depends(services)]
IdempotencyKey = Annotated[
    str,
    Header(alias="Idempotency-Key", min_length=1, max_length=255,
           description="Your id for this request: a retry with the same key gets the same answer."),
]

webhook_desk = APIRouter(prefix="/v1/webhook", tags=["webhooks"])

DELIVERED_TYPES = sorted({kind.model_fields["type"].default for topic in DELIVERED for kind in topic.carries}
                         - {"registration.unmatched", "payer.movement"})


def _key(svc: Services) -> bytes:
    key = svc.settings.webhook_signing_key()
    if key is None:
        raise ProblemError(
            503, "webhooks_not_configured",
            "this city's API has no webhook key configured (JARING_WEBHOOK_KEY); ask the operator",
        )
    return key


@webhook_desk.put(
    "", status_code=202, response_model=WebhookReceipt, summary="Register (or replace) your endpoint",
    responses=responses(400, 401, 403, 409, 413, 415, 422, 429, 503),
)
async def register(body: WebhookIn, idempotency_key: IdempotencyKey, who: Sponsor, svc: Svc) -> JSONResponse:
    """Events about your pledges are POSTed to `url` as JSON, signed (README, Webhooks). The answer
    holds your signing secret, once; registering again (a new Idempotency-Key) replaces the endpoint
    and the secret. Events written from now on are delivered; earlier ones by a replay."""
    key = _key(svc)
    problem = url_problem(body.url, allow_private=svc.settings.webhook_allow_private_hosts)
    if problem is not None:
        raise ProblemError(
            422, "invalid_body", "fix these fields and resend: url (see errors)",
            errors=[{"field": "url", "problem": problem, "kind": "webhook_url"}],
        )
    digest = request_digest("webhook", who.subject, idempotency_key)
    nonce = hmac.new(key, f"nonce:{digest}".encode(), hashlib.sha256).hexdigest()[:32]
    event = WebhookRegistered(
        event_id=f"webhook.registered:{who.subject}:{digest}", event_time=svc.now(),
        sponsor_id=who.subject, url=body.url, nonce=nonce,
    )
    receipt = WebhookReceipt(
        url=body.url, secret=secret_for(key, who.subject, nonce), event_id=event.event_id,
        registered_at=event.event_time, events=DELIVERED_TYPES,
    )
    return await submit(
        svc, scope=("webhook", who.subject, idempotency_key), fingerprint=fingerprint(body), event=event,
        topic=svc.settings.topic(WEBHOOKS.name), key=who.subject, receipt=receipt,
    )


@webhook_desk.get(
    "", response_model=WebhookOut, summary="Your endpoint and how its deliveries went",
    responses=responses(401, 403, 404, 429),
)
async def show(who: Sponsor, svc: Svc) -> WebhookOut:
    endpoint = svc.webhooks.endpoints.get(who.subject)
    if endpoint is None:
        raise ProblemError(404, "not_found", "you have no webhook; register one with PUT /v1/webhook")
    counts = svc.webhooks.outcomes.get(who.subject) or Counter()
    return WebhookOut(
        url=endpoint.url, registered_at=endpoint.registered_at, delivered=counts.get("delivered", 0),
        retrying=counts.get("retrying", 0), parked=counts.get("parked", 0),
        parked_now=len(svc.webhooks.parked_of(who.subject)),
    )


@webhook_desk.delete(
    "", status_code=202, response_model=WebhookRemovedReceipt, summary="Stop deliveries",
    responses=responses(400, 401, 403, 404, 409, 429, 503),
)
async def remove(idempotency_key: IdempotencyKey, who: Sponsor, svc: Svc) -> JSONResponse:
    """Deliveries in flight are parked (and can be replayed to a new endpoint)."""
    if who.subject not in svc.webhooks.endpoints:
        raise ProblemError(404, "not_found", "you have no webhook to remove")
    digest = request_digest("webhook.remove", who.subject, idempotency_key)
    event = WebhookRemoved(event_id=f"webhook.removed:{who.subject}:{digest}", event_time=svc.now(),
                           sponsor_id=who.subject)
    return await submit(
        svc, scope=("webhook.remove", who.subject, idempotency_key), fingerprint=digest, event=event,
        topic=svc.settings.topic(topic_of(WebhookRemoved).name), key=who.subject,
        receipt=WebhookRemovedReceipt(event_id=event.event_id),
    )


@webhook_desk.get(
    "/deliveries", response_model=DeliveriesOut, summary="Your latest delivery attempts",
    responses=responses(401, 403, 422, 429),
)
async def deliveries(
    request: Request, who: Sponsor, svc: Svc, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> DeliveriesOut:
    unknown = sorted(set(request.query_params) - {"limit"})
    if unknown:
        raise ProblemError(
            422, "invalid_body", "this read takes `limit` only",
            errors=[{"field": name, "problem": "unknown query parameter", "kind": "extra_forbidden"}
                    for name in unknown],
        )
    return DeliveriesOut(attempts=[
        AttemptOut(
            at=a.event_time, event_id=a.delivered_event_id, event_type=a.delivered_type, attempt=a.attempt,
            outcome=a.outcome, status_code=a.status_code, error=a.error, next_attempt_at=a.next_attempt_at,
            replay_of=a.replay_of,
        )
        for a in svc.webhooks.recent(who.subject, limit)
    ])


@webhook_desk.post(
    "/replays", status_code=202, response_model=ReplayReceipt, summary="Deliver events again",
    responses=responses(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
)
async def replay(body: ReplayIn, idempotency_key: IdempotencyKey, who: Sponsor, svc: Svc) -> JSONResponse:
    """Your events written in [`since`, `until`), or your parked deliveries (`parked: true`), or both,
    are delivered again in their order, each with a `Jaring-Replay` header naming this request."""
    if body.since is None and not body.parked:
        raise ProblemError(
            422, "invalid_body", "say what to replay: since (a moment) or parked: true",
            errors=[{"field": "since", "problem": "give since, or parked: true", "kind": "missing"}],
        )
    if body.since is not None and body.until is not None and body.until < body.since:
        raise ProblemError(
            422, "invalid_body", "until must not be before since",
            errors=[{"field": "until", "problem": "before since", "kind": "range"}],
        )
    if who.subject not in svc.webhooks.endpoints:
        raise ProblemError(404, "not_found", "you have no webhook; register one with PUT /v1/webhook")
    digest = request_digest("webhook.replay", who.subject, idempotency_key)
    event = WebhookReplayRequested(
        event_id=f"webhook.replay:{who.subject}:{digest}", event_time=svc.now(), sponsor_id=who.subject,
        since=body.since, until=body.until, parked=body.parked,
    )
    return await submit(
        svc, scope=("webhook.replay", who.subject, idempotency_key), fingerprint=fingerprint(body),
        event=event, topic=svc.settings.topic(WEBHOOKS.name), key=who.subject,
        receipt=ReplayReceipt(request_id=event.event_id),
    )

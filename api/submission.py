"""One POST, once: claim the Idempotency-Key, produce, remember the answer.

The produce runs in its own task, shielded from the request: if the client
hangs up mid-flight, the record's fate is still recorded against its key,
so the retry gets the true answer (the 202, or a fresh attempt after a
failure) rather than a second record.
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.idempotency import Begin, Scope, StoredAnswer
from api.problems import ProblemError
from api.publisher import KafkaUnavailableError
from api.services import Services
from models.codec import encode
from models.events import ApplicationSubmitted, LifeEventReported, PledgeSubmitted, WebhookEvent

__all__ = ["acknowledged", "claim", "submit"]

log = logging.getLogger("jaring.api")

_RETRY_AFTER_S = 5


def claim(svc: Services, scope: Scope, fingerprint: str) -> StoredAnswer | None:
    """Claim the Idempotency-Key for this request: None to go on, or the first request's stored answer.

    The same key with another body is 422 ``idempotency_key_reused``; while the first request with
    it still runs, 409 ``idempotency_key_in_flight``; a new key over the store's caps (``api.idempotency``)
    is 429 ``idempotency_keys_exhausted`` for the subject that holds too many, 503
    ``idempotency_store_full`` when the whole store does. Every POST goes through here.
    """
    now = svc.monotonic()
    outcome, stored = svc.idempotency.begin(scope, fingerprint, now)
    if outcome in (Begin.SUBJECT_FULL, Begin.STORE_FULL):
        wait = str(max(1, math.ceil(svc.idempotency.retry_after(scope, now))))
        if outcome is Begin.SUBJECT_FULL:
            raise ProblemError(
                429, "idempotency_keys_exhausted",
                f"this key holds as many Idempotency-Keys as one subject may inside the window; retry in "
                f"{wait} s, or retry pending requests with their own keys",
                headers={"Retry-After": wait},
            )
        raise ProblemError(
            503, "idempotency_store_full",
            f"the API holds as many Idempotency-Keys as it may; retry in {wait} s with the same key",
            headers={"Retry-After": wait},
        )
    if outcome is Begin.MISMATCH:
        raise ProblemError(
            422, "idempotency_key_reused",
            "this Idempotency-Key was used with another body; use a new key for a new request",
        )
    if outcome is Begin.IN_FLIGHT:
        raise ProblemError(
            409, "idempotency_key_in_flight",
            "the first request with this Idempotency-Key is still running; retry in a moment",
            headers={"Retry-After": "1"},
        )
    return stored


async def submit(
    svc: Services,
    *,
    scope: Scope,
    fingerprint: str,
    event: PledgeSubmitted | ApplicationSubmitted | LifeEventReported | WebhookEvent,
    topic: str,
    key: str,
    receipt: BaseModel,
    location: str | None = None,
) -> JSONResponse:
    stored = claim(svc, scope, fingerprint)
    headers = {"Location": location} if location else {}
    if stored is not None:
        return JSONResponse(stored.body, status_code=stored.status, headers=headers)

    answer = StoredAnswer(202, receipt.model_dump(mode="json"))
    task = asyncio.get_running_loop().create_task(svc.publisher.publish(topic, key.encode(), encode(event)))

    def settle(done: asyncio.Task[None]) -> None:
        if done.cancelled() or done.exception() is not None:
            svc.idempotency.abandon(scope)
        else:
            svc.idempotency.complete(scope, answer)
            if isinstance(event, WebhookEvent):
                svc.webhooks.apply(event)
            else:
                svc.readmodel.apply(event)
            # Ids only: an application's NIK and name never reach a log.
            log.info("%s %s from %s on %s: event %s", event.type, _subject_id(event), scope[1], topic,
                     event.event_id)

    task.add_done_callback(settle)
    await acknowledged(task)
    body: dict[str, Any] = answer.body
    return JSONResponse(body, status_code=answer.status, headers=headers)


def _subject_id(event: PledgeSubmitted | ApplicationSubmitted | LifeEventReported | WebhookEvent) -> str:
    """What a log line may name: an id, or a life event's kind (never its NIK-derived pseudonym)."""
    if isinstance(event, PledgeSubmitted):
        return event.pledge_id
    if isinstance(event, ApplicationSubmitted):
        return event.application_id
    return str(event.kind) if isinstance(event, LifeEventReported) else event.sponsor_id


async def acknowledged(task: asyncio.Task[None]) -> None:
    """Wait for the produce, shielded from the request (a client hanging up does not cancel it);
    no acknowledgement is 503 ``kafka_unavailable``, to be retried with the same key."""
    try:
        await asyncio.shield(task)
    except KafkaUnavailableError:
        raise ProblemError(
            503, "kafka_unavailable",
            f"the broker did not acknowledge; retry in {_RETRY_AFTER_S} s with the same Idempotency-Key",
            headers={"Retry-After": str(_RETRY_AFTER_S)},
        ) from None

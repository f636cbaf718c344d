"""From an accepted request to the core's event: ids, sponsor, receipt time.

Ids are derived from (route, credential subject, Idempotency-Key), never
drawn at random: a retry, even one that reaches a restarted API process
whose idempotency memory is gone, produces the same ``event_id``, which
the engine's matcher recognises as a replay and drops. The same hash names
the pledge or application when the body leaves its id out.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from api.bodies import ApplicationIn, PledgeIn
from models.codec import dumps
from models.events import ApplicationSubmitted, PledgeSubmitted, Targeting

__all__ = ["application_event", "fingerprint", "pledge_event", "request_digest"]


def request_digest(route: str, subject: str, idempotency_key: str) -> str:
    """24 hex digits naming one logical request (96 bits: collisions are not a practical concern)."""
    material = "\x00".join((route, subject, idempotency_key)).encode()
    return hashlib.sha256(material).hexdigest()[:24]


def fingerprint(body: PledgeIn | ApplicationIn) -> str:
    """The body's meaning, not its bytes: key order and whitespace do not make a different request."""
    return hashlib.sha256(dumps(body.model_dump(mode="json"))).hexdigest()


def pledge_event(body: PledgeIn, *, sponsor_id: str, idempotency_key: str, now: datetime) -> PledgeSubmitted:
    digest = request_digest("pledges", sponsor_id, idempotency_key)
    t = body.targeting
    return PledgeSubmitted(
        event_id=f"pledge.api:{sponsor_id}:{digest}",
        event_time=now,
        pledge_id=body.pledge_id or f"pl-{digest}",
        sponsor_id=sponsor_id,
        payer_id=body.payer_id or sponsor_id,
        region=body.region,
        amount_idr=body.amount_idr,
        months=body.months,
        package=body.package,
        targeting=Targeting(
            districts=None if t.districts is None else tuple(t.districts),
            occupations=None if t.occupations is None else tuple(t.occupations),
            sexes=None if t.sexes is None else tuple(t.sexes),
            max_welfare_decile=t.max_welfare_decile,
        ),
        max_workers=body.max_workers,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
    )


def application_event(
    body: ApplicationIn, *, officer_id: str, idempotency_key: str, now: datetime
) -> ApplicationSubmitted:
    digest = request_digest("applications", officer_id, idempotency_key)
    fields = body.model_dump(exclude={"application_id", "submitted_at"})
    return ApplicationSubmitted(
        event_id=f"application.api:{officer_id}:{digest}",
        event_time=now,
        application_id=body.application_id or f"app-{digest}",
        submitted_at=body.submitted_at or now,
        **fields,
    )

"""From an accepted request to the core's event: ids, sponsor, receipt time.

Ids are derived from (route, credential subject, Idempotency-Key), never
drawn at random: a retry, even one that reaches a restarted API process
whose idempotency memory is gone, produces the same ``event_id``, which
the engine's matcher recognises as a replay and drops. The same hash names
the pledge or application when the body leaves its id out.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime

from pydantic import BaseModel, TypeAdapter, ValidationError

from api.bodies import ApplicationIn, PledgeIn
from models.codec import dumps
from models.events import (
    ApplicationSubmitted,
    Identifier,
    PaymentReported,
    PaymentSource,
    PledgeSubmitted,
    RefundSettled,
    RegistrationConfirmed,
    RegistrationRejected,
    Targeting,
)
from models.periods import Period
from models.regions import RegencyCode

__all__ = [
    "BillRef",
    "application_event",
    "bill_ref",
    "confirmation_event",
    "fingerprint",
    "payment_event",
    "pledge_event",
    "refund_region",
    "rejection_event",
    "request_digest",
    "settlement_event",
]


def request_digest(route: str, subject: str, idempotency_key: str) -> str:
    """24 hex digits naming one logical request (96 bits: collisions are not a practical concern)."""
    material = "\x00".join((route, subject, idempotency_key)).encode()
    return hashlib.sha256(material).hexdigest()[:24]


def fingerprint(body: BaseModel) -> str:
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


# ---------------------------------------------------------------- payer desk (issue 16)
#
# BPJS's answers and payments are facts about the world, not requests: their
# event ids derive from what they say, never from the Idempotency-Key, so the
# same fact sent twice (a retry, a re-upload, another desk) is one event the
# engine ignores the second time.

_REGION: TypeAdapter[str] = TypeAdapter(RegencyCode)
_ID: TypeAdapter[str] = TypeAdapter(Identifier)
_PERIOD: TypeAdapter[str] = TypeAdapter(Period)


def _valid(adapter: TypeAdapter[str], value: str) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return False
    return True


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:24]


class BillRef(BaseModel):
    """A bill reference read back into its parts (``bill:{region}:{payer}:{period}``)."""

    region: str
    payer_id: str
    period: str


def bill_ref(bill_id: str) -> BillRef | None:
    """The parts of a bill id as the engine prints it, or None when it is not one."""
    parts = bill_id.split(":")
    if len(parts) != 4 or parts[0] != "bill":
        return None
    _, region, payer, period = parts
    if not (_valid(_REGION, region) and _valid(_ID, payer) and _valid(_PERIOD, period)):
        return None
    return BillRef(region=region, payer_id=payer, period=period)


def refund_region(refund_id: str) -> str | None:
    """The region of a refund id (``refund:{region}:{payer}:{payment_id}``), or None when it is not one."""
    parts = refund_id.split(":")
    if len(parts) != 4 or parts[0] != "refund" or not _valid(_REGION, parts[1]):
        return None
    return parts[1] if _valid(_ID, parts[2]) and _valid(_ID, parts[3]) else None


def payment_event(
    *, payment_id: str, bill_id: str, amount_idr: int, paid_on: date, payer_id: str, region: str,
    source: PaymentSource, now: datetime,
) -> PaymentReported:
    """The event id names the channel, the payer, the transfer and what was said about it.

    The same report again (a retry, the same file uploaded twice) is the same event, which the
    engine ignores; the same transfer through another channel, or with other details, is another
    event, which the engine reconciles ``duplicate``: seen, and applied once.
    """
    said = _digest(bill_id, str(amount_idr), paid_on.isoformat())
    return PaymentReported(
        event_id=f"payment.{source}:{payer_id}:{payment_id}:{said}", event_time=now, payment_id=payment_id,
        payer_id=payer_id, region=region, bill_id=bill_id, amount_idr=amount_idr, paid_on=paid_on,
        source=source,
    )


def confirmation_event(
    *, region: str, coverage_id: str, payer_id: str, membership_number: str, start_date: date, now: datetime
) -> RegistrationConfirmed:
    said = _digest("confirmed", region, coverage_id, payer_id, membership_number, start_date.isoformat())
    return RegistrationConfirmed(
        event_id=f"registration.confirmed.api:{said}", event_time=now, region=region, coverage_id=coverage_id,
        payer_id=payer_id, membership_number=membership_number, start_date=start_date,
    )


def rejection_event(
    *, region: str, coverage_id: str, payer_id: str, reason: str, now: datetime
) -> RegistrationRejected:
    said = _digest("rejected", region, coverage_id, payer_id, reason)
    return RegistrationRejected(
        event_id=f"registration.rejected.api:{said}", event_time=now, region=region, coverage_id=coverage_id,
        payer_id=payer_id, reason=reason,
    )


def settlement_event(
    *, refund_id: str, region: str, amount_idr: int, settled_on: date, transfer_id: str | None,
    officer_id: str, idempotency_key: str, now: datetime,
) -> RefundSettled:
    """With a transfer reference the event is the transfer's; without, the request's (like a pledge)."""
    if transfer_id is not None:
        event_id = f"refund.settled.api:{_digest(refund_id, transfer_id)}"
    else:
        digest = request_digest(f"refunds/{refund_id}", officer_id, idempotency_key)
        event_id = f"refund.settled.api:{officer_id}:{digest}"
    return RefundSettled(
        event_id=event_id, event_time=now, region=region, refund_id=refund_id, amount_idr=amount_idr,
        settled_on=settled_on,
    )

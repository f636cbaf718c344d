"""What the webhook endpoints read and answer (``api.webhooks``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from models.webhooks.addresses import PUBLIC_HTTPS


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WebhookIn(_Body):
    url: str = Field(
        min_length=8, max_length=2048,
        description="Where Jaring POSTs your events: https, on a public address (a name; not .local, "
        ".internal or .localhost).",
        examples=["https://csr.example.co.id/jaring/events"],
        json_schema_extra={"pattern": PUBLIC_HTTPS},
    )


class WebhookReceipt(BaseModel):
    url: str
    secret: str = Field(description="Your signing secret: shown in this answer only; store it now.")
    signature_header: Literal["Jaring-Signature"] = "Jaring-Signature"
    event_id: str
    registered_at: datetime
    events: list[str] = Field(description="The event types delivered to you.")


class WebhookOut(BaseModel):
    url: str
    registered_at: datetime
    delivered: int = Field(description="Attempts answered 2xx (since the delivery log's retention).")
    retrying: int = Field(description="Attempts that failed and were retried.")
    parked: int = Field(description="Deliveries given up on, kept for a replay.")
    parked_now: int = Field(description="Parked and not delivered since: what a parked replay sends.")


class WebhookRemovedReceipt(BaseModel):
    event_id: str


class ReplayIn(_Body):
    model_config = ConfigDict(
        frozen=True, extra="forbid",
        json_schema_extra={"anyOf": [
            {"required": ["since"], "properties": {"since": {"type": "string"}}},
            {"required": ["parked"], "properties": {"parked": {"const": True}}},
        ]},
    )

    since: AwareDatetime | None = Field(
        None, description="Deliver again your events written at or after this moment."
    )
    until: AwareDatetime | None = Field(None, description="... and before this one (default: now).")
    parked: bool = Field(False, description="Deliver again your parked deliveries.")


class ReplayReceipt(BaseModel):
    request_id: str


class AttemptOut(BaseModel):
    at: datetime
    event_id: str
    event_type: str
    attempt: int
    outcome: Literal["delivered", "retrying", "parked"]
    status_code: int | None
    error: str | None
    next_attempt_at: datetime | None
    replay_of: str | None


class DeliveriesOut(BaseModel):
    attempts: list[AttemptOut] = Field(description="Newest first.")

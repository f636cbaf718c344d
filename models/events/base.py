"""What every event shares: the header fields, the id and money types, and a pledge's identity.

Common to all: ``type`` (dotted, the discriminator, declared by each event),
``schema_version`` (1), ``event_id`` and ``event_time`` (aware, normalised
to UTC). Outputs add ``region`` and ``period``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from models.periods import Period
from models.regions import RegencyCode

__all__ = [
    "EventBase",
    "EventId",
    "Identifier",
    "Model",
    "OutputBase",
    "Rupiah",
    "UtcDatetime",
    "pledge_key",
]


def _to_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""An aware datetime, stored in UTC; naive datetimes are refused."""

EventId = Annotated[str, StringConstraints(min_length=1, max_length=256)]
"""Producer-chosen for inputs (a UUID is fine); derived from the cause for outputs."""

Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
"""Ids chosen outside (pledge, sponsor, application): no ``:``, so derived ids parse."""


def pledge_key(sponsor_id: str, pledge_id: str) -> str:
    """The engine's identity of a pledge: ``{sponsor_id}:{pledge_id}``.

    A ``pledge_id`` is the sponsor's own name for a pledge, unique only among that
    sponsor's pledges; keyed alone, one sponsor could learn that another's id exists
    (``duplicate_pledge``) or take it first. ``Identifier`` has no ``:``, so the key
    splits back unambiguously at its first ``:``.
    """
    return f"{sponsor_id}:{pledge_id}"


Rupiah = Annotated[int, Field(ge=0)]
"""Integer rupiah; money is never a float."""


class Model(BaseModel):
    """Frozen, strict, and blind to unknown fields (a newer producer may add some)."""

    model_config = ConfigDict(frozen=True, strict=True, extra="ignore")


class EventBase(Model):
    """The header of every event."""

    schema_version: Literal[1] = 1
    event_id: EventId
    event_time: UtcDatetime


class OutputBase(EventBase):
    """The header of every event the engine emits."""

    region: RegencyCode
    period: Period
    """The region's month when this happened (for a tick: the month it closed)."""

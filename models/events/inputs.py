"""What the engine reads: applications, pledges, month ticks, and (``payments``) money that moved.

Inputs are keyed by region (one regency/city, ``"74.71"``) on Kafka; the
topic of each is in ``models.topics``. A pledge spanning several regencies
must be split by its submitter into one pledge per regency, each with its own
``pledge_id``: matching is serial per region, and a pledge spent from two
partitions could be spent twice.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal, TypeAlias

from pydantic import Field

from models.events.base import EventBase, Identifier, Model, Rupiah, UtcDatetime
from models.events.life import LifeEventReported
from models.events.payments import PaymentReported, RefundSettled, RegistrationConfirmed, RegistrationRejected
from models.events.persons import Carried
from models.nik import Sex
from models.occupations import Occupation
from models.periods import Period
from models.regions import DistrictCode, RegencyCode
from models.tariff import Package

__all__ = [
    "ApplicationSubmitted",
    "Channel",
    "Input",
    "InputEvent",
    "MonthTick",
    "PledgeSubmitted",
    "Targeting",
    "region_of",
]


class Channel(StrEnum):
    """How an application reached the engine."""

    KIOSK = "kiosk"
    OFFICER = "officer"
    WEB = "web"
    BULK_IMPORT = "bulk_import"


class ApplicationSubmitted(EventBase):
    """A worker asks to be covered (keyed by ``regency`` on Kafka).

    ``nik`` is any string here: a malformed NIK is an ``ApplicationRejected``
    with a reason the kiosk can show, not an unreadable message.
    """

    type: Literal["application.submitted"] = "application.submitted"
    application_id: Identifier
    nik: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    birth_date: date
    sex: Sex
    regency: RegencyCode
    district: DistrictCode
    """Where the worker lives and works: decides the region, whatever the NIK says."""
    occupation: Occupation
    declared_income_idr: Rupiah
    dependants: int = Field(default=0, ge=0, le=50)
    breadwinner: bool = False
    welfare_decile: int | None = Field(default=None, ge=1, le=10)
    """1 = poorest tenth in the national socio-economic register; None = not on it / unknown."""
    disability: bool = False
    already_covered: bool = False
    """Already an active BPJS Ketenagakerjaan member (self-declared or checked at intake)."""
    channel: Channel
    submitted_at: UtcDatetime
    carried: Carried | None = None
    """The benefit clocks of a person moving from another region: set only by the engine's person index
    (``models.persons``); the router dead-letters an application that arrives with it."""


class Targeting(Model):
    """Whom a pledge may cover; every filter is optional, None means "anyone"."""

    districts: tuple[DistrictCode, ...] | None = None
    occupations: tuple[Occupation, ...] | None = None
    sexes: tuple[Sex, ...] | None = None
    max_welfare_decile: int | None = Field(default=None, ge=1, le=10)
    """Admit deciles up to this one; a worker with an unknown decile is not admitted."""


class PledgeSubmitted(EventBase):
    """A sponsor pledges money (keyed by ``region`` on Kafka).

    ``region`` is one regency/city: split multi-regency pledges upstream.
    ``payer_id`` (who transfers the money) may differ from ``sponsor_id`` (who
    chooses whom to cover); refunds go to the payer by agreement.
    """

    type: Literal["pledge.submitted"] = "pledge.submitted"
    pledge_id: Identifier
    sponsor_id: Identifier
    payer_id: Identifier
    region: RegencyCode
    amount_idr: int = Field(gt=0)
    months: int = Field(ge=1, le=120)
    """Months of cover per worker (the city policy lists the allowed values)."""
    package: Package
    targeting: Targeting = Targeting()
    max_workers: int | None = Field(default=None, ge=1)
    valid_from: date
    valid_until: date
    """Last day a seat may be filled; a term started by then runs its full months."""


class MonthTick(EventBase):
    """The event-time clock: closes ``period`` for ``region`` (premiums for it fall due)."""

    type: Literal["month.tick"] = "month.tick"
    region: RegencyCode
    period: Period


Input: TypeAlias = (
    ApplicationSubmitted
    | PledgeSubmitted
    | MonthTick
    | RegistrationConfirmed
    | RegistrationRejected
    | PaymentReported
    | RefundSettled
    | LifeEventReported
)
"""Every input, as one type (``isinstance`` takes it too)."""

InputEvent = Annotated[Input, Field(discriminator="type")]
"""What ``RegionMatcher.handle`` accepts: ``Input``, decoded by its ``type``."""


def region_of(event: Input) -> str:
    """The regency an input belongs to: its matcher, its region-log key and partition."""
    return event.regency if isinstance(event, ApplicationSubmitted) else event.region

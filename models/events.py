"""Every event Jaring reads or writes, as frozen pydantic models.

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
``funding.premium_paid:{coverage_id}:{period}``...), so a replay produces the
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

Inputs are keyed by region (one regency/city, ``"74.71"``) on Kafka. A pledge
spanning several regencies must be split by its submitter into one pledge per
regency, each with its own ``pledge_id``: matching is serial per region, and a
pledge spent from two partitions could be spent twice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Literal, TypeAlias

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from models.nik import Sex
from models.occupations import Occupation
from models.periods import Period
from models.priority import Priority
from models.regions import DistrictCode, RegencyCode
from models.tariff import Package

__all__ = [
    "ApplicationRejected",
    "ApplicationSubmitted",
    "ApplicationWaiting",
    "Channel",
    "CoverageActivated",
    "CoverageExpired",
    "CoverageRenewed",
    "DeadLetter",
    "Event",
    "EventId",
    "FundingKind",
    "FundingMovement",
    "Identifier",
    "Input",
    "InputEvent",
    "LedgerBalances",
    "MonthTick",
    "OutputEvent",
    "PledgeAccepted",
    "PledgeExhausted",
    "PledgeExpired",
    "PledgeRejected",
    "PledgeSubmitted",
    "Targeting",
    "UtcDatetime",
    "pledge_key",
    "region_of",
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


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, strict=True, extra="ignore")


class _Event(_Model):
    schema_version: Literal[1] = 1
    event_id: EventId
    event_time: UtcDatetime


class _Output(_Event):
    region: RegencyCode
    period: Period
    """The region's month when this happened (for a tick: the month it closed)."""


class Channel(StrEnum):
    """How an application reached the engine."""

    KIOSK = "kiosk"
    OFFICER = "officer"
    WEB = "web"
    BULK_IMPORT = "bulk_import"


# ---------------------------------------------------------------- inputs


class ApplicationSubmitted(_Event):
    """A worker asks to be covered (topic ``jaring.applications.v1``, key = ``regency``).

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


class Targeting(_Model):
    """Whom a pledge may cover; every filter is optional, None means "anyone"."""

    districts: tuple[DistrictCode, ...] | None = None
    occupations: tuple[Occupation, ...] | None = None
    sexes: tuple[Sex, ...] | None = None
    max_welfare_decile: int | None = Field(default=None, ge=1, le=10)
    """Admit deciles up to this one; a worker with an unknown decile is not admitted."""


class PledgeSubmitted(_Event):
    """A sponsor pledges money (topic ``jaring.pledges.v1``, key = ``region``).

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


class MonthTick(_Event):
    """The event-time clock: closes ``period`` for ``region`` (premiums for it fall due)."""

    type: Literal["month.tick"] = "month.tick"
    region: RegencyCode
    period: Period


# ---------------------------------------------------------------- outputs


class ApplicationWaiting(_Output):
    """Eligible, no seat yet: the worker joins the region's waiting list."""

    type: Literal["application.waiting"] = "application.waiting"
    application_id: Identifier
    worker: str
    """The keyed pseudonym (``models.nik.pseudonym``); never the NIK or name."""
    district: DistrictCode
    occupation: Occupation
    priority: Priority


class ApplicationRejected(_Output):
    """Not eligible, or a duplicate; ``reason`` is a stable code, ``message`` says what to do."""

    type: Literal["application.rejected"] = "application.rejected"
    application_id: Identifier
    worker: str | None
    """Pseudonym when the NIK parsed, else None."""
    reason: str
    message: str


class _CoverageTerm(_Output):
    coverage_id: str
    """``{sponsor_id}:{pledge_id}:{worker}:{term_no}``: one id per paid term."""
    worker: str
    pledge_id: Identifier
    sponsor_id: Identifier
    district: DistrictCode
    occupation: Occupation
    package: Package
    monthly_premium_idr: Rupiah
    months: int
    term_no: int
    """1 for the worker's first term, +1 per term (renewal or later activation)."""
    start_period: Period
    """First month of cover; cover starts when the registration is accepted."""
    end_period: Period
    """Last month of cover, inclusive: ``start_period + months - 1``."""
    membership_since: Period
    """Start of unbroken membership, for benefit clocks (JKM needs 3 months)."""
    priority: Priority


class CoverageActivated(_CoverageTerm):
    """A worker gets a seat on a pledge (topic ``jaring.coverage.v1``)."""

    type: Literal["coverage.activated"] = "coverage.activated"
    was_waiting: bool
    """False when matched on arrival, True when taken from the waiting list."""


class CoverageRenewed(_CoverageTerm):
    """A term ended and the worker was re-seated with no gap."""

    type: Literal["coverage.renewed"] = "coverage.renewed"
    previous_coverage_id: str


class CoverageExpired(_Output):
    """A term's last month was paid; ``outcome`` says whether a renewal follows."""

    type: Literal["coverage.expired"] = "coverage.expired"
    coverage_id: str
    worker: str
    pledge_id: Identifier
    sponsor_id: Identifier
    district: DistrictCode
    occupation: Occupation
    end_period: Period
    months_paid: int
    outcome: Literal["renewed", "waiting"]


class PledgeAccepted(_Output):
    """Topic ``jaring.pledge-status.v1``, key = ``pledge_key(sponsor_id, pledge_id)``."""

    type: Literal["pledge.accepted"] = "pledge.accepted"
    pledge_id: Identifier
    sponsor_id: Identifier
    payer_id: Identifier
    package: Package
    months: int
    amount_idr: Rupiah
    monthly_premium_idr: Rupiah
    seat_cost_idr: Rupiah
    """``monthly_premium_idr * months``: the money one seat binds."""
    seats: int
    capacity_idr: Rupiah
    """``seats * seat_cost_idr``: the most this pledge can ever commit."""
    remainder_idr: Rupiah
    """``amount_idr - capacity_idr``: never committable, returned at expiry."""
    opens_period: Period
    """First month seats can be filled (later than ``period`` if ``valid_from`` is ahead)."""
    valid_until: date


class PledgeRejected(_Output):
    """A pledge that cannot be accepted; nothing was committed."""

    type: Literal["pledge.rejected"] = "pledge.rejected"
    pledge_id: Identifier
    sponsor_id: Identifier
    reason: str
    message: str


class PledgeExhausted(_Output):
    """Every seat is filled; the pledge keeps paying its terms until they end."""

    type: Literal["pledge.exhausted"] = "pledge.exhausted"
    pledge_id: Identifier
    sponsor_id: Identifier
    seats: int


class PledgeExpired(_Output):
    """The validity window closed: free seats released, remainder returned to the payer."""

    type: Literal["pledge.expired"] = "pledge.expired"
    pledge_id: Identifier
    sponsor_id: Identifier
    seats: int
    seats_filled: int
    seats_released: int
    returned_idr: Rupiah


class FundingKind(StrEnum):
    """What a ledger movement did (``models.ledger`` has the arithmetic)."""

    PLEDGED = "pledged"
    """Pledge accepted: ``pledged`` and ``remainder`` rise by the amount."""
    COMMITTED = "committed"
    """A seat filled: a term's premiums move from remainder to committed."""
    PREMIUM_PAID = "premium_paid"
    """A month of cover fell due and was paid out of committed money."""
    RELEASED = "released"
    """Free seats closed at expiry; their money stays in the remainder."""
    RETURNED = "returned"
    """The uncommitted remainder handed back to the payer."""


class LedgerBalances(_Model):
    """A pledge's ledger after a movement; ``committed + remainder_idr == pledged``."""

    pledged_idr: Rupiah
    committed_idr: Rupiah
    paid_idr: Rupiah
    remainder_idr: Rupiah
    returned_idr: Rupiah
    runway_months: int
    """Month closes until all committed money is paid."""


class FundingMovement(_Output):
    """One change to one pledge's ledger (topic ``jaring.funding.v1``), for audit and dashboards."""

    type: Literal["funding.movement"] = "funding.movement"
    kind: FundingKind
    pledge_id: Identifier
    sponsor_id: Identifier
    payer_id: Identifier
    amount_idr: Rupiah
    coverage_id: str | None
    balances: LedgerBalances


class DeadLetter(_Event):
    """What could not be read or handled, with the reason and the original bytes.

    ``original_b64`` may contain personal data (an application's NIK and
    name): the dead-letter topic needs the access control of the input topics.

    A dead letter must fit the topic's record size whatever it holds, so a
    large original is kept as a prefix (``truncated``), with its length and
    hash to match it against the producer's copy (``models.codec.dead_letter``).
    The fields after ``original_b64`` came later in schema version 1, with
    defaults, so letters written before them still parse (their size and hash
    are then unknown: ``None``).
    """

    type: Literal["deadletter"] = "deadletter"
    source_topic: str
    partition: int = Field(ge=0)
    offset: int = Field(ge=0)
    reason: str
    message: str
    original_b64: str
    """The record's value in base64: all of it, or its first bytes when ``truncated``; empty for NULL."""
    original_size: int | None = Field(None, ge=0)
    """Bytes in the record's value (0 for an empty or a NULL one)."""
    original_sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    """Hex SHA-256 of the record's whole value (of no bytes for a NULL one)."""
    original_null: bool = False
    """The record had no value at all (a NULL value, a tombstone), as opposed to an empty one."""
    truncated: bool = False
    """``original_b64`` holds only a prefix: the whole would not fit the dead-letter topic's records."""


Input: TypeAlias = ApplicationSubmitted | PledgeSubmitted | MonthTick
"""The three inputs, as one type (``isinstance`` takes it too)."""

InputEvent = Annotated[Input, Field(discriminator="type")]
"""What ``RegionMatcher.handle`` accepts: ``Input``, decoded by its ``type``."""


def region_of(event: Input) -> str:
    """The regency an input belongs to: its matcher, its region-log key and partition."""
    return event.regency if isinstance(event, ApplicationSubmitted) else event.region

OutputEvent = (
    ApplicationWaiting
    | ApplicationRejected
    | CoverageActivated
    | CoverageRenewed
    | CoverageExpired
    | PledgeAccepted
    | PledgeRejected
    | PledgeExhausted
    | PledgeExpired
    | FundingMovement
)
"""What ``RegionMatcher.handle`` returns."""

Event = Annotated[
    ApplicationSubmitted
    | PledgeSubmitted
    | MonthTick
    | ApplicationWaiting
    | ApplicationRejected
    | CoverageActivated
    | CoverageRenewed
    | CoverageExpired
    | PledgeAccepted
    | PledgeRejected
    | PledgeExhausted
    | PledgeExpired
    | FundingMovement
    | DeadLetter,
    Field(discriminator="type"),
]
"""Any event on any Jaring topic."""

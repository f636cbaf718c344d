"""What the API receives and what it returns, apart from what it stores.

The stored shape is the core's event (``models.events.PledgeSubmitted``,
``ApplicationSubmitted``); ``api.intake`` builds it from a request body
plus what only the server knows (the sponsor from the credential, ids
derived from the Idempotency-Key, the receipt time). Bodies therefore
refuse fields they do not define (``sponsor_id`` in a pledge body is an
error, not ignored), and their numbers and flags are strict: ``"5"`` is not
5, ``1`` is not ``true``, and dates are ISO strings only.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    model_validator,
)

from models.eligibility import CityPolicy
from models.events import Channel, Identifier
from models.nik import Sex
from models.occupations import Occupation
from models.pledge_book import PledgeState
from models.regions import DistrictCode, RegencyCode
from models.tariff import Package

__all__ = [
    "ApplicationIn",
    "ApplicationReceipt",
    "PledgeIn",
    "PledgeReceipt",
    "PledgeState",
    "PledgeStatusOut",
    "Problem",
    "SponsorLedgerOut",
    "SponsorTotals",
    "TargetingIn",
    "with_pledge_bounds",
]


def _iso_only(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("expected an ISO 8601 string such as 2026-01-31")
    return value


def _json_integer(value: Any) -> Any:
    # JSON has one number type: 12.0 is the integer 12 (as JSON Schema's "integer" says),
    # while "12" and true are not numbers at all (StrictInt refuses them).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


_Int = BeforeValidator(_json_integer)
# Bounds sit before the validator, so the JSON schema carries them as minimum/maximum.
# A pledge's upper bounds are the city's (CityPolicy.max_pledge_idr, max_pledge_seats, the
# engine's own numbers): the route checks them (check_pledge_bounds) and the OpenAPI document
# states them (with_pledge_bounds), never a copy of the numbers here.
AmountIdr = Annotated[StrictInt, Field(gt=0), _Int]
Months = Annotated[StrictInt, Field(ge=1, le=120), _Int]
WorkerCap = Annotated[StrictInt, Field(ge=1), _Int]
Decile = Annotated[StrictInt, Field(ge=1, le=10), _Int]
IncomeIdr = Annotated[StrictInt, Field(ge=0, le=10**12), _Int]
Dependants = Annotated[StrictInt, Field(ge=0, le=50), _Int]
IsoDate = Annotated[date, BeforeValidator(_iso_only)]
IsoDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_only)]


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TargetingIn(_Body):
    """Whom the pledge may cover; leave a filter out (or null) for "anyone"."""

    districts: list[DistrictCode] | None = Field(None, max_length=100)
    occupations: list[Occupation] | None = Field(None, max_length=20)
    sexes: list[Sex] | None = Field(None, max_length=2)
    max_welfare_decile: Decile | None = None


class PledgeIn(_Body):
    """A pledge for one regency. A sponsor funding several regencies posts one pledge per regency."""

    pledge_id: Identifier | None = Field(
        None, description="Your id for the pledge; derived from the Idempotency-Key when left out."
    )
    payer_id: Identifier | None = Field(
        None, description="Who transfers the money (refunds go to them); defaults to the sponsor."
    )
    region: RegencyCode = Field(description="One regency/city code, e.g. 74.71 (Kota Kendari).")
    amount_idr: AmountIdr = Field(
        description="Integer rupiah, at most the city policy's max_pledge_idr (the document's maximum)."
    )
    months: Months = Field(description="Months of cover per worker (Kendari allows 1, 3, 6, 12).")
    package: Package
    targeting: TargetingIn = TargetingIn()
    max_workers: WorkerCap | None = Field(
        None,
        description="Cover at most this many workers; at most the city policy's max_pledge_seats, and "
        "needed when the amount buys more seats than that.",
    )
    valid_from: IsoDate
    valid_until: IsoDate = Field(description="Last day a seat may be filled.")

    @model_validator(mode="after")
    def _window(self) -> PledgeIn:
        if self.valid_until < self.valid_from:
            raise ValueError("valid_until is before valid_from; send a window that ends after it starts")
        return self


class ApplicationIn(_Body):
    """A worker's application as an enrolment officer records it. NIK and name are personal data."""

    application_id: Identifier | None = Field(
        None, description="Your id for the application; derived from the Idempotency-Key when left out."
    )
    nik: str = Field(min_length=1, max_length=32, description="16-digit NIK as on the KTP.")
    name: str = Field(min_length=1, max_length=200)
    birth_date: IsoDate
    sex: Sex
    regency: RegencyCode
    district: DistrictCode
    occupation: Occupation
    declared_income_idr: IncomeIdr
    dependants: Dependants = 0
    breadwinner: StrictBool = False
    welfare_decile: Decile | None = Field(
        None, description="1 = poorest tenth in the national socio-economic register; null = unknown."
    )
    disability: StrictBool = False
    already_covered: StrictBool = False
    channel: Channel = Channel.OFFICER
    submitted_at: IsoDatetime | None = Field(
        None, description="When the worker applied (with a UTC offset); the receipt time when left out."
    )


class PledgeReceipt(BaseModel):
    """202: the broker holds the pledge; the engine accepts or rejects it next (see ``status_url``)."""

    pledge_id: str
    event_id: str
    status: Literal["submitted"] = "submitted"
    status_url: str


class ApplicationReceipt(BaseModel):
    """202: the broker holds the application; the engine decides eligibility next."""

    application_id: str
    event_id: str
    status: Literal["submitted"] = "submitted"


class PledgeStatusOut(BaseModel):
    """A pledge's status and ledger, as the engine's output topics have told this API so far."""

    pledge_id: str
    payer_id: str
    region: str
    status: PledgeState
    reason: str | None = Field(
        description="Why the engine rejected the pledge (a stable code) while it reads rejected, else null: "
        "a rejected duplicate submission never makes an accepted pledge read rejected."
    )
    message: str | None
    package: str
    months: int
    amount_idr: int = Field(description="The amount the pledge was submitted with.")
    seats: int | None = Field(description="Workers the pledge can cover; null until accepted.")
    seats_filled: int
    pledged_idr: int = Field(description="On the ledger: 0 until the engine accepts the pledge.")
    committed_idr: int
    paid_idr: int
    returned_idr: int
    remaining_idr: int = Field(description="pledged - paid - returned: money still held for this pledge.")
    uncommitted_idr: int = Field(description="Not bound to any seat; returned to the payer at expiry.")
    workers_covered: int = Field(description="Distinct workers this pledge has covered so far.")
    workers_active: int = Field(description="Workers whose term on this pledge has not ended.")
    runway_months: int = Field(description="Month closes until every committed rupiah is paid.")
    valid_from: date | None
    valid_until: date | None
    updated_at: AwareDatetime = Field(description="Event time of the last fact folded in.")


class SponsorTotals(BaseModel):
    pledges: int
    pledged_idr: int
    committed_idr: int
    paid_idr: int
    returned_idr: int
    remaining_idr: int
    workers_covered: int = Field(description="Summed over pledges.")
    workers_active: int
    runway_months: int = Field(description="The longest runway among the sponsor's pledges.")


class SponsorLedgerOut(BaseModel):
    sponsor_id: str
    totals: SponsorTotals
    pledges: list[PledgeStatusOut]


def with_pledge_bounds(document: dict[str, Any], policy: CityPolicy) -> dict[str, Any]:
    """The OpenAPI document with the city's pledge bounds as ``PledgeIn``'s maxima.

    The body model cannot know them (they come from ``JARING_POLICY_FILE``), yet
    a client should read them in the contract: the amount's maximum is
    ``max_pledge_idr``, ``max_workers``'s is ``max_pledge_seats``.
    """
    fields = document["components"]["schemas"]["PledgeIn"]["properties"]
    fields["amount_idr"]["maximum"] = policy.max_pledge_idr
    for choice in fields["max_workers"]["anyOf"]:
        if choice.get("type") == "integer":
            choice["maximum"] = policy.max_pledge_seats
    return document


class Problem(BaseModel):
    """RFC 9457 problem details; ``code`` is stable and ``detail`` says what to do."""

    type: str = Field(description="urn:jaring:problem:<code>")
    code: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = Field(
        None, description="For invalid bodies: each field path and what is wrong (never the value sent)."
    )

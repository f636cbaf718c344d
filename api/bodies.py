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
    "BenefitClockOut",
    "BillDetailOut",
    "BillLineOut",
    "BillListOut",
    "BillOut",
    "DeskAnswerOut",
    "DeskCoverageOut",
    "DeskLookupIn",
    "DeskLookupOut",
    "DeskPriorityOut",
    "PayerAccountOut",
    "PaymentIn",
    "PaymentReceipt",
    "PledgeIn",
    "PledgeReceipt",
    "PledgeState",
    "PledgeStatusOut",
    "Problem",
    "RefundListOut",
    "RefundOut",
    "RefundSettlementIn",
    "RefundSettlementReceipt",
    "RegistrationConfirmationIn",
    "RegistrationListOut",
    "RegistrationOut",
    "RegistrationReceipt",
    "RegistrationRejectionIn",
    "SponsorLedgerOut",
    "SponsorTotals",
    "TargetingIn",
    "UploadReceipt",
    "UploadRowOut",
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
    seats_committed: int = Field(
        0, description="Seats waiting for BPJS to confirm their registration (the payer's registration list)."
    )
    seats_active: int = Field(0, description="Seats whose cover runs (confirmed, or renewed), not ended.")
    pledged_idr: int = Field(description="On the ledger: 0 until the engine accepts the pledge.")
    committed_idr: int = Field(description="billed + not yet billed: money bound to seats.")
    not_yet_billed_idr: int = Field(0, description="Committed to seats, for months not billed yet.")
    billed_idr: int = Field(0, description="paid + due + in arrears + written off.")
    paid_idr: int = Field(description="Bill lines the payer paid (reconciled payments).")
    due_idr: int = Field(0, description="Billed, unpaid, before the bill's due date passed.")
    arrears_idr: int = Field(0, description="Billed, unpaid, past the bill's due date: may still be paid.")
    written_off_idr: int = Field(0, description="Billed, unpaid past the arrears window: the term lapsed.")
    returned_idr: int
    remaining_idr: int = Field(description="pledged - paid - returned: money still held for this pledge.")
    uncommitted_idr: int = Field(description="Not bound to any seat; returned to the payer at expiry.")
    payer_refunds_owed_idr: int = Field(
        0, description="The pledge's payer's account in the pledge's region: refunds owed to it in total "
        "(over- and short-payment remainders, unknown references), for all its bills there."
    )
    payer_refunded_idr: int = Field(0, description="Of those, refunded so far.")
    workers_covered: int = Field(description="Distinct workers this pledge has covered so far.")
    workers_committed: int = Field(0, description="Workers on a committed seat (one seat each).")
    workers_active: int = Field(description="Workers whose cover on this pledge runs (active seats).")
    workers_cancelled: int = Field(
        0, description="Seats cancelled before cover started (BPJS rejected, or did not confirm in time)."
    )
    workers_lapsed: int = Field(0, description="Terms that lapsed: their payer left months unpaid.")
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
    arrears_idr: int = 0
    written_off_idr: int = 0
    workers_covered: int = Field(description="Summed over pledges.")
    workers_committed: int = 0
    workers_active: int
    workers_lapsed: int = 0
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


# ---------------------------------------------------------------- payer desk (issue 16)

CoverageId = Annotated[str, Field(min_length=1, max_length=300)]
BillId = Annotated[str, Field(min_length=1, max_length=300)]
KpjNumber = Annotated[str, Field(pattern=r"^[0-9]{8,16}$")]


class PaymentIn(_Body):
    """A transfer a payer made to BPJS for one bill, as on the bank's or BPJS's record."""

    payment_id: Identifier = Field(
        description="The transfer's reference (bank or BPJS): the same transfer reported twice, by any "
        "channel, is reconciled `duplicate` and applied once."
    )
    bill_id: BillId = Field(description="The bill's reference as printed: bill:{region}:{payer}:{period}.")
    amount_idr: AmountIdr = Field(description="Integer rupiah transferred.")
    paid_on: IsoDate
    payer_id: Identifier | None = Field(
        None, description="Officer keys: the payer who transferred (required). Payer keys: leave it out."
    )


class PaymentReceipt(BaseModel):
    """202: the broker holds the payment; the engine answers with one `payment.reconciled` next."""

    payment_id: str
    bill_id: str
    payer_id: str
    event_id: str = Field(description="The engine's answer is `payment.reconciled` with event id "
                          "`payment.reconciled:{event_id}`.")
    status: Literal["submitted"] = "submitted"


class RegistrationConfirmationIn(_Body):
    """BPJS registered a worker: its membership number and start date, for a `coverage.committed` request."""

    region: RegencyCode = Field(description="The regency of the registration request (its `region`).")
    coverage_id: CoverageId = Field(description="The `coverage_id` of the registration request, as sent.")
    membership_number: KpjNumber = Field(description="BPJS's membership number (KPJ): 8 to 16 digits.")
    start_date: IsoDate = Field(
        description="The start BPJS recorded; cover is billed from the region's current month."
    )
    payer_id: Identifier | None = Field(
        None, description="Officer keys: the payer whose registration this is (required)."
    )


class RegistrationRejectionIn(_Body):
    """BPJS refused a registration: its reason, in its own words (no personal data, please)."""

    region: RegencyCode
    coverage_id: CoverageId
    reason: str = Field(min_length=1, max_length=500)
    payer_id: Identifier | None = Field(
        None, description="Officer keys: the payer whose registration this is (required)."
    )


class RegistrationReceipt(BaseModel):
    """202: the broker holds BPJS's answer; the engine activates or cancels the seat next."""

    coverage_id: str
    answer: Literal["confirmed", "rejected"]
    event_id: str
    status: Literal["submitted"] = "submitted"


class RefundSettlementIn(_Body):
    """A transfer that paid back (part of) a refund owed to a payer."""

    amount_idr: AmountIdr
    settled_on: IsoDate
    transfer_id: Identifier | None = Field(
        None, description="The transfer's reference: when given, the same transfer reported twice (by any "
        "officer) is recorded once. Without it, only a retry with the same Idempotency-Key is."
    )


class RefundSettlementReceipt(BaseModel):
    """202: the broker holds the settlement; the engine closes (`refund.closed`) or refuses it next."""

    refund_id: str
    event_id: str
    status: Literal["submitted"] = "submitted"


class UploadRowOut(BaseModel):
    """One data row of an uploaded CSV: ``accepted`` (one event sent) or ``invalid`` (nothing sent)."""

    line: int = Field(description="The row's line in the file; the header is line 1.")
    outcome: Literal["accepted", "invalid"]
    id: str | None = Field(description="The row's payment_id or coverage_id, when it could be read.")
    event_id: str | None = Field(description="The event sent for an accepted row.")
    column: str | None = Field(description="The column at fault; null for the row as a whole.")
    reason: str | None = Field(description="A stable code, e.g. not_a_date, required, repeated_in_file.")
    problem: str | None = Field(description="What to fix, in a sentence (never the value sent).")


class UploadReceipt(BaseModel):
    """202: every accepted row's event is on the broker; fix and re-upload the invalid rows only."""

    rows: int
    accepted: int
    invalid: int
    results: list[UploadRowOut]


# ---------------------------------------------------------------- payer reads (issue 16)


class RegistrationOut(BaseModel):
    """A seat the payer registers with BPJS. Personal data: the one place NIK and name leave intake."""

    coverage_id: str = Field(description="Quote it in BPJS's answer (registration confirmation).")
    nik: str
    name: str
    birth_date: date
    sex: Sex
    district: str
    occupation: str
    pledge_id: str
    sponsor_id: str
    region: str
    registration_due_period: str = Field(
        description="The last month a confirmation is awaited; unconfirmed at its close, the seat is "
        "cancelled."
    )


class RegistrationListOut(BaseModel):
    """The payer's pending registrations; every download is recorded (``access-log.v1``)."""

    payer_id: str
    pending: int = Field(description="Seats waiting for registration; rows below are those whose "
                         "application was found (a seat whose application is missing is not listed).")
    registrations: list[RegistrationOut]


class BillOut(BaseModel):
    """A bill: one per payer, region and period."""

    bill_id: str = Field(description="The reference to quote on a payment: bill:{region}:{payer}:{period}.")
    payer_id: str
    region: str
    period: str
    lines: int
    total_idr: int
    paid_idr: int
    written_off_idr: int
    outstanding_idr: int = Field(description="total - paid - written off.")
    due_date: date
    state: Literal["due", "in_arrears", "paid", "written_off"] = Field(
        description="paid: nothing outstanding; written_off: nothing outstanding, some lines written off; "
        "in_arrears: outstanding after the due date passed at a month close; due: outstanding, not yet."
    )


class BillListOut(BaseModel):
    payer_id: str
    bills: list[BillOut]


class BillLineOut(BaseModel):
    """One line: a worker's month, by pseudonym and BPJS membership number (never NIK or name)."""

    line_no: int
    coverage_id: str
    worker: str = Field(description="The keyed pseudonym of the worker.")
    membership_number: str
    pledge_id: str
    sponsor_id: str
    months: int
    amount_idr: int
    state: Literal["due", "in_arrears", "paid", "written_off"]


class BillDetailOut(BillOut):
    """A bill with its lines, in line order (the order payments pay them in); streamed."""

    line_items: list[BillLineOut]


class RefundOut(BaseModel):
    refund_id: str = Field(description="Quote it when reporting the transfer (POST .../settlement).")
    payer_id: str
    region: str
    period: str
    cause: Literal["overpayment", "short_remainder", "unknown_reference", "prepaid_unused"]
    payment_id: str | None
    coverage_id: str | None
    amount_idr: int
    refunded_idr: int
    remaining_idr: int
    state: Literal["owed", "settled"]


class PayerAccountOut(BaseModel):
    """A payer's account in one region: received = applied + refunds owed; refunded <= refunds owed."""

    region: str
    received_idr: int
    applied_idr: int
    refunds_owed_idr: int
    refunded_idr: int


class RefundListOut(BaseModel):
    payer_id: str
    refunds: list[RefundOut]
    accounts: list[PayerAccountOut]


# ---------------------------------------------------------------- quotes (issue 19)


class GroupCountsOut(BaseModel):
    """One table of counts after small-cell suppression (``models.disclosure``)."""

    cells: dict[str, int] = Field(description="The groups shown: each 0 or at least `threshold`.")
    other: int = Field(description="The merged groups' sum: 0, or at least `threshold`, or the whole total.")
    merged: list[str] = Field(description="The groups merged into `other` (small: never how small).")
    total: int = Field(description="Exact: the cells and `other` add up to it.")
    threshold: int


class QuoteMonthOut(BaseModel):
    period: str = Field(description="A month of the seat's term, counted from the month the pledge opens.")
    premium_idr: int = Field(description="What each seat commits for that month: the undiscounted price "
                             "at acceptance (`monthly_premium_idr`).")
    tariff_idr: int = Field(description="The sponsored tier's premium in force that month (undiscounted); "
                            "differs from `premium_idr` only when a new schedule starts mid-term.")
    committed_idr: int = Field(default=0, description="workers_covered x premium_idr: the month's money the "
                               "seats bind.")
    billed_idr: int = Field(default=0, description="What the covered workers' lines would be billed that "
                            "month: the tariff in force for each one's occupation, discounts applied "
                            "(PP 50/2025), never above `premium_idr`.")
    discounted_workers: int = Field(default=0, description="Covered workers whose line that month gets a "
                                    "discount.")


class QuoteOut(BaseModel):
    """What the pledge would buy if submitted now; nothing is recorded."""

    accepted: bool = Field(description="False: the engine would reject the pledge (`reason`, `message`); "
                           "then nothing is covered and the money figures are 0.")
    reason: str | None = Field(description="The engine's rejection code, e.g. pledge_months_not_allowed.")
    message: str | None = Field(description="What to change, when the engine would reject it.")
    region: str
    opens_period: str = Field(description="The month the pledge would open (seats filled from then).")
    opens_now: bool = Field(description="False: a later `valid_from`; the counts are then the waiting "
                            "list as it stands now, an estimate of who would be there when it opens.")
    monthly_premium_idr: int
    seat_cost_idr: int = Field(description="monthly_premium_idr x months, fixed at acceptance.")
    seats: int = Field(description="What the amount buys: floor(amount / seat cost), capped by max_workers.")
    workers_covered: int = Field(description="Waiting workers the targeting admits who would take a seat "
                                 "now, highest priority first: min(seats, those admitted).")
    free_seats: int = Field(description="Seats left for workers who apply later.")
    committed_idr: int = Field(description="workers_covered x seat cost.")
    uncommitted_idr: int = Field(
        description="amount - committed: kept for later workers, returned at expiry.")
    remainder_idr: int = Field(description="amount - seats x seat cost: buys no seat; returned at expiry.")
    runway_months: int = Field(description="Months until the committed money is all billed: `months` once "
                               "a seat is filled (counted from registration), else 0.")
    months: list[QuoteMonthOut]
    expected_repriced_idr: int = Field(default=0, description="Sum of committed - billed over `months`: "
                                       "money the engine gives back from committed to the pledge's "
                                       "remainder as each month is billed below its committed price "
                                       "(`repriced` movements); returned at expiry with the rest of the "
                                       "remainder, or used by a renewal.")
    by_district: GroupCountsOut
    by_occupation: GroupCountsOut
    by_sex: GroupCountsOut
    by_welfare_decile: GroupCountsOut = Field(description="`unknown`: not on the register.")
    waiting_considered: int = Field(description="Workers waiting in the region as the API knows them now.")
    caught_up: bool = Field(description="False while the API is still reading the topics from the start: "
                            "the waiting list it knows may be short.")


# ---------------------------------------------------------------- the officer's desk (api.desk_views)


class DeskLookupIn(_Body):
    """A worker's NIK, in a body: a NIK never goes in a URL (URLs are logged)."""

    nik: str = Field(
        min_length=1, max_length=32, json_schema_extra={"pattern": "^[0-9]{16}$"},
        description="16-digit NIK as on the KTP (spaces, dots and dashes between digits are dropped); never "
        "echoed. One that is not 16 digits is 422 with the reason as the error's `kind`; 16 digits no KTP "
        "can carry (an unknown province or regency, no birth date) are 404, like a NIK nobody applied with.",
    )


class DeskPriorityOut(BaseModel):
    """Why this worker is where they are: the points, fixed at application, and the waited points now."""

    poverty: int
    hazard: int
    household: int
    disability: int
    waited: int = Field(description="1 point per `aging_seconds_per_point` waited since submission, "
                        "at the time of the answer.")
    score: int
    key: int = Field(description="The ordering key, as on the engine's events: higher goes first.")


class BenefitClockOut(BaseModel):
    """A benefit that needs unbroken membership: reached, or the month it will be."""

    threshold_months: int
    reached: bool
    reached_period: str = Field(description="The month the threshold is (or was) reached: "
                                "`membership_since` + threshold months.")


class DeskCoverageOut(BaseModel):
    """The worker's current (or latest) term: a seat committed, active, or ended."""

    coverage_id: str
    state: Literal["committed", "active", "expired", "cancelled", "lapsed"]
    pledge_id: str
    sponsor_id: str
    sponsor_name: str | None = Field(description="Neither the key file nor a pledge carries a display "
                                     "name today: always null (the sponsor id is the name).")
    payer_id: str
    term_no: int
    package: str
    months: int
    monthly_premium_idr: int
    committed_period: str | None
    registration_due_period: str | None = Field(description="While committed: the last month BPJS's "
                                                "confirmation is awaited.")
    start_period: str | None
    end_period: str | None
    membership_number: str | None
    months_billed: int
    months_paid: int
    months_due: int
    months_in_arrears: int
    months_written_off: int
    membership_since: str | None = Field(description="Start of unbroken membership (null once lapsed).")
    membership_months: int | None = Field(description="Whole months of unbroken membership completed "
                                          "before the regency's current month.")
    death_benefit: BenefitClockOut | None = Field(description="JKM death benefit: 3 months.")
    scholarship: BenefitClockOut | None = Field(description="The children's scholarship: 36 months.")


class DeskAnswerOut(BaseModel):
    """Am I covered? If not, why, and how many are ahead of me? One worker in one regency."""

    application_id: str | None = Field(description="The application this answer is for: the one asked "
                                       "about, or the worker's current one.")
    worker: str | None = Field(description="The keyed pseudonym: the worker's id outside the engine.")
    region: str
    status: Literal["submitted", "waiting", "committed", "covered", "rejected", "cancelled", "lapsed",
                    "expired", "withdrawn", "ended"]
    reason: str | None = Field(description="Why, for rejected, cancelled and lapsed: a stable code.")
    message: str | None
    waiting: bool = Field(description="On the regency's waiting list now (a cancelled, lapsed or "
                          "expired worker waits again with their original priority).")
    rank: int | None = Field(description="1 + the regency's waiting workers ahead, in the matcher's "
                             "order; null when not waiting.")
    waiting_in_region: int
    seats_admitting: int = Field(description="Seats of the regency's current pledges (accepted or "
                                 "exhausted, not expired) whose targeting admits this worker.")
    free_seats_admitting: int = Field(description="Of those, seats free now (an open pledge fills them at "
                                      "once, so mostly those of pledges not yet open).")
    district: str | None
    occupation: str | None
    sex: Literal["M", "F"] | None
    welfare_decile: int | None
    priority: DeskPriorityOut | None
    coverage: DeskCoverageOut | None
    current_period: str | None = Field(description="The regency's current month as its events tell.")


class DeskLookupOut(BaseModel):
    """A NIK's worker in every regency it applied in (nearly always one)."""

    workers: list[DeskAnswerOut]

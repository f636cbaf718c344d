"""Admission rules: which applications and which pledges the city takes.

A ``CityPolicy`` is the city's configuration; ``KENDARI`` holds the defaults
(Kota Kendari, BPS 74.71). Rules run in the order below and the first
failure is the rejection: a stable ``Reason`` code and a sentence.

Applications (``check_application``):

1. ``nik_valid``: 16 digits, a known issuing region, a real birth date
   (``models.nik``).
2. ``nik_matches_applicant``: the NIK's birth date and sex equal the
   stated ones, catching typos before they become someone else's cover.
3. ``served_area``: the stated district lies in the stated regency, exists
   in Kemendagri's table (``district_unknown`` otherwise: Kendari has 11
   districts, so 74.71.12 is a typo or a forgery), and the city serves it
   (the stated district decides, not the NIK's region).
4. ``age_in_range``: 18 to 65 years on the application date in the city's
   local time (a local rule; the regulation's exact cap is unconfirmed).
5. ``not_already_covered``: active BPJS Ketenagakerjaan members are not
   sponsored twice.
6. ``welfare_decile_admitted``: deciles 1 to ``max_welfare_decile``
   (cities take 1-4 or 1-5); unknown deciles by ``admit_unknown_decile``.
7. ``occupation_served``: when the city lists occupations.

Pledges (``check_pledge``): an amount and a worker cap within the city's
plausible bounds, months in the allowed set, a coherent validity window
that has not ended, targeting that admits someone the city serves, a
tariff in force, and enough money for at least one seat but no more seats
than the bound. ``check_pledge_bounds`` is the bounds alone, for the API to
refuse an implausible body before it reaches a topic.

Months: BPJS takes BPU contributions monthly or 3, 6 or 12 months in
advance, so a seat is bought for 1, 3, 6 or 12 months by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.errors import NikError, Reason, TariffError
from models.events import ApplicationSubmitted, PledgeSubmitted
from models.nik import Nik, parse
from models.occupations import Occupation
from models.periods import first_day, period_name, period_of
from models.priority import PriorityWeights
from models.regions import DistrictCode, RegencyCode, is_known_district, is_known_regency, regency_of
from models.tariff import Tariff

__all__ = [
    "KENDARI",
    "CityPolicy",
    "PledgeTerms",
    "Rejection",
    "age_on",
    "check_application",
    "check_pledge",
    "check_pledge_bounds",
    "local_date",
]


class CityPolicy(BaseModel):
    """A city's rules; frozen, so a matcher's behaviour cannot drift mid-stream."""

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")

    name: str = "Kota Kendari"
    served_regencies: tuple[RegencyCode, ...] = ("74.71",)
    served_districts: tuple[DistrictCode, ...] | None = None
    """None: every district of the served regencies."""
    utc_offset_hours: int = Field(default=8, ge=-12, le=14)
    """Local time for dates on applications (Kendari is WITA, UTC+8)."""
    min_age: int = Field(default=18, ge=0)
    max_age: int = Field(default=65, ge=0)
    max_welfare_decile: int = Field(default=5, ge=1, le=10)
    admit_unknown_decile: bool = True
    """Workers not on the register are admitted, ranked as documented in ``models.priority``."""
    occupations: tuple[Occupation, ...] | None = None
    """None: every occupation."""
    pledge_months: tuple[int, ...] = (1, 3, 6, 12)
    max_pledge_idr: int = Field(default=1_000_000_000_000, ge=1, le=10**18)
    """Largest amount one pledge may carry: Rp 1 trillion by default.

    The largest programme on record, DKI Jakarta's target of 2.8 million workers
    covered for 12 months at Rp 16,800 (JKK+JKM), costs about Rp 564 billion for a
    whole province; a pledge names one regency, so more than Rp 1 trillion in one
    pledge is a typing slip (zeros added) or an attack, and its money would bury the
    real premiums on every chart. A city with a bigger programme raises it.
    """
    max_pledge_seats: int = Field(default=3_000_000, ge=1, le=10**9)
    """Most workers one pledge may cover, and the largest ``max_workers`` it may name.

    3 million: above DKI Jakarta's 2.8 million target, a province of six regencies
    and cities, so above any one regency's informal workforce. A pledge buying more
    seats (a large amount for one month, say) must cap them with ``max_workers``.
    """
    lapse_after_unpaid_months: int = Field(default=3, ge=1)
    """BPJS: membership lapses after this many consecutive unpaid months; a shorter gap keeps it.

    Also the arrears window: a bill line for month Q is in arrears from the close
    of Q + 1 and may be paid until the close of Q + this + 1, which lapses its
    term (or, for a term already ended, writes the line off) if it is still unpaid."""
    registration_deadline_months: int = Field(default=2, ge=1)
    """A committed seat not confirmed by BPJS by the close of its commit month + this - 1 is cancelled."""
    bill_due_day: int = Field(default=15, ge=1, le=28)
    """A bill for month P is due on this day of the month after P (28 at most: every month has it)."""
    replay_window_closes: int = Field(default=6, ge=1)
    """How many month closes a handled input that left no record of its own (a rejected input, a
    registration answer, a refund settlement) is remembered as handled: a replay within the
    window emits nothing. Past it, the marker is dropped (memory stays bounded: a million covered
    workers would otherwise keep a million answers for ever); a rejected input's replay then
    re-emits its rejection with the same event id (consumers drop it) and a registration answer's
    is answered ``registration_not_pending``. An applied refund settlement is remembered on its
    refund, for ever: its replay never settles twice."""
    refill_min_months: int = Field(default=3, ge=1)
    """A term ended early by a life event gives its unused months to the next waiting worker the
    pledge admits when at least this many remain: 3 by default, because JKM's death benefit needs 3
    months of membership, so a shorter term would buy a worker premiums but not that protection.
    Fewer months, or nobody waiting, and the money stays in the pledge's remainder (returned at once
    if the pledge has expired)."""
    renew_before_new: bool = True
    """At a month close, workers whose term ends take open seats (renewed at once, the same BPJS
    membership) before any waiting worker is covered: a gap would reset the family's benefit clocks
    (JKM's death benefit needs 3 months of membership, its scholarship benefit 3 years). Off: they
    wait again with their original priority and compete with the waiting list; a pledge that takes
    one of them renews them (no gap), one that does not leaves them waiting."""
    apply_tariff_discounts: bool = True
    """Bill each month with the tariff's discounts (PP 50/2025: ``models/data/bpu-tariff.json``) for
    the worker's occupation. Sponsors' money is CSR money, neither APBN nor APBD, so the
    budget-paid exclusion never applies. Off: months are billed at the undiscounted tariff in force
    (a city modelling "what if no discount" with ``jaring replay``)."""
    priority: PriorityWeights = PriorityWeights()

    @model_validator(mode="after")
    def _coherent(self) -> CityPolicy:
        if self.min_age > self.max_age:
            raise ValueError("min_age is above max_age")
        if not self.served_regencies:
            raise ValueError("served_regencies is empty: name at least one regency or city")
        for regency in self.served_regencies:
            if not is_known_regency(regency):
                raise ValueError(f"served regency {regency} is not in Kemendagri's table (models.regions)")
        for district in self.served_districts or ():
            if regency_of(district) not in self.served_regencies:
                raise ValueError(f"served district {district} is outside the served regencies")
            if not is_known_district(district):
                raise ValueError(f"served district {district} is not in Kemendagri's table (models.regions)")
        return self

    def serves(self, district: str) -> bool:
        """Whether a district is in the city's area."""
        if self.served_districts is not None:
            return district in self.served_districts
        return regency_of(district) in self.served_regencies


KENDARI = CityPolicy()
"""Kota Kendari (74.71): deciles 1-5 and unknown, ages 18-65, every district and occupation."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why something was not accepted."""

    reason: Reason
    message: str


@dataclass(frozen=True, slots=True)
class PledgeTerms:
    """What an accepted pledge buys, fixed at acceptance (a later tariff does not re-price it)."""

    monthly_premium_idr: int
    seat_cost_idr: int
    seats: int
    capacity_idr: int
    remainder_idr: int
    opens_index: int
    """First month index seats can be filled."""
    until_index: int
    """Month index of ``valid_until``; the pledge expires when that month closes."""


def local_date(app: ApplicationSubmitted, policy: CityPolicy) -> date:
    """The application date in the city's local time."""
    return (app.submitted_at + timedelta(hours=policy.utc_offset_hours)).date()


def age_on(birth: date, on: date) -> int:
    """Whole years completed on ``on``."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def check_application(app: ApplicationSubmitted, policy: CityPolicy) -> Nik | Rejection:
    """The parsed NIK when every rule passes, else the first ``Rejection``."""
    on = local_date(app, policy)
    try:
        nik = parse(app.nik, on)
    except NikError as exc:
        return Rejection(Reason(exc.code), exc.message)
    if nik.birth_date != app.birth_date:
        return Rejection(
            Reason.NIK_BIRTH_DATE_MISMATCH,
            "the birth date in the NIK differs from the stated one; check both against the KTP",
        )
    if nik.sex is not app.sex:
        return Rejection(
            Reason.NIK_SEX_MISMATCH, "the sex encoded in the NIK differs from the stated one; check the KTP"
        )
    if regency_of(app.district) != app.regency:
        return Rejection(
            Reason.DISTRICT_NOT_IN_REGENCY,
            f"district {app.district} is not in regency {app.regency}; correct one of them",
        )
    if not is_known_district(app.district):
        return Rejection(
            Reason.DISTRICT_UNKNOWN,
            f"district {app.district} does not exist in Kemendagri's table; check the code on the KTP or KK",
        )
    if not policy.serves(app.district):
        return Rejection(
            Reason.OUTSIDE_SERVED_AREA,
            f"{policy.name} does not serve district {app.district}; apply where you live and work",
        )
    age = age_on(app.birth_date, on)
    if age < policy.min_age:
        return Rejection(Reason.AGE_BELOW_MINIMUM, f"applicants must be at least {policy.min_age} years old")
    if age > policy.max_age:
        return Rejection(Reason.AGE_ABOVE_MAXIMUM, f"applicants must be at most {policy.max_age} years old")
    if app.already_covered:
        return Rejection(
            Reason.ALREADY_COVERED,
            "already an active BPJS Ketenagakerjaan member; keep paying that membership",
        )
    if app.welfare_decile is None:
        if not policy.admit_unknown_decile:
            return Rejection(
                Reason.WELFARE_DECILE_UNKNOWN,
                "the household's welfare decile is unknown; register it with the social affairs office first",
            )
    elif app.welfare_decile > policy.max_welfare_decile:
        return Rejection(
            Reason.WELFARE_DECILE_ABOVE_LIMIT,
            f"{policy.name} sponsors welfare deciles 1-{policy.max_welfare_decile} only",
        )
    if policy.occupations is not None and app.occupation not in policy.occupations:
        return Rejection(
            Reason.OCCUPATION_NOT_SERVED, f"{policy.name} does not sponsor the occupation {app.occupation}"
        )
    return nik


def check_pledge(
    pledge: PledgeSubmitted, policy: CityPolicy, tariff: Tariff, current_index: int
) -> PledgeTerms | Rejection:
    """The pledge's terms when it can be accepted in month ``current_index``, else the first ``Rejection``."""
    rejection = _check_stated_bounds(pledge, policy)
    if rejection is not None:
        return rejection
    if pledge.months not in policy.pledge_months:
        allowed = ", ".join(str(m) for m in policy.pledge_months)
        return Rejection(Reason.PLEDGE_MONTHS_NOT_ALLOWED, f"months must be one of {allowed}")
    if pledge.valid_from > pledge.valid_until:
        return Rejection(Reason.PLEDGE_VALIDITY_INVALID, "valid_from is after valid_until; swap or fix them")
    until_index = period_of(pledge.valid_until)
    if until_index < current_index:
        return Rejection(
            Reason.PLEDGE_VALIDITY_ENDED,
            f"valid_until is before {period_name(current_index)}, the current month; extend it",
        )
    rejection = _check_targeting(pledge, policy)
    if rejection is not None:
        return rejection
    opens_index = max(period_of(pledge.valid_from), current_index)
    try:
        premium = tariff.sponsored_premium(pledge.package, first_day(opens_index))
    except TariffError as exc:
        return Rejection(Reason.TARIFF_NOT_IN_FORCE, exc.message)
    seat_cost = premium * pledge.months
    seats = _seats(pledge, seat_cost)
    rejection = _check_seat_bound(seats, policy)
    if rejection is not None:
        return rejection
    if seats < 1:
        return Rejection(
            Reason.PLEDGE_BELOW_ONE_SEAT,
            f"one worker for {pledge.months} months costs Rp {seat_cost:,}; "
            "raise the amount or shorten the months",
        )
    capacity = seats * seat_cost
    return PledgeTerms(
        monthly_premium_idr=premium,
        seat_cost_idr=seat_cost,
        seats=seats,
        capacity_idr=capacity,
        remainder_idr=pledge.amount_idr - capacity,
        opens_index=opens_index,
        until_index=until_index,
    )


def check_pledge_bounds(
    pledge: PledgeSubmitted, policy: CityPolicy, tariff: Tariff, current_index: int
) -> Rejection | None:
    """The plausibility bounds of ``check_pledge`` alone: amount, ``max_workers``, seats.

    For the API, which refuses an out-of-bounds body early with the policy the
    engine uses. Seats are priced as ``check_pledge`` prices them, in the month
    the pledge would open seen from ``current_index``; a tariff not in force
    leaves the seat count to the engine.
    """
    rejection = _check_stated_bounds(pledge, policy)
    if rejection is not None:
        return rejection
    opens_index = max(period_of(pledge.valid_from), current_index)
    try:
        premium = tariff.sponsored_premium(pledge.package, first_day(opens_index))
    except TariffError:
        return None
    return _check_seat_bound(_seats(pledge, premium * pledge.months), policy)


def _seats(pledge: PledgeSubmitted, seat_cost: int) -> int:
    seats = pledge.amount_idr // seat_cost
    return seats if pledge.max_workers is None else min(seats, pledge.max_workers)


def _check_stated_bounds(pledge: PledgeSubmitted, policy: CityPolicy) -> Rejection | None:
    if pledge.amount_idr > policy.max_pledge_idr:
        return Rejection(
            Reason.PLEDGE_AMOUNT_ABOVE_LIMIT,
            f"{policy.name} takes at most Rp {policy.max_pledge_idr:,} in one pledge; "
            "check the amount, or split it into several pledges",
        )
    if pledge.max_workers is not None and pledge.max_workers > policy.max_pledge_seats:
        return Rejection(
            Reason.PLEDGE_MAX_WORKERS_ABOVE_LIMIT,
            f"max_workers may be at most {policy.max_pledge_seats:,} in {policy.name}; lower it",
        )
    return None


def _check_seat_bound(seats: int, policy: CityPolicy) -> Rejection | None:
    if seats > policy.max_pledge_seats:
        return Rejection(
            Reason.PLEDGE_SEATS_ABOVE_LIMIT,
            f"the amount buys {seats:,} seats, over the {policy.max_pledge_seats:,} {policy.name} takes "
            "in one pledge; set max_workers, lengthen the months or lower the amount",
        )
    return None


def _check_targeting(pledge: PledgeSubmitted, policy: CityPolicy) -> Rejection | None:
    t = pledge.targeting
    if pledge.region not in policy.served_regencies:
        return Rejection(
            Reason.OUTSIDE_SERVED_AREA,
            f"{policy.name} does not serve region {pledge.region}; pledge to that city",
        )
    if t.districts == () or t.occupations == () or t.sexes == ():
        return Rejection(
            Reason.PLEDGE_TARGETING_EMPTY, "an empty targeting list admits nobody; omit it to admit anyone"
        )
    if t.districts is not None:
        outside = [d for d in t.districts if regency_of(d) != pledge.region]
        if outside:
            return Rejection(
                Reason.PLEDGE_TARGETING_OUTSIDE_REGION,
                f"district {outside[0]} is not in region {pledge.region}; split the pledge per regency",
            )
        unknown = [d for d in t.districts if not is_known_district(d)]
        if unknown:
            return Rejection(
                Reason.DISTRICT_UNKNOWN,
                f"district {unknown[0]} does not exist in Kemendagri's table; target districts that do",
            )
        if not any(policy.serves(d) for d in t.districts):
            return Rejection(Reason.PLEDGE_TARGETING_UNSERVED, "none of the targeted districts is served")
    if (
        t.occupations is not None
        and policy.occupations is not None
        and not set(t.occupations) & set(policy.occupations)
    ):
        return Rejection(Reason.PLEDGE_TARGETING_UNSERVED, "none of the targeted occupations is served")
    return None

"""What the page receives: one region's view as plain, JSON-ready values.

These shapes are the dashboard's public contract (``GET /v1/snapshot``, and
each server-sent event). They hold counts, integer rupiah, pledge and sponsor
ids and worker pseudonyms; nothing here can hold a NIK or a name.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

__all__ = [
    "Activation",
    "Breakdown",
    "CitySnapshot",
    "MoneyPoint",
    "PeoplePoint",
    "PledgeRow",
    "SponsorRow",
    "Totals",
]


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True)


class Totals(_Row):
    covered: int = 0
    """Workers whose cover runs now: an active term (registered with BPJS, or renewed)."""
    waiting: int = 0
    """Eligible workers without a seat, including those whose term ended unrenewed."""
    ever_covered: int = 0
    """Distinct workers who have had at least one term."""
    rejected: int = 0
    """Applications refused (ineligible or duplicate)."""
    registering: int = 0
    """Seats committed to a worker, waiting for BPJS to confirm the registration (not yet cover)."""
    lapsed: int = 0
    """Terms that lapsed because their payer left a month unpaid past the arrears window, ever."""
    withdrawn: int = 0
    """Workers a life event took out of the programme (moved out, employer-covered, deceased, left), ever."""
    claims_jkm: int = 0
    """Deaths reported (the family's JKM claim), ever: a count, never who."""
    claims_jkk: int = 0
    """Work accidents reported (JKK claims), ever: a count, never who."""


class Breakdown(_Row):
    """Covered and waiting workers sharing one district or one occupation."""

    key: str
    covered: int
    waiting: int
    name: str | None = None
    """A district's name in Kemendagri's table (``Wua-Wua`` for 74.71.07); None for occupations, whose
    words the page holds in both languages, and for a code the table lacks."""


class SponsorRow(_Row):
    sponsor_id: str
    pledges: int
    seats: int
    seats_filled: int
    pledged_idr: int
    committed_idr: int
    paid_idr: int
    remaining_idr: int
    returned_idr: int
    runway_months: int


class PledgeRow(_Row):
    pledge_id: str
    sponsor_id: str
    payer_id: str
    """Who transfers the pledge's premiums to BPJS (the sponsor unless it named another): whom to
    ask when the pledge shows arrears."""
    status: str
    """``accepted``, ``exhausted``, ``expired`` or ``rejected``: the furthest its events imply, by the
    precedence the API uses too (``models.pledge_book``); a duplicate's rejection never shows here."""
    months: int | None
    seats: int
    seats_filled: int
    pledged_idr: int
    committed_idr: int
    paid_idr: int
    remaining_idr: int
    returned_idr: int
    runway_months: int
    arrears_idr: int
    """Billed for the pledge's terms, unpaid past the bill's due date: its payer is late."""
    written_off_idr: int
    """Unpaid past the arrears window: the terms lapsed."""
    valid_until: str | None
    reason: str | None
    """The rejection code while the pledge is rejected, else None."""


class MoneyPoint(_Row):
    """The region's money at the end of a month; ``remaining = pledged - paid - returned``.

    Billed money is ``paid + due + arrears_idr + written_off``: what BPJS has been
    paid, what is billed and not yet past its due date, what is past it, and what a
    lapse wrote off. Refunds are the payers' (summed over the region's payers): owed
    to them in total, and transferred back so far.
    """

    period: str
    pledged_idr: int
    committed_idr: int
    paid_idr: int
    returned_idr: int
    remaining_idr: int
    runway_months: int
    billed_idr: int
    due_idr: int
    arrears_idr: int
    written_off_idr: int
    refunds_owed_idr: int
    refunded_idr: int


class PeoplePoint(_Row):
    """Workers at the end of a month: covered (active terms), waiting, registering (committed seats
    awaiting BPJS), and terms lapsed so far."""

    period: str
    covered: int
    waiting: int
    registering: int
    lapsed: int


class Activation(_Row):
    """One seat filled: a pseudonym, where and what the worker does, and who pays."""

    event_time: datetime
    worker: str
    district: str
    district_name: str | None
    """The district's name in Kemendagri's table; None for a code the table lacks."""
    occupation: str
    sponsor_id: str
    pledge_id: str
    term_no: int
    renewal: bool


class CitySnapshot(_Row):
    region: str
    region_name: str | None
    """``Kota Kendari`` for 74.71 (Kemendagri's table)."""
    regions: list[str]
    """The regions the city serves (its policy's ``served_regencies``, in its order), and only those:
    events naming any other region are not shown (``CityView.other_regions`` counts them)."""
    region_names: dict[str, str]
    """The name of each of ``regions``, for the page's region links."""
    events: int
    """Distinct events folded so far, all regions."""
    period: str | None
    """The latest month any of this region's events named."""
    totals: Totals
    districts: list[Breakdown]
    occupations: list[Breakdown]
    sponsors: list[SponsorRow]
    pledges: list[PledgeRow]
    money: list[MoneyPoint]
    people: list[PeoplePoint]
    recent: list[Activation]

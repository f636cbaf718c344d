"""What the page receives: one region's view as plain, JSON-ready values.

These shapes are the dashboard's public contract (``GET /v1/snapshot``, and
each server-sent event). They hold counts, integer rupiah, and pledge and
sponsor ids; nothing here can hold a NIK, a name or a worker's pseudonym, and
no count of people under ``min_cell`` is shown alone (``models.disclosure``).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

__all__ = [
    "Activation",
    "Breakdown",
    "CitySnapshot",
    "FairnessRow",
    "FairnessTable",
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
    """Covered and waiting workers sharing one district or one occupation.

    A count under the snapshot's ``min_cell`` is None here and counted in the table's last row, the
    ``merged`` one (key ``_merged``), so each column still adds up to the exact total."""

    key: str
    covered: int | None
    """None: merged into the ``merged`` row (a small group, or merged so that "other" is not small)."""
    waiting: int | None
    name: str | None = None
    """A district's name in Kemendagri's table (``Wua-Wua`` for 74.71.07); None for occupations, whose
    words the page holds in both languages, for a code the table lacks, and for the merged row."""
    merged: bool = False
    """The row of the cells merged away: small groups together, never one alone."""


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
    """One seat filled: when, which pledge pays, and the district only where it names nobody.

    No pseudonym (it would link one person's rows across the feed) and no occupation: a district and
    an occupation together are a cell of one; see ``CityView``."""

    event_time: datetime
    district: str | None
    """None unless the district's covered count is shown and at least ``min_cell``."""
    district_name: str | None
    """The district's name in Kemendagri's table; None with ``district`` or for a code the table lacks."""
    sponsor_id: str
    pledge_id: str
    term_no: int
    renewal: bool


class FairnessRow(_Row):
    """One group (or ``_merged``: the small groups together) of one dimension (``models.fairness``)."""

    group: str
    name: str | None = None
    """A district's name in Kemendagri's table; None for every other group."""
    eligible: int
    covered: int
    eligible_share: float
    """Of the regency's eligible workers, the group's share (0..1, rounded to 4 places for display)."""
    covered_share: float
    gap: float
    """``covered_share - eligible_share``: below 0, the group has less than its share of the cover."""
    ratio: float | None
    """The group's coverage (covered/eligible) over the regency's: 1 is even, 0.5 half as covered."""


class FairnessTable(_Row):
    dimension: str
    """``district``, ``occupation``, ``sex``, ``decile`` or ``disability``."""
    eligible: int
    covered: int
    rows: list[FairnessRow]


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
    """Exact: a regency's totals name nobody."""
    min_cell: int
    """The smallest count of people shown (``JARING_MIN_CELL``)."""
    districts: list[Breakdown]
    occupations: list[Breakdown]
    sponsors: list[SponsorRow]
    pledges: list[PledgeRow]
    money: list[MoneyPoint]
    people: list[PeoplePoint]
    recent: list[Activation]
    fairness_period: str | None = None
    """The month of ``fairness``: the latest with an eligibility or cover event."""
    fairness: list[FairnessTable] = []
    """Coverage against need by group at the end of ``fairness_period``, no group under ``min_cell``."""

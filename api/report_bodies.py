"""The city report's JSON (``GET /v1/regions/{region}/report``); ``api.city_report`` defines it."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.bodies import GroupCountsOut

__all__ = [
    "CityReportOut", "FairnessRowOut", "FairnessTableOut", "ReportFiguresOut", "ReportMoneyOut",
    "SponsorMoneyOut",
]


class ReportFiguresOut(BaseModel):
    """The month's people: totals exact, tables of counts suppressed (``models.disclosure``)."""

    applications_received: int = Field(description="Applications answered in the month (rejected, waiting, "
                                       "or matched on arrival).")
    eligible: int = Field(description="Of them, found eligible (waiting, or matched on arrival).")
    rejected: GroupCountsOut = Field(description="Rejected applications by reason.")
    waiting_at_end: int = Field(description="Workers on the waiting list at the month's end.")
    newly_covered: int = Field(description="Terms whose cover began in the month (`coverage.activated`).")
    renewed: int = Field(description="Terms renewed in the month.")
    covered_at_end: int = Field(description="Active terms at the month's end.")
    terms_ended: GroupCountsOut = Field(description="Terms (or seats awaiting registration) ended in the "
                                        "month, by kind: expired, lapsed, cancelled, or the life event's "
                                        "kind.")
    withdrawals: int = Field(description="Life events that took a worker out of the programme.")
    claims: GroupCountsOut = Field(description="Benefit claims counted: `deceased` (JKM), `accident_claim` "
                                   "(JKK).")


class FairnessRowOut(BaseModel):
    group: str = Field(description="A group, or `_merged`: the groups under the threshold together.")
    eligible: int
    covered: int
    eligible_share: float = Field(description="Share of the regency's eligible workers (4 decimals).")
    covered_share: float
    gap: float = Field(description="covered_share - eligible_share: negative when under-covered.")
    ratio: float | None = Field(description="The group's coverage over the regency's; null when undefined.")


class FairnessTableOut(BaseModel):
    dimension: str
    eligible: int = Field(description="Workers found eligible up to the month's end (exact).")
    covered: int = Field(description="Workers covered at the month's end (exact).")
    rows: list[FairnessRowOut]
    merged: list[str]


class ReportMoneyOut(BaseModel):
    """Sums of the month's funding movements by kind; the ledgers at the month's end."""

    pledged_idr: int
    committed_idr: int
    billed_idr: int
    paid_idr: int
    arrears_idr: int
    written_off_idr: int
    released_idr: int
    repriced_idr: int = Field(description="Committed money given back to the pledges' remainders because a "
                              "month was billed below the seat's price (the tariff in force, a discount).")
    returned_idr: int = Field(description="Remainder returned to payers at pledges' expiry.")
    remaining_idr: int = Field(description="At the month's end: pledged - paid - returned.")
    uncommitted_idr: int = Field(description="At the month's end: pledged - committed.")
    pledges: int = Field(description="Pledges with a movement or a seat by the month's end.")
    seats_filled: int = Field(description="Seats taken in the month (commitments and renewals).")


class SponsorMoneyOut(ReportMoneyOut):
    sponsor_id: str


class CityReportOut(BaseModel):
    """A regency's month: figures, the fairness table and the money; `closed` false means figures so far."""

    region: str
    region_name: str | None
    month: str = Field(description="YYYY-MM: events whose `period` is this month.")
    closed: bool = Field(description="Whether the regency has closed the month (a later month began).")
    threshold: int = Field(description="The smallest count of people shown in a table.")
    figures: ReportFiguresOut
    fairness: list[FairnessTableOut]
    money: ReportMoneyOut
    payer_refunded_idr: int = Field(description="Overpayments refunded to payers in the month.")
    sponsors: list[SponsorMoneyOut]

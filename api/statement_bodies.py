"""The sponsor statement's JSON (``GET /v1/sponsors/me/statement``); ``api.statements`` defines it."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from api.bodies import GroupCountsOut

__all__ = ["StatementFiguresOut", "StatementGroupsOut", "StatementOut", "StatementPledgeOut"]


class StatementGroupsOut(BaseModel):
    """Workers covered in the range by group, each table after small-cell suppression."""

    district: GroupCountsOut
    occupation: GroupCountsOut
    sex: GroupCountsOut = Field(description="`M`, `F`, or `unknown` (a seat older than the field).")
    welfare_decile: GroupCountsOut = Field(description="`1`..`10`, or `unknown`.")


class StatementFiguresOut(BaseModel):
    """Sums of the funding movements dated in the range, by kind; the ledger at the range's end."""

    pledged_idr: int = Field(description="Pledges accepted in the range.")
    committed_idr: int = Field(description="Premiums committed to seats filled in the range.")
    billed_idr: int = Field(description="Premiums billed by the month closes in the range.")
    paid_idr: int = Field(description="Premiums paid by payments reconciled in the range.")
    arrears_idr: int = Field(description="Premiums that fell into arrears in the range.")
    written_off_idr: int = Field(description="Premiums written off (lapses) in the range.")
    released_idr: int = Field(description="Committed money released back to the remainder in the range.")
    repriced_idr: int = Field(default=0, description="Committed money given back to the pledge's remainder "
                              "in the range because months were billed below their committed price (a "
                              "tariff discount, PP 50/2025): still the pledge's money, not a refund.")
    returned_idr: int = Field(description="Remainder refunded to the payer in the range.")
    remaining_idr: int = Field(description="At the range's end: pledged - paid - returned.")
    runway_months: int = Field(description="At the range's end: month closes until the committed money is "
                               "billed (the total: the longest pledge's).")
    seats_filled: int = Field(description="Seats taken in the range (commitments and renewals).")
    workers_covered: int = Field(description="Distinct workers given a seat in the range (the "
                                 "total: distinct across the pledges).")
    groups: StatementGroupsOut


class StatementPledgeOut(StatementFiguresOut):
    pledge_id: str
    region: str


class StatementOut(BaseModel):
    """A sponsor's statement: every pledge of the key's sponsor with a movement or a seat, and the total."""

    sponsor_id: str
    from_date: date = Field(description="First day of the range (UTC), inclusive.")
    to_date: date = Field(description="Last day of the range (UTC), inclusive.")
    pledges: list[StatementPledgeOut]
    total: StatementFiguresOut

"""Money movements: one event per change to a pledge's ledger or a payer's account.

``models.ledger`` has the arithmetic. A pledge's balances, after every movement:
pledged = committed + remainder (uncommitted); committed = billed + not yet billed;
billed = paid + outstanding + written off; outstanding = due + in arrears;
returned <= remainder. A payer's: received = applied + refunds owed; refunded <=
refunds owed.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from models.events.base import Identifier, Model, OutputBase, Rupiah

__all__ = ["FundingKind", "FundingMovement", "LedgerBalances", "PayerBalances", "PayerKind", "PayerMovement"]


class FundingKind(StrEnum):
    """What a ledger movement did (``models.ledger`` has the arithmetic)."""

    PLEDGED = "pledged"
    """Pledge accepted: ``pledged`` and ``remainder`` rise by the amount."""
    COMMITTED = "committed"
    """A seat filled: a term's premiums move from remainder to committed (not yet billed)."""
    BILLED = "billed"
    """A month close billed the pledge's active terms: not yet billed -> billed (due), one per close."""
    PAID = "paid"
    """A payment paid bill lines of the pledge's terms: due or in arrears -> paid, one per payment."""
    ARREARS = "arrears"
    """Lines unpaid at their due date: due -> in arrears, one per close."""
    WRITTEN_OFF = "written_off"
    """Lines unpaid past the arrears window (a lapse): in arrears -> written off."""
    RELEASED = "released"
    """Money no longer bound to a seat: free seats at expiry (no balance moves), or a cancelled or
    lapsed term's not-yet-billed money (committed -> remainder)."""
    REPRICED = "repriced"
    """A month close billed lines below their committed price (a tariff discount, a cheaper schedule):
    the difference goes back, committed -> remainder, one per pledge and close (cause
    ``{pledge key}:{period}``). Money back in the pledge, not a refund: returned with the remainder
    at expiry (at once if the pledge has expired)."""
    RETURNED = "returned"
    """The uncommitted remainder handed back to the payer."""
    PREMIUM_PAID = "premium_paid"
    """Before issue 16 a close marked every term's month paid; no longer emitted, kept readable."""


class LedgerBalances(Model):
    """A pledge's ledger after a movement (the identities in the module docstring hold on it)."""

    pledged_idr: Rupiah
    committed_idr: Rupiah
    billed_idr: Rupiah
    not_yet_billed_idr: Rupiah
    paid_idr: Rupiah
    outstanding_idr: Rupiah
    due_idr: Rupiah
    arrears_idr: Rupiah
    written_off_idr: Rupiah
    remainder_idr: Rupiah
    """Uncommitted: pledged minus committed."""
    returned_idr: Rupiah
    runway_months: int
    """Month closes until all committed money is billed."""


class FundingMovement(OutputBase):
    """One change to one pledge's ledger, for audit and dashboards."""

    type: Literal["funding.movement"] = "funding.movement"
    kind: FundingKind
    pledge_id: Identifier
    sponsor_id: Identifier
    payer_id: Identifier
    amount_idr: Rupiah
    coverage_id: str | None
    balances: LedgerBalances


PayerKind = Literal["received", "refunded"]


class PayerBalances(Model):
    """A payer's account in a region: ``received = applied + refunds_owed``, ``refunded <= refunds_owed``."""

    received_idr: Rupiah
    applied_idr: Rupiah
    refunds_owed_idr: Rupiah
    refunded_idr: Rupiah


class PayerMovement(OutputBase):
    """One change to a payer's account: a payment received (applied and owed back), a refund paid."""

    type: Literal["payer.movement"] = "payer.movement"
    kind: PayerKind
    payer_id: Identifier
    amount_idr: Rupiah
    """Received: the payment's amount; refunded: the transfer's."""
    applied_idr: Rupiah
    """Of a received payment, what paid bill lines (the rest is owed back)."""
    cause: str
    """The payment id or refund id that moved the account."""
    balances: PayerBalances

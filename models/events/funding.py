"""Money movements: one event per change to one pledge's ledger (``models.ledger`` has the arithmetic)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from models.events.base import Identifier, Model, OutputBase, Rupiah

__all__ = ["FundingKind", "FundingMovement", "LedgerBalances"]


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


class LedgerBalances(Model):
    """A pledge's ledger after a movement; ``committed + remainder_idr == pledged``."""

    pledged_idr: Rupiah
    committed_idr: Rupiah
    paid_idr: Rupiah
    remainder_idr: Rupiah
    returned_idr: Rupiah
    runway_months: int
    """Month closes until all committed money is paid."""


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

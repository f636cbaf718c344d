"""What the engine says about bills, payments and refunds (topic ``billing.v1``, keyed by region).

A month close issues one bill per (payer, region, period): its lines one
event each (``bill.line``, streamed as the close walks the active terms),
then the bill's total (``bill.issued``). Each reported payment is answered
by exactly one ``payment.reconciled``; money the engine cannot apply to a
bill becomes a ``refund.owed`` to the payer, closed by ``refund.closed``
when the city reports the transfer. Ids derive from their cause:
``bill:{region}:{payer}:{period}``, line ``{bill_id}:{coverage_id}``,
``refund:{region}:{payer}:{payment_id}`` (a payment
reference is its payer's: another payer's transaction with the same
reference is another payment).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from models.events.base import Identifier, OutputBase, Rupiah

__all__ = [
    "BillIssued",
    "BillLine",
    "PaymentReconciled",
    "ReconcileOutcome",
    "RefundCause",
    "RefundClosed",
    "RefundOwed",
    "RefundRejected",
]

ReconcileOutcome = Literal["exact", "short", "over", "unknown_reference", "duplicate"]
RefundCause = Literal["overpayment", "short_remainder", "unknown_reference", "prepaid_unused"]


class BillLine(OutputBase):
    """One active term's premium for one month, on its payer's bill."""

    type: Literal["bill.line"] = "bill.line"
    bill_id: str
    line_no: int
    """1, 2, ... in the order the close walked the terms (their start order): payments pay in this order."""
    payer_id: Identifier
    coverage_id: str
    worker: str
    """The keyed pseudonym; never the NIK or the name."""
    membership_number: str
    pledge_id: Identifier
    sponsor_id: Identifier
    months: int
    amount_idr: Rupiah
    """The tariff in force that month for the worker (its discount applied), never above the seat's
    committed monthly price; lines of one bill may differ."""
    discount: str | None = None
    """The discount applied to this line (``models/data/bpu-tariff.json``'s name), or None."""


class BillIssued(OutputBase):
    """A payer's bill for a period is complete: its lines, total and due date."""

    type: Literal["bill.issued"] = "bill.issued"
    bill_id: str
    payer_id: Identifier
    lines: int
    total_idr: Rupiah
    due_date: date
    """Day ``bill_due_day`` of the month after ``period``; unpaid after it, a line is in arrears."""


class PaymentReconciled(OutputBase):
    """The one answer to a ``payment.reported``: what it paid, and what is owed back."""

    type: Literal["payment.reconciled"] = "payment.reconciled"
    payment_id: Identifier
    payer_id: Identifier
    bill_id: str
    outcome: ReconcileOutcome
    reason: str
    """A stable code (``models.errors.Reason``), the outcome's cause."""
    message: str
    amount_idr: Rupiah
    applied_idr: Rupiah
    refund_idr: Rupiah
    lines_paid: int
    lines_outstanding: int
    """Lines of the bill still unpaid after this payment (0 for an unknown reference)."""
    outstanding_idr: Rupiah


class RefundOwed(OutputBase):
    """Money the engine holds for a payer and owes back (by agreement, to the donor)."""

    type: Literal["refund.owed"] = "refund.owed"
    refund_id: str
    payer_id: Identifier
    amount_idr: Rupiah
    cause: RefundCause
    payment_id: Identifier | None
    coverage_id: str | None


class RefundClosed(OutputBase):
    """A reported refund transfer was recorded; ``remaining_idr`` 0 means the refund is fully settled."""

    type: Literal["refund.closed"] = "refund.closed"
    refund_id: str
    payer_id: Identifier
    amount_idr: Rupiah
    refunded_idr: Rupiah
    """Settled so far, this transfer included."""
    remaining_idr: Rupiah


class RefundRejected(OutputBase):
    """A refund settlement the engine cannot record: unknown refund, or more than is still owed."""

    type: Literal["refund.rejected"] = "refund.rejected"
    refund_id: str
    amount_idr: Rupiah
    reason: str
    message: str

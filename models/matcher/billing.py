"""Bills, reconciliation, refunds and payer accounts: the money half of a region's transitions.

A month close bills every active term one line for the month closed
(``_bill``): lines are emitted one by one as the close walks the terms in
their start order, and only per-payer and per-pledge totals are held while
it walks; then each payer's ``bill.issued`` and each pledge's ``billed``
movement. Each term keeps its unpaid months in memory; the index ``_unpaid``
maps a bill to its unpaid lines' terms in line order. Neither a close nor a
payment rewrites an active term's record: the bill's ``paid_through_seq``
and the clock say what it would hold (``models.records``).

A payment (``_reconcile``) pays its bill's unpaid lines in line order, whole
lines only: ``exact`` (the amount is what the bill still owes), ``short``
(lines while the money lasts, the rest owed back), ``over`` (every line, the
excess owed back; a bill paid already is ``over`` with nothing applied),
``unknown_reference`` (no such bill in the region, or another payer's: all of
it owed back), ``duplicate`` (its payment id was reconciled before: nothing
applied, nothing owed, not received). Lines written off by a lapse are not
owed, so money for them is excess.

What a line costs (``_line``, issue 19). A seat is committed at the
pledge's undiscounted lowest tier (``Term.monthly_premium_idr``: a sponsor's
seat count never depends on who fills it, and a quote stays exact); each
month is billed at the tariff in force that month for the term's worker:
the schedule in force on the month's first day, less the discount for their
occupation (PP 50/2025; sponsors' money is CSR money, not APBN/APBD, so the
budget-paid exclusion does not apply; ``CityPolicy.apply_tariff_discounts``
off bills undiscounted). A month billed below its committed price gives the
difference back to the pledge's remainder in the same close, one
``repriced`` movement per pledge (returned at once if the pledge has
expired; an exhausted pledge it gives a full seat again reopens at the end
of the close). A month priced above its committed price (a dearer schedule
mid-term) is billed at the committed price: committed money is the sponsor's
cap, and no schedule in the file does it (a limitation, in the README).
Arrears, write-offs and payments take each line at its own amount, so a
bill's lines may differ; unbilled months are released at the committed
price.
"""

from __future__ import annotations

from collections.abc import Iterable

from models.errors import Reason
from models.events import FundingKind, PaymentReported, ReconcileOutcome, RefundCause, RefundSettled
from models.matcher.emit import due_date
from models.matcher.entities import Bill, Payer, Payment, Pledge, Refund, Term
from models.matcher.state import RegionState, bill_id, payment_key
from models.occupations import Occupation
from models.periods import period_name
from models.tariff import Package, sponsored_line

__all__ = ["Accounts"]


class Accounts(RegionState):
    """Billing, reconciliation and refunds over a region's state (``RegionMatcher`` adds the rest)."""

    def _movement(
        self, p: Pledge, kind: FundingKind, amount: int, cause: str, coverage_id: str | None = None
    ) -> None:
        self._changed_pledges[p.key] = None
        self._out.movement(p, kind, amount, max(p.bound_until_close - self._closes, 0), cause, coverage_id)

    def _payer(self, payer_id: str) -> Payer:
        account = self._payers.get(payer_id)
        if account is None:
            account = self._payers[payer_id] = Payer(payer_id)
        self._changed_payers[payer_id] = None
        return account

    def _term_changed(self, t: Term) -> None:
        if t.state == "ended":
            self._changed_terms[t.coverage_id] = None
            if not t.unpaid_periods:
                del self._ended[t.coverage_id]
        else:
            self._changed_workers[t.worker] = None

    def _line(self, t: Term, period: int) -> tuple[int, str | None]:
        """``t``'s bill line for month ``period``: its amount and the discount's name, if one applied
        (the module docstring). Pure in the tariff, the policy and the term: a restored matcher
        prices every line as the one that billed it."""
        key = (t.package, period, t.occupation, t.monthly_premium_idr)
        line = self._lines.get(key)
        if line is None:
            amount, discount = sponsored_line(self.tariff, *key, discounts=self.policy.apply_tariff_discounts)
            line = self._lines[key] = (amount, None if discount is None else discount.name)
        return line

    # ------------------------------------------------------------ a month close

    def _fall_due(self, month: int, terms: Iterable[Term]) -> None:
        """Lines of the month before ``month`` still unpaid at its close are in arrears: one movement
        per pledge, in the order the walk met them."""
        arrears: dict[str, int] = {}
        for t in terms:
            arrears[t.pledge_key] = arrears.get(t.pledge_key, 0) + self._line(t, month - 1)[0]
        for key, amount in arrears.items():
            if not amount:
                continue  # lines discounted to nothing owe nothing
            p = self._pledges[key]
            p.ledger.fall_due(amount)
            self._movement(p, FundingKind.ARREARS, amount, f"{key}:{period_name(month)}")

    def _write_off(self, t: Term, periods: list[int], month: int) -> int:
        """Write ``t``'s unpaid lines for ``periods`` off (past the arrears window); returns the amount."""
        total = 0
        for q in periods:
            amount = self._line(t, q)[0]
            total += amount
            b = bill_id(self.region, t.payer_id, q)
            self._bills[b].written_off_idr += amount
            self._changed_bills[b] = None
            lines = self._unpaid[b]
            del lines[t.coverage_id]
            if not lines:
                del self._unpaid[b]
        t.unpaid_periods = [q for q in t.unpaid_periods if q not in periods]
        p = self._pledges[t.pledge_key]
        if total:
            p.ledger.write_off(total)
            cause = f"{t.coverage_id}:{period_name(month)}"
            self._movement(p, FundingKind.WRITTEN_OFF, total, cause, t.coverage_id)
        self._term_changed(t)
        return total

    def _bill(self, month: int, terms: Iterable[Term]) -> tuple[list[Term], list[Pledge]]:
        """Bill ``terms`` (active, in start order, walked once) one line each for ``month``, then each
        payer's bill and each pledge's movements; returns the terms whose last month this was, and
        the exhausted pledges a repricing gave a full seat again (reopened at the close's end).

        Held meanwhile: a bill per payer and sums per pledge, never the lines. What is per payer (the
        bill, its id, its unpaid index) and per price (``_line``) is looked up once, not per term:
        the walk runs once per covered worker."""
        bills: dict[str, Bill] = {}
        per_payer: dict[str, tuple[Bill, dict[str, Term]]] = {}
        prices: dict[tuple[Package, Occupation, int], tuple[int, str | None]] = {}
        ending: list[Term] = []
        billed: dict[str, int] = {}
        repriced: dict[str, int] = {}
        due = due_date(month, self.policy.bill_due_day)
        bill_line = self._out.bill_line
        changed_workers = self._changed_workers
        for t in terms:
            price = (t.package, t.occupation, t.monthly_premium_idr)
            line = prices.get(price)
            if line is None:
                line = prices[price] = self._line(t, month)
            amount = line[0]
            payer = per_payer.get(t.payer_id)
            if payer is None:
                b_id = bill_id(self.region, t.payer_id, month)
                bill = bills[b_id] = Bill(b_id, t.payer_id, month, 0, 0, 0, 0, due)
                payer = per_payer[t.payer_id] = (bill, self._unpaid.setdefault(b_id, {}))
            bill, unpaid = payer
            bill.lines += 1
            bill.total_idr += amount
            bill_line(bill.bill_id, bill.lines, t, amount, line[1])
            t.months_billed += 1
            t.unpaid_periods.append(month)
            unpaid[t.coverage_id] = t
            key = t.pledge_key
            billed[key] = billed.get(key, 0) + amount
            if amount < t.monthly_premium_idr:
                repriced[key] = repriced.get(key, 0) + t.monthly_premium_idr - amount
            if t.months_billed == t.months:
                ending.append(t)
                changed_workers[t.worker] = None  # the only terms a close rewrites
        regained: list[Pledge] = []
        name = period_name(month)
        for key, amount in billed.items():
            p = self._pledges[key]
            if amount:  # nothing to bill when every line was discounted to nothing
                p.ledger.bill(amount)
                self._movement(p, FundingKind.BILLED, amount, f"{key}:{name}")
            back = repriced.get(key, 0)
            if not back:
                continue
            p.ledger.reprice(back)
            self._movement(p, FundingKind.REPRICED, back, f"{key}:{name}")
            if p.status == "expired":  # nothing left to fill: returned at once, as a freed seat's money
                returned = p.ledger.return_remainder()
                self._movement(p, FundingKind.RETURNED, returned, f"{key}:{name}")
            elif p.status == "exhausted" and p.free_seats():
                regained.append(p)
        for b_id in sorted(bills, key=lambda b: bills[b].payer_id):
            self._bills[b_id] = bills[b_id]
            self._changed_bills[b_id] = None
            self._out.bill_issued(bills[b_id])
        return ending, regained

    # ------------------------------------------------------------ payments

    def _reconcile(self, event: PaymentReported) -> bool:
        """Reconcile a payment; True when its event id must be remembered (a duplicate)."""
        out = self._out
        key = payment_key(event.payer_id, event.payment_id)
        if key in self._payments:
            out.payment_reconciled(
                event, "duplicate", Reason.PAYMENT_DUPLICATE,
                f"payment {event.payment_id} of payer {event.payer_id} was reconciled already; "
                "nothing was applied again",
                applied=0, refund=0, lines_paid=0, lines_outstanding=0, outstanding=0,
            )
            return True
        self._payments[key] = Payment(
            event.payment_id, event.event_id, event.payer_id, event.bill_id, event.amount_idr
        )
        self._changed_payments[key] = None
        bill = self._bills.get(event.bill_id)
        if bill is None or bill.payer_id != event.payer_id:
            reason = Reason.BILL_UNKNOWN if bill is None else Reason.BILL_OF_ANOTHER_PAYER
            out.payment_reconciled(
                event, "unknown_reference", reason,
                f"no bill {event.bill_id} of payer {event.payer_id} in {self.region}: the whole amount is "
                "owed back; check the reference printed on the bill",
                applied=0, refund=event.amount_idr, lines_paid=0, lines_outstanding=0, outstanding=0,
            )
            self._received(event, 0, "unknown_reference")
            return False
        lines = self._unpaid.get(bill.bill_id, {})
        owed = bill.outstanding_idr
        paying: list[Term] = []
        applied = 0
        for t in lines.values():
            amount = self._line(t, bill.period)[0]
            if applied + amount > event.amount_idr:
                break
            paying.append(t)
            applied += amount
        self._pay_lines(bill, paying, event.payment_id)
        outcome: ReconcileOutcome
        cause: RefundCause | None
        if event.amount_idr == owed:
            outcome, reason, cause = "exact", Reason.PAYMENT_EXACT, None
            message = "the bill is paid in full"
        elif event.amount_idr < owed:
            outcome, reason, cause = "short", Reason.PAYMENT_SHORT, "short_remainder"
            message = (f"{len(paying)} lines paid in bill order; {owed - applied} still owed on the bill; "
                       "pay the rest with a new payment")
        else:
            outcome, reason, cause = "over", Reason.PAYMENT_OVER, "overpayment"
            message = "every outstanding line paid; the excess is owed back to the payer"
        refund = event.amount_idr - applied
        out.payment_reconciled(
            event, outcome, reason, message, applied=applied, refund=refund, lines_paid=len(paying),
            lines_outstanding=len(self._unpaid.get(bill.bill_id, {})), outstanding=bill.outstanding_idr,
        )
        self._received(event, applied, cause if refund else None)
        return False

    def _pay_lines(self, bill: Bill, terms: list[Term], payment_id: str) -> None:
        """Mark ``terms``' lines of ``bill`` paid; one ``paid`` movement per pledge."""
        if not terms:
            return
        assert self._closed is not None
        lines = self._unpaid[bill.bill_id]
        late = bill.period < self._closed  # its due date passed at the close after its month
        paid: dict[str, int] = {}
        for t in terms:
            del lines[t.coverage_id]
            t.unpaid_periods.remove(bill.period)
            amount = self._line(t, bill.period)[0]
            bill.paid_idr += amount
            paid[t.pledge_key] = paid.get(t.pledge_key, 0) + amount
            if t.state == "ended":  # an active term's record is not rewritten: the cursor says it
                self._term_changed(t)
        bill.paid_through_seq = terms[-1].seq  # lines go in seq order: the last paid is the highest
        if not lines:
            del self._unpaid[bill.bill_id]
        self._changed_bills[bill.bill_id] = None
        for key, amount in paid.items():
            if not amount:
                continue
            p = self._pledges[key]
            p.ledger.pay(amount, in_arrears=amount if late else 0)
            self._movement(p, FundingKind.PAID, amount, f"{key}:{payment_id}")

    def _received(self, event: PaymentReported, applied: int, cause: RefundCause | None) -> None:
        """The payer's account takes the payment: applied, and the rest owed back."""
        refund = event.amount_idr - applied
        account = self._payer(event.payer_id)
        account.received_idr += event.amount_idr
        account.applied_idr += applied
        account.refunds_owed_idr += refund
        if refund:
            assert cause is not None
            refund_id = f"refund:{self.region}:{event.payer_id}:{event.payment_id}"
            f = Refund(refund_id, event.payer_id, cause, event.payment_id, None, refund, 0)
            self._refunds[f.refund_id] = f
            self._changed_refunds[f.refund_id] = None
            self._out.refund_owed(f)
        self._out.payer_movement(account, "received", event.payment_id, event.amount_idr, applied)

    # ------------------------------------------------------------ refunds

    def _settle(self, event: RefundSettled) -> bool:
        """Record a refund transfer on its refund, or refuse it with a reason; True when refused
        (remember its event id: a refused settlement has no record of its own)."""
        f = self._refunds.get(event.refund_id)
        if f is not None and event.event_id in f.settled_event_ids:
            return False  # a replay of a settlement applied already
        if f is None:
            self._out.refund_rejected(
                event.event_id, event.refund_id, event.amount_idr, Reason.REFUND_UNKNOWN,
                f"no refund {event.refund_id} is owed in {self.region}; "
                "check the id on the refund.owed event",
            )
            return True
        remaining = f.amount_idr - f.refunded_idr
        if event.amount_idr > remaining:
            self._out.refund_rejected(
                event.event_id, f.refund_id, event.amount_idr, Reason.REFUND_OVER_OWED,
                f"only {remaining} is still owed on {f.refund_id}; report the transfer's actual amount",
            )
            return True
        f.refunded_idr += event.amount_idr
        f.settled_event_ids = (*f.settled_event_ids, event.event_id)
        self._changed_refunds[f.refund_id] = None
        account = self._payer(f.payer_id)
        account.refunded_idr += event.amount_idr
        self._out.refund_closed(event.event_id, f, event.amount_idr)
        self._out.payer_movement(account, "refunded", event.event_id, event.amount_idr, 0)
        return False

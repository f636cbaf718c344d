"""Seats: who takes a pledge's seat, and what committing, starting, cancelling and freeing one does.

A seat is committed (``coverage.committed``: the payer's registration request),
then started when BPJS confirms it (``coverage.activated``) or at once for a
renewal (``coverage.renewed``: BPJS membership continues), or cancelled
(``coverage.cancelled``). A pledge's free seats are bounded by its money
(``Pledge.free_seats``): a seat freed by a cancellation or a lapse goes at once to
the best waiting worker the pledge admits, and an exhausted pledge whose seat
nobody took reopens (``pledge.reopened``).
"""

from __future__ import annotations

from bisect import insort

from models.events import FundingKind
from models.matcher.billing import Accounts
from models.matcher.emit import RenewalRule
from models.matcher.entities import Pledge, Term, Worker
from models.priority import Priority, explain

__all__ = ["Seats"]


class Seats(Accounts):
    """Seat transitions over a region's state (``RegionMatcher`` adds the inputs and the clock)."""

    def _priority(self, w: Worker) -> Priority:
        return explain(w.parts, w.submitted_s, self._now_s, self._weights)

    def _fill(self, p: Pledge) -> None:
        """Give ``p``'s free seats to the best waiting workers it admits."""
        for entry in self._pool.take(p, p.free_seats()):
            w = self._workers[entry[3]]
            old = self._expiring.pop(w.worker, None)
            if old is None:
                self._commit(w, p, was_waiting=True)
            else:  # an expiring worker who won the seat by priority (``renew_before_new`` off)
                self._out.coverage_expired(w, old, "renewed")
                self._renew(w, old, p, "by_priority")

    def _best_pledge(self, w: Worker) -> Pledge | None:
        decile = w.welfare_decile or 0
        for _, p in self._open:
            if p.admits(w.district, w.occupation, w.sex, decile):
                return p
        return None

    def _seat_taken(self, p: Pledge) -> None:
        self._changed_pledges[p.key] = None
        if p.status == "open" and not p.free_seats():
            p.status = "exhausted"
            self._open = [op for op in self._open if op[1] is not p]
            self._out.pledge_exhausted(p)

    def _seat_freed(self, p: Pledge, t: Term, released: int) -> None:
        """A cancelled or lapsed term gave its seat and ``released`` back: refill it, or reopen the pledge.

        An expired pledge fills no seat: the released money is returned at once.
        """
        p.seats_filled -= 1
        self._changed_pledges[p.key] = None
        if p.status == "expired":
            returned = p.ledger.return_remainder()
            if returned:
                self._movement(p, FundingKind.RETURNED, returned, t.coverage_id, t.coverage_id)
            return
        if p.status == "scheduled":
            return
        self._refill(p)

    def _refill(self, p: Pledge) -> None:
        """Money came back to an open or exhausted pledge: fill its free seats, or reopen it."""
        self._fill(p)
        if p.status == "exhausted" and p.free_seats():
            p.status = "open"
            p.reopened += 1
            insort(self._open, (p.order(), p), key=lambda op: op[0])
            self._out.pledge_reopened(p)

    # ------------------------------------------------------------ terms

    def _enqueue(self, w: Worker) -> None:
        self._pool.push(w.entry(), w.bucket())

    def _commit(self, w: Worker, p: Pledge, *, was_waiting: bool, months: int | None = None) -> None:
        """A seat for ``w`` on ``p``: money committed, the registration request out; ``months``: a
        seat's unused months handed on (``models.matcher.exits``), else the pledge's."""
        assert self._closed is not None
        self._seq += 1
        w.terms += 1
        w.registration_rejected = False
        t = w.coverage = Term.committed(
            p, w.worker, w.occupation, w.terms, self._seq, self._closed + 1,
            self.policy.registration_deadline_months, was_waiting=was_waiting, months=months,
        )
        cost = t.months * t.monthly_premium_idr  # p.seat_cost_idr unless ``months`` is given
        self._committed[t.coverage_id] = w
        self._changed_workers[w.worker] = None
        p.seats_filled += 1
        p.ledger.commit(cost)
        p.bound_until_close = max(p.bound_until_close, self._closes + t.months)  # if confirmed this month
        self._out.coverage_committed(w, t, self._priority(w))
        self._movement(p, FundingKind.COMMITTED, cost, t.coverage_id, t.coverage_id)
        self._seat_taken(p)

    def _renew(self, w: Worker, old: Term, p: Pledge, rule: RenewalRule) -> None:
        """A renewal on ``p``: active at once in the current month, the same BPJS membership."""
        self._seq += 1
        w.terms += 1
        t = w.coverage = Term.committed(
            p, w.worker, w.occupation, w.terms, self._seq, self._current(),
            self.policy.registration_deadline_months, was_waiting=False,
        )
        t.membership_number, t.start_date = old.membership_number, old.start_date
        p.seats_filled += 1
        p.ledger.commit(p.seat_cost_idr)
        self._movement(p, FundingKind.COMMITTED, p.seat_cost_idr, t.coverage_id, t.coverage_id)
        self._start(w, t, p, self._current(), old, rule)
        self._seat_taken(p)

    def _membership(self, w: Worker, start: int) -> int:
        """Where unbroken membership began for a term starting in ``start`` (the lapse rule)."""
        if (
            w.last_end_period is not None
            and w.membership_since is not None
            and start - w.last_end_period - 1 < self.policy.lapse_after_unpaid_months
        ):
            return w.membership_since
        return start

    def _start(self, w: Worker, t: Term, p: Pledge, start: int, previous: Term | None,
               rule: RenewalRule | None = None) -> None:
        """Cover starts in month ``start``: the term is active and billed from that month's close."""
        self._seq += 1
        t.seq = self._seq
        t.state = "active"
        t.start_period = start
        t.membership_since = w.membership_since = self._membership(w, start)
        self._active[w.worker] = w
        self._changed_workers[w.worker] = None
        p.bound_until_close = max(p.bound_until_close, self._closes + t.months)
        self._changed_pledges[p.key] = None
        self._out.coverage_started(w, t, self._priority(w), previous, rule)

    def _current(self) -> int:
        assert self._closed is not None
        return self._closed + 1

    def _was_term(self, coverage_id: str) -> bool:
        """Whether ``coverage_id`` names a term this region had (ended, cancelled or lapsed)."""
        parts = coverage_id.split(":")
        if len(parts) != 4 or not parts[3].isdigit():
            return False
        w = self._workers.get(parts[2])
        return w is not None and 0 < int(parts[3]) <= w.terms and coverage_id.startswith(
            f"{parts[0]}:{parts[1]}:") and f"{parts[0]}:{parts[1]}" in self._pledges

    def _cancel(self, w: Worker, t: Term, p: Pledge, reason: str, message: str) -> None:
        """A committed seat never became cover: release its money."""
        w.coverage = None
        t.state = "ended"
        self._changed_workers[w.worker] = None
        released = t.months * t.monthly_premium_idr
        p.ledger.release(released)
        self._out.coverage_cancelled(w, t, reason, message, released)
        self._movement(p, FundingKind.RELEASED, released, t.coverage_id, t.coverage_id)


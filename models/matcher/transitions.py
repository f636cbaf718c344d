"""``RegionMatcher``: the transitions of one region's state, one input at a time.

The rules it implements, and the order of a month close, are the package's
docstring (``models.matcher``). The state and its records are ``state``;
bills, payments and refunds ``billing``; entities ``entities``; the waiting
list ``waiting_list``; how outputs are built and named ``emit``.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Callable, Iterator
from itertools import chain
from typing import NamedTuple

from models.eligibility import Rejection, check_application, check_pledge
from models.errors import Reason, RegionMismatchError
from models.events import (
    ApplicationSubmitted,
    FundingKind,
    InputEvent,
    LifeEventKind,
    LifeEventReported,
    MonthTick,
    OutputEvent,
    PaymentReported,
    PledgeSubmitted,
    RefundSettled,
    RegistrationConfirmed,
    RegistrationRejected,
    pledge_key,
    region_of,
)
from models.matcher.entities import Pledge, Term, Worker
from models.matcher.exits import Exits
from models.matcher.state import payment_key
from models.nik import pseudonym
from models.periods import period_index, period_name, period_of
from models.priority import seconds_since_epoch

__all__ = ["RegionMatcher", "Step"]

_NIK_UNPARSED = frozenset({
    Reason.NIK_INVALID_LENGTH, Reason.NIK_INVALID_FORMAT, Reason.NIK_UNKNOWN_REGION,
    Reason.NIK_INVALID_BIRTH_DATE,
})
"""Rejections before the NIK could be read: no pseudonym to name the applicant by."""


def _may_apply_again(w: Worker, *, recent: bool) -> bool:
    """A fresh application for a known NIK: after BPJS rejected the registration, or after the worker
    left (moved out, employer-covered, left the programme) once their last term is over, by an
    application made within the seen markers' window (``recent``): a redelivered older one, first
    refused as a duplicate, must not bring them back months later."""
    if w.registration_rejected:
        return True
    return recent and w.exited is not None and w.exited != LifeEventKind.DECEASED and w.coverage is None


class Step(NamedTuple):
    """What one ``handle`` call did: events to send and records to upsert, in that order of importance."""

    outputs: list[OutputEvent]
    workers: tuple[str, ...] = ()
    """Pseudonyms whose ``WorkerRecord`` changed."""
    pledges: tuple[str, ...] = ()
    """Pledge keys (``pledge_key``) whose ``PledgeRecord`` changed."""
    seen: tuple[tuple[str, int], ...] = ()
    """Markers to keep (rejected inputs, registration answers, settlements): (event id, closes when
    handled)."""
    clock: bool = False
    """Whether the ``ClockRecord`` changed."""
    terms: tuple[str, ...] = ()
    """Coverage ids of ended terms whose ``TermRecord`` changed (None from ``term_record``: drop it)."""
    bills: tuple[str, ...] = ()
    payments: tuple[str, ...] = ()
    refunds: tuple[str, ...] = ()
    payers: tuple[str, ...] = ()
    forgotten: tuple[str, ...] = ()
    """Markers a close dropped: past ``CityPolicy.replay_window_closes`` (drop their records)."""


class RegionMatcher(Exits):
    """Matching, registration, billing, funding and the clock for one region; pure and deterministic."""

    # ------------------------------------------------------------ public

    def handle(
        self, event: InputEvent, *, spill: Callable[[list[OutputEvent]], None] | None = None,
        spill_at: int = 5_000,
    ) -> Step:
        """Apply one input event; returns the events it caused and the records it changed.

        With ``spill``, outputs are handed to it in order, ``spill_at`` at a time, as the step
        makes them, and ``Step.outputs`` holds only the rest: what a caller sends of a close
        that bills a million terms is then bounded by ``spill_at``, not by the region.
        """
        self._out.spill, self._out.spill_at = spill, spill_at
        try:
            return self._handle(event)
        finally:
            self._out.spill = None

    def _handle(self, event: InputEvent) -> Step:
        region = region_of(event)
        if region != self.region:
            raise RegionMismatchError(
                "wrong_region",
                f"event for region {region} reached the matcher of {self.region}; check the Kafka key",
            )
        out = self._out
        out.begin(event.event_time)
        self._begin_step()
        self._now_s = seconds_since_epoch(event.event_time)
        clock_before = (self._closed, self._closes, self._seq)
        seen: tuple[tuple[str, int], ...] = ()
        forgotten: tuple[str, ...] = ()
        if isinstance(event, MonthTick):
            self._tick(event)
            forgotten = self._forget_seen()
        elif event.event_id in self._seen:
            pass
        else:
            if self._closed is None:
                self._closed = period_of(event.event_time) - 1
            out.in_month(period_name(self._closed + 1))
            if self._dispatch(event):
                self._seen[event.event_id] = self._closes
                seen = ((event.event_id, self._closes),)
        return Step(
            outputs=out.events,
            workers=tuple(self._changed_workers),
            pledges=tuple(self._changed_pledges),
            seen=seen,
            forgotten=forgotten,
            clock=(self._closed, self._closes, self._seq) != clock_before,
            terms=tuple(self._changed_terms),
            bills=tuple(self._changed_bills),
            payments=tuple(self._changed_payments),
            refunds=tuple(self._changed_refunds),
            payers=tuple(self._changed_payers),
        )

    def _forget_seen(self) -> tuple[str, ...]:
        """Drop markers older than the replay window; they are in age order, so from the front."""
        oldest = self._closes - self.policy.replay_window_closes  # handled then: the window has passed
        gone: list[str] = []
        for event_id, closes in self._seen.items():
            if closes > oldest:
                break
            gone.append(event_id)
        for event_id in gone:
            del self._seen[event_id]
        return tuple(sorted(gone))  # named alike however the markers were restored

    def _dispatch(self, event: InputEvent) -> bool:
        """Apply a non-tick input; True when its event id must be remembered as handled."""
        if isinstance(event, ApplicationSubmitted):
            return self._apply(event)
        if isinstance(event, PledgeSubmitted):
            return self._pledge(event)
        if isinstance(event, PaymentReported):
            replay = self._payments.get(payment_key(event.payer_id, event.payment_id))
            if replay is not None and replay.event_id == event.event_id:
                return False
            return self._reconcile(event)
        if isinstance(event, RefundSettled):
            return self._settle(event)
        if isinstance(event, LifeEventReported):
            return self._life_event(event)
        if isinstance(event, RegistrationConfirmed | RegistrationRejected):
            self._registration(event)
        return True

    # ------------------------------------------------------------ applications

    def _apply(self, app: ApplicationSubmitted) -> bool:
        """Handle an application; True when it was rejected."""
        verdict = check_application(app, self.policy)
        unparsed = isinstance(verdict, Rejection) and verdict.reason in _NIK_UNPARSED
        worker = None if unparsed else pseudonym(app.nik, self._key)
        existing = self._workers.get(worker) if worker is not None else None
        if existing is not None and (existing.application_event_id == app.event_id
                                     or app.event_id in existing.earlier_application_event_ids):
            return False  # replay of an application that created this worker
        if isinstance(verdict, Rejection):
            self._out.application_rejected(app, worker, verdict.reason, verdict.message)
            return True
        recent = period_of(app.event_time) + self.policy.replay_window_closes > self._current()
        if existing is not None and not _may_apply_again(existing, recent=recent):
            self._out.application_rejected(
                app,
                worker,
                Reason.DUPLICATE_WORKER,
                f"this NIK already applied in {self.region} and is {self.status(existing.worker)}; "
                "nothing changed",
            )
            return True
        assert worker is not None
        carried = app.carried
        if carried is not None and carried.covered_through is not None and (
                period_index(carried.covered_through) >= self._current()):
            self._out.application_rejected(
                app, worker, Reason.COVERED_ELSEWHERE,
                f"this person is covered in {carried.from_region} through {carried.covered_through}; "
                f"apply again in {self.region} from the month after",
            )
            return True
        w = Worker.applied(app, worker, self._weights)
        if existing is not None:  # a fresh attempt after BPJS rejected the registration, or after leaving
            w.terms, w.last_end_period, w.membership_since, w.life_event_ids = (
                existing.terms, existing.last_end_period, existing.membership_since, existing.life_event_ids)
            w.earlier_application_event_ids = (
                *existing.earlier_application_event_ids, existing.application_event_id)
        if carried is not None:  # a move (models.persons): the clocks of the region they left, the latest
            since, through = carried.membership_since, carried.covered_through
            w.membership_since = None if since is None else period_index(since)
            w.last_end_period = None if through is None else period_index(through)
        self._workers[worker] = w
        self._changed_workers[worker] = None
        pledge = self._best_pledge(w)
        if pledge is not None:
            self._commit(w, pledge, was_waiting=False)
            return False
        self._enqueue(w)
        self._out.waiting(w, self._priority(w))
        return False

    # ------------------------------------------------------------ pledges

    def _pledge(self, event: PledgeSubmitted) -> bool:
        """Handle a pledge; True when it was rejected."""
        key = pledge_key(event.sponsor_id, event.pledge_id)
        existing = self._pledges.get(key)
        if existing is not None and existing.event_id == event.event_id:
            return False
        assert self._closed is not None
        current = self._closed + 1
        terms = (
            Rejection(
                Reason.DUPLICATE_PLEDGE,
                f"your pledge {event.pledge_id} was already accepted; use a new pledge_id",
            )
            if existing is not None
            else check_pledge(event, self.policy, self.tariff, current)
        )
        if isinstance(terms, Rejection):
            self._out.pledge_rejected(event, terms.reason, terms.message)
            return True
        self._seq += 1
        p = Pledge.accepted(event, terms, self._seq, current)
        self._pledges[key] = p
        self._changed_pledges[key] = None
        self._out.pledge_accepted(p, terms)
        self._movement(p, FundingKind.PLEDGED, event.amount_idr, key)
        if p.status == "open":
            insort(self._open, (p.order(), p), key=lambda op: op[0])
            self._fill(p)
        else:
            self._scheduled.append(p)
        return False

    def _registration(self, event: RegistrationConfirmed | RegistrationRejected) -> None:
        """BPJS's answer to a registration request."""
        answer = "confirmed" if isinstance(event, RegistrationConfirmed) else "rejected"
        w = self._committed.get(event.coverage_id)
        if w is not None and w.coverage is not None and w.coverage.payer_id != event.payer_id:
            self._out.registration_unmatched(  # answered like an unknown seat: nothing to learn from it
                event.event_id, event.coverage_id, answer, Reason.REGISTRATION_UNKNOWN,
                f"no seat {event.coverage_id} of payer {event.payer_id} in {self.region}; "
                "answer coverage.committed requests of your own payer only",
            )
            return
        if w is None:
            known = self.term(event.coverage_id) is not None or self._was_term(event.coverage_id)
            self._out.registration_unmatched(
                event.event_id, event.coverage_id, answer,
                Reason.REGISTRATION_NOT_PENDING if known else Reason.REGISTRATION_UNKNOWN,
                f"seat {event.coverage_id} is no longer awaiting registration; nothing changed" if known
                else f"no seat {event.coverage_id} in {self.region}; answer coverage.committed requests only",
            )
            return
        t = w.coverage
        assert t is not None
        del self._committed[t.coverage_id]
        p = self._pledges[t.pledge_key]
        if isinstance(event, RegistrationConfirmed):
            t.membership_number = event.membership_number
            t.start_date = event.start_date
            self._start(w, t, p, self._current(), None)
            return
        w.registration_rejected = True
        self._cancel(w, t, p, Reason.REGISTRATION_REJECTED, f"BPJS rejected the registration: {event.reason}")
        self._seat_freed(p, t, t.months * t.monthly_premium_idr)

    # ------------------------------------------------------------ the clock

    def _tick(self, tick: MonthTick) -> None:
        target = period_index(tick.period)
        if self._closed is None:
            self._closed = target - 1
        while self._closed < target:
            self._close(self._closed + 1)

    def _close(self, month: int) -> None:
        """Close one month; the package docstring gives the order of steps."""
        self._closed = month
        self._closes += 1
        self._out.in_month(period_name(month))
        displaced = self._deadlines(month)
        window = self.policy.lapse_after_unpaid_months
        owing = sorted(self._ended.values(), key=lambda t: t.seq)
        late = (t for t in chain(self._active_terms(), owing) if t.unpaid_periods
                and t.unpaid_periods[-1] == month - 1)
        self._fall_due(month, late)
        lapsing = [t for t in self._active_terms()  # a term a life event ended does not lapse: it ends
                   if t.unpaid_periods and month - t.unpaid_periods[0] > window
                   and self._workers[t.worker].exited is None]
        for t in owing:
            old = [q for q in t.unpaid_periods if month - q > window]
            if old:
                self._write_off(t, old, month)
        for t in lapsing:
            displaced.append(self._lapse(t, month))
        ending, regained = self._bill(month, self._active_terms())
        expiring = [self._workers[t.worker] for t in ending]
        for p in list(self._pledges.values()):
            if p.status != "expired" and p.until <= month:
                self._expire(p)
        opened = [p for p in self._scheduled if p.opens_period <= month + 1]
        if opened:
            self._scheduled = [p for p in self._scheduled if p.opens_period > month + 1]
            for p in opened:
                p.status = "open"
                self._changed_pledges[p.key] = None
                insort(self._open, (p.order(), p), key=lambda op: op[0])
        expiring.sort(key=Worker.entry)
        if self.policy.renew_before_new:
            for w in expiring:
                self._end_term(w)
            for p in opened:
                if p.status == "open":
                    self._fill(p)
        else:
            self._compete(expiring, opened)
        displaced.sort(key=Worker.entry)
        for w in displaced:
            self._seat_again(w)
        for p in regained:  # a repricing gave an exhausted pledge a full seat: last, after renewals
            if p.status == "exhausted":
                self._refill(p)

    def _active_terms(self) -> Iterator[Term]:
        """Active terms in start order, walked (a close never copies them into a list)."""
        return (w.coverage for w in self._active.values() if w.coverage is not None)

    def _deadlines(self, month: int) -> list[Worker]:
        """Step 1 of a close: seats unconfirmed at their registration deadline are cancelled and refilled;
        returns their workers, who wait again (after the refill)."""
        due: list[Worker] = []
        for w in self._committed.values():
            assert w.coverage is not None
            if w.coverage.registration_due_period > month:
                break  # commit order is deadline order
            due.append(w)
        for w in due:
            t = w.coverage
            assert t is not None
            del self._committed[t.coverage_id]
            p = self._pledges[t.pledge_key]
            self._cancel(w, t, p, Reason.REGISTRATION_EXPIRED,
                         f"BPJS did not confirm the registration by the close of {period_name(month)}; "
                         "the worker waits again with their original priority")
            self._seat_freed(p, t, t.months * t.monthly_premium_idr)
        return due

    def _lapse(self, t: Term, month: int) -> Worker:
        """A term whose oldest unpaid line left the arrears window lapses; returns its worker."""
        w = self._workers[t.worker]
        p = self._pledges[t.pledge_key]
        assert t.start_period is not None
        unpaid = list(t.unpaid_periods)
        paid = [q for q in range(t.start_period, t.start_period + t.months_billed) if q not in unpaid]
        written = self._write_off(t, unpaid, month)
        released = (t.months - t.months_billed) * t.monthly_premium_idr
        del self._active[w.worker]
        w.coverage = None
        t.state = "ended"
        w.membership_since = w.last_end_period = None
        self._changed_workers[w.worker] = None
        if released:
            p.ledger.release(released)
        self._out.coverage_lapsed(w, t, len(unpaid), written, released, paid[-1] if paid else None)
        if released:
            self._movement(p, FundingKind.RELEASED, released, t.coverage_id, t.coverage_id)
        self._seat_freed(p, t, released)
        return w

    def _seat_again(self, w: Worker) -> None:
        """A worker whose seat was cancelled or lapsed: an open pledge that admits them, else waiting."""
        pledge = self._best_pledge(w)
        if pledge is None:
            self._enqueue(w)
        else:
            self._commit(w, pledge, was_waiting=True)

    def _end_term(self, w: Worker) -> None:
        """Renew an expiring worker on an open pledge (active at once, same membership), else waiting."""
        old = self._close_term(w)
        if old is None:
            return
        renewal = self._best_pledge(w)
        self._out.coverage_expired(w, old, "renewed" if renewal is not None else "waiting")
        if renewal is None:
            self._enqueue(w)
            return
        self._renew(w, old, renewal, "renew_before_new")

    def _close_term(self, w: Worker) -> Term | None:
        """End an expiring worker's term; the term when the worker may be renewed, else None (a life
        event took them out, or the renewal check refused them: ``coverage.expired`` says why)."""
        old = w.coverage
        assert old is not None and old.start_period is not None
        del self._active[w.worker]
        w.coverage = None
        old.state = "ended"
        w.last_end_period = old.end_period
        if old.unpaid_periods:
            self._ended[old.coverage_id] = old
            self._changed_terms[old.coverage_id] = None
        if w.exited is not None:
            return None  # a life event ended it: coverage.ended said so when it was reported
        refused = self._renewal_refused(w)
        if refused is not None:
            w.exited = refused.value
            self._changed_workers[w.worker] = None
            self._out.coverage_expired(w, old, "ended", refused)
            return None
        return old

    def _renewal_refused(self, w: Worker) -> Reason | None:
        """The renewal check: still of age for a term starting this month (the birth month decides:
        the age reached by the end of the first month; older records without it renew as before),
        and still in the city's area (a policy that no longer serves the worker's district: a city
        narrowing its programme stops renewals there, never a running term). A move, a formal job or
        cover in another regency are life events and moves: such a worker has left already
        (``models.matcher.exits``, ``models.persons``)."""
        if w.birth_month is not None and (self._current() - w.birth_month) // 12 > self.policy.max_age:
            return Reason.AGE_ABOVE_MAXIMUM
        if not self.policy.serves(w.district):
            return Reason.OUTSIDE_SERVED_AREA
        return None

    def _compete(self, expiring: list[Worker], opened: list[Pledge]) -> None:
        """``renew_before_new`` off: expiring workers wait with their original priority, every open
        pledge fills from the list by priority, and one it takes is renewed (``Seats._fill``)."""
        for w in expiring:
            old = self._close_term(w)
            if old is not None:
                self._expiring[w.worker] = old
                self._enqueue(w)
        for _, p in list(self._open):
            if p.status == "open":
                self._fill(p)
        for worker, old in self._expiring.items():
            self._out.coverage_expired(self._workers[worker], old, "waiting")
        self._expiring.clear()

    def _expire(self, p: Pledge) -> None:
        released = p.free_seats() if p.status in ("open", "scheduled") else 0
        self._open = [op for op in self._open if op[1] is not p]
        self._scheduled = [s for s in self._scheduled if s is not p]
        p.status = "expired"
        self._changed_pledges[p.key] = None
        returned = p.ledger.return_remainder()
        self._out.pledge_expired(p, released, returned)
        if released:
            self._movement(p, FundingKind.RELEASED, released * p.seat_cost_idr, p.key)
        if returned:
            self._movement(p, FundingKind.RETURNED, returned, p.key)

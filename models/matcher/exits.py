"""Life events: a worker leaves the waiting list, a term ends early, a claim is counted.

The rules (``life_event.reported``; the README's "Life events" says them
for a city):

- The worker is named by pseudonym or application id; one the region never
  accepted is rejected ``worker_unknown``, one who already left
  ``worker_exited``, a month after the region's current one
  ``life_event_period_ahead``, a report made ``replay_window_closes`` (6)
  or more months before the region's current month ``life_event_stale``
  (so a redelivered report first rejected is never applied later, past the
  seen markers' window). A refusal of a known worker (exited, period
  ahead) keeps the report's id on the worker, so no replay applies it
  later; the others are remembered as handled (seen marker).
- ``accident_claim`` ends nothing: it is recorded (``claim_counted``).
- Every other kind ends the worker's part for good (``Worker.exited``): a
  waiting worker leaves the list (``withdrawn``); a seat awaiting
  registration is given up (``withdrawn``, ``coverage.ended`` with no
  ``end_period``); a covered worker's term ends (``term_ended``). No
  renewal follows. A worker who moved out, found an employer or left may
  apply again later (a fresh attempt); a deceased worker may not.
- When a term ends: cover runs to the end of ``effective_period``, or to the
  last month already billed if later (billed months stay billed and
  payable: BPJS was owed them); never past the term's own end. If that month
  is the current one, the term is billed at its close like any other and then
  ends without renewal; if it is closed already, the term ends now. Either
  way ``coverage.ended`` is emitted at once, with the months kept and unused.
- The unused months' money is released (committed -> remainder) and the
  seat, by ``CityPolicy.refill_min_months`` (N, 3): with at least N months
  unused and a pledge still open or exhausted, the next waiting worker the
  pledge admits takes those months (``refilled``: a seat of N.. months,
  committed now, registered like any seat); otherwise, or if nobody waits,
  the money stays in the pledge's remainder (``remainder``: a full seat when
  enough gathers, else returned at the pledge's expiry), or is returned at
  once if the pledge has expired (``returned``). Bills are paid monthly in
  arrears, so no unused month was ever paid: nothing is owed back to the
  payer but the commitment.
- A term ended by a life event does not lapse: its unpaid lines are written
  off past the arrears window as any ended term's are.
- A replay of an applied life event, however late, does nothing: its id is
  kept on the worker (``Worker.life_event_ids``).
- The engine's own ``moved_out`` (a person applying in another region,
  ``models.persons``) is answered ``person.released`` whatever happened:
  ``released`` when the worker is no longer waiting or covered here (just
  withdrawn or ended, long gone, or never a worker here), with their
  benefit clocks (``membership_since``, the last month covered here);
  ``deceased`` for a worker who died; ``refused`` when the report was
  rejected and the worker stays (the move's month ahead of this region's,
  or the report stale).
"""

from __future__ import annotations

from models.errors import Reason
from models.events import EXIT_KINDS, FundingKind, LifeEventKind, LifeEventReported, SeatOutcome
from models.matcher.entities import Pledge, Term, Worker
from models.matcher.seats import Seats
from models.periods import period_index, period_name, period_of
from models.persons import is_move

__all__ = ["Exits"]


class Exits(Seats):
    """Life-event transitions over a region's state (``RegionMatcher`` dispatches to ``_life_event``)."""

    def _find(self, event: LifeEventReported) -> Worker | None:
        if event.worker is not None:
            return self._workers.get(event.worker)
        # by application id: a walk over the region's workers, O(n), for a rare input; a worker who
        # applied again since has another id, but keeps this report's id if it was applied
        return next((w for w in self._workers.values()
                     if w.application_id == event.application_id or event.event_id in w.life_event_ids), None)

    def _life_event(self, event: LifeEventReported) -> bool:
        """Apply a life event; True when it was rejected (remember its id: it left no record)."""
        w = self._find(event)
        if w is not None and event.event_id in w.life_event_ids:
            return False  # a replay of a life event applied already
        rejected = self._life_event_once(event)
        if is_move(event.event_id) and event.worker is not None:
            self._answer_move(event)
        return rejected

    def _refused_for_good(self, w: Worker, event: LifeEventReported) -> bool:
        """Keep a refused report's id on its worker, not in the seen markers' window: these refusals
        depend on the region's state (its month, the worker's exit), which a replay past the window
        would find changed (the month came, the worker applied again), and the stale guard reads
        the report's own time, which a region whose ticks lag behind does not bound. A replay finds
        the id and changes nothing, however late."""
        w.life_event_ids = (*w.life_event_ids, event.event_id)
        self._changed_workers[w.worker] = None
        return False

    def _answer_move(self, event: LifeEventReported) -> None:
        """``person.released`` for the engine's move request (the module docstring)."""
        w = self._find(event)
        if w is None:
            self._out.person_released(event, "released", None, None)
        elif w.exited == LifeEventKind.DECEASED:
            self._out.person_released(event, "deceased", None, None)
        elif w.exited is None:
            self._out.person_released(event, "refused", None, None)
        else:
            t = w.coverage  # still active: its last month is billed at the current month's close
            through = t.end_period if t is not None and t.state == "active" else w.last_end_period
            self._out.person_released(event, "released", w.membership_since, through)

    def _life_event_once(self, event: LifeEventReported) -> bool:
        w = self._find(event)
        out = self._out
        named = event.worker or f"application {event.application_id}"
        if w is not None and event.event_id in w.life_event_ids:
            return False  # a replay of a life event applied already
        current = self._current()
        if period_of(event.event_time) + self.policy.replay_window_closes <= current:
            # Older than the seen markers' window: a redelivered report whose first answer was a
            # rejection must not be applied now that the region changed (the worker applied since,
            # the month came): it is refused again, under the same id.
            out.life_event_rejected(event, event.worker, Reason.LIFE_EVENT_STALE,
                                    f"this report was made in {period_name(period_of(event.event_time))}, "
                                    f"{self.policy.replay_window_closes} or more months before "
                                    f"{self.region}'s current month; report it again")
            return True
        if w is None:
            out.life_event_rejected(event, event.worker, Reason.WORKER_UNKNOWN,
                                    f"{named} is not a worker of {self.region}; check the id on the "
                                    "worker's application")
            return True
        if w.exited is not None:
            out.life_event_rejected(event, w.worker, Reason.WORKER_EXITED,
                                    f"this worker already left the programme ({w.exited}); nothing changed")
            return self._refused_for_good(w, event)
        if period_index(event.effective_period) > current:
            out.life_event_rejected(event, w.worker, Reason.LIFE_EVENT_PERIOD_AHEAD,
                                    f"effective_period {event.effective_period} is after {self.region}'s "
                                    f"current month {period_name(current)}; report it once it happened")
            return self._refused_for_good(w, event)
        status = self.status(w.worker)
        assert status is not None and status != "exited"
        w.life_event_ids = (*w.life_event_ids, event.event_id)
        self._changed_workers[w.worker] = None
        if event.kind not in EXIT_KINDS:
            out.life_event_recorded(w, event, status, "claim_counted")
            return False
        w.exited = event.kind.value
        t = w.coverage
        if t is None:
            if status == "waiting":
                self._pool.remove(w.entry(), w.bucket())
            out.life_event_recorded(w, event, status, "withdrawn")
        elif t.state == "committed":
            out.life_event_recorded(w, event, status, "withdrawn")
            del self._committed[t.coverage_id]
            w.coverage = None
            t.state = "ended"
            self._hand_on(w, t, event.kind, None, 0, t.months)
        else:
            out.life_event_recorded(w, event, status, "term_ended")
            self._end_cover(w, t, event.kind, period_index(event.effective_period), current)
        return False

    def _end_cover(self, w: Worker, t: Term, kind: LifeEventKind, effective: int, current: int) -> None:
        """An active term ends: at once if its last month is closed, else at the current month's close."""
        assert t.start_period is not None
        billed_through = t.start_period + t.months_billed - 1
        last = min(max(effective, billed_through), t.end_period)
        covered = max(last - t.start_period + 1, t.months_billed)
        unused = t.months - covered
        if last < current:  # nothing more to bill
            del self._active[w.worker]
            w.coverage = None
            t.state = "ended"
            if covered:
                w.last_end_period = last
            if t.unpaid_periods:
                self._ended[t.coverage_id] = t
                self._changed_terms[t.coverage_id] = None
        else:  # covered through the current month: billed at its close, then ended (``_end_term``)
            t.months = covered
        self._hand_on(w, t, kind, last if covered else None, covered, unused)

    def _hand_on(
        self, w: Worker, t: Term, kind: LifeEventKind, end_period: int | None, covered: int, unused: int
    ) -> None:
        """Release the unused months and give them on, by the refill rule (the module docstring)."""
        p = self._pledges[t.pledge_key]
        released = unused * t.monthly_premium_idr
        if released:
            p.ledger.release(released)
        seat: SeatOutcome
        heir: Worker | None = None
        if not unused:
            seat = "used"
        elif p.status == "expired":
            seat = "returned"
        else:
            heir = self._heir(p, unused)
            seat = "refilled" if heir is not None else "remainder"
        returned = p.ledger.available_idr if seat == "returned" else 0
        refill = None if heir is None else f"{p.key}:{heir.worker}:{heir.terms + 1}"
        self._out.coverage_ended(w, t, kind, end_period, covered, unused, released, seat, refill, returned)
        if released:
            self._movement(p, FundingKind.RELEASED, released, f"{t.coverage_id}:ended", t.coverage_id)
        if heir is not None:
            p.seats_filled -= 1  # the seat passes on: _commit takes it again
            self._commit(heir, p, was_waiting=True, months=unused)
        elif unused:
            self._seat_freed(p, t, released)

    def _heir(self, p: Pledge, unused: int) -> Worker | None:
        """The waiting worker who takes a seat's ``unused`` months, or None (too few, or nobody)."""
        if unused < self.policy.refill_min_months or p.status not in ("open", "exhausted"):
            return None
        taken = self._pool.take(p, 1)
        return self._workers[taken[0][3]] if taken else None

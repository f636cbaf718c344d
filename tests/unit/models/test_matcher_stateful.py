"""Random sequences of applications, pledges and ticks, with the invariants checked after every step.

Like faust's assignor tests, but for money: whatever arrives, in whatever
order, with duplicates and replays, no pledge overspends, no worker is lost
or covered twice at once, priority is respected, and a restored matcher is
indistinguishable from one that never stopped. Two sponsors draw pledge ids
from one small pool (each sponsor's pledges are its own), and the city's
pledge bounds are tight enough that some pledges cross them and are refused.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from models.eligibility import CityPolicy
from models.errors import Reason
from models.events import (
    ApplicationRejected,
    ApplicationSubmitted,
    ApplicationWaiting,
    CoverageActivated,
    CoverageExpired,
    CoverageRenewed,
    FundingMovement,
    PledgeAccepted,
    PledgeRejected,
    PledgeSubmitted,
    Targeting,
    pledge_key,
)
from models.matcher import RegionMatcher
from models.nik import Sex, pseudonym
from models.occupations import Occupation
from models.periods import first_day, last_day, period_index, period_name
from models.records import PledgeRecord, WorkerRecord
from models.tariff import Package
from tests.unit.factories import KEY, REGION, T0, application, pledge, tick

DISTRICTS = ("74.71.01", "74.71.02")
OCCUPATIONS = (Occupation.FISHER, Occupation.TAILOR, Occupation.OJEK_DRIVER)
START = period_index("2025-01")
SPONSORS = ("dealer-kendari", "bank-sultra")
POLICY = CityPolicy(max_pledge_idr=1_500_000, max_pledge_seats=3)
"""Kendari's rules with bounds the drawn pledges cross: up to 4 seats of 12 months with JHT
(Rp 1,766,400 and more) and ``max_workers`` up to 4."""


def admits(p: PledgeRecord, w: WorkerRecord) -> bool:
    """Targeting, restated independently of the matcher."""
    if p.districts is not None and w.district not in p.districts:
        return False
    if p.occupations is not None and w.occupation not in p.occupations:
        return False
    if p.sexes is not None and w.sex not in p.sexes:
        return False
    if p.max_welfare_decile is not None:
        return w.welfare_decile is not None and w.welfare_decile <= p.max_welfare_decile
    return True


def order(w: WorkerRecord) -> tuple[int, int, str, str]:
    """Smaller goes first."""
    return (-w.key, w.submitted_s, w.application_id, w.worker)


class MatcherMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.m = RegionMatcher(REGION, KEY, POLICY)
        self.shadow = RegionMatcher(REGION, KEY, POLICY)  # never restored
        self.log: list[Any] = []
        self.outputs: list[Any] = []
        self.handled: list[Any] = []
        self.month = START  # next month to close
        self.n = 0
        self.accepted_workers: set[str] = set()
        self.terms: dict[str, list[tuple[int, int]]] = {}
        self.last_taken: tuple[list[str], PledgeSubmitted] | None = None

    # ------------------------------------------------------------ driving

    def feed(self, event: Any) -> list[Any]:
        replay = any(e.event_id == event.event_id for e in self.handled)
        out = self.m.handle(event).outputs
        assert self.shadow.handle(event).outputs == out, "restored matcher diverged"
        if replay:
            assert out == [], f"replay of {event.event_id} produced {out}"
        self.log.append(event)
        self.handled.append(event)
        self.outputs += out
        self.check_step(event, out, replay)
        return out

    def check_step(self, event: Any, out: list[Any], replay: bool) -> None:
        for o in out:
            if isinstance(o, FundingMovement):
                b = o.balances
                assert b.committed_idr + b.remainder_idr == b.pledged_idr
                assert b.paid_idr <= b.committed_idr <= b.pledged_idr
                assert b.returned_idr <= b.remainder_idr
            if isinstance(o, CoverageActivated | CoverageRenewed):
                start, end = period_index(o.start_period), period_index(o.end_period)
                for s, e in self.terms.get(o.worker, []):
                    assert end < s or start > e, f"{o.worker} holds overlapping terms"
                self.terms.setdefault(o.worker, []).append((start, end))
        if isinstance(event, ApplicationSubmitted) and not replay:
            worker = pseudonym(event.nik, KEY)
            fates = [
                o
                for o in out
                if isinstance(o, ApplicationWaiting | ApplicationRejected)
                or (isinstance(o, CoverageActivated) and o.worker == worker and not o.was_waiting)
            ]
            assert len(fates) == 1, f"application {event.event_id} had fates {fates}"
            if isinstance(fates[0], ApplicationRejected):
                assert fates[0].reason
            else:
                self.accepted_workers.add(worker)
        if isinstance(event, PledgeSubmitted) and not replay:
            taken = [o.worker for o in out if isinstance(o, CoverageActivated) and o.was_waiting]
            self.last_taken = (taken, event)
            self.check_bounds(event, out)

    def check_bounds(self, event: PledgeSubmitted, out: list[Any]) -> None:
        """A pledge over a bound is never accepted; the amount and the cap are the first rules.

        A duplicate is only ever a sponsor's own accepted pledge id, never another sponsor's.
        """
        over_amount = event.amount_idr > POLICY.max_pledge_idr
        over_cap = event.max_workers is not None and event.max_workers > POLICY.max_pledge_seats
        for o in out:
            if isinstance(o, PledgeAccepted):
                assert not (over_amount or over_cap), f"{o.event_id} accepted over the bounds"
                assert o.seats <= POLICY.max_pledge_seats and o.amount_idr <= POLICY.max_pledge_idr
            if isinstance(o, PledgeRejected) and o.reason == Reason.DUPLICATE_PLEDGE:
                own = [r for r in self.m.snapshot().pledges if (r.sponsor_id, r.pledge_id) == (
                    event.sponsor_id, event.pledge_id)]
                assert own, f"{event.sponsor_id} told {event.pledge_id} is a duplicate of another's"
            elif isinstance(o, PledgeRejected):
                if over_amount:
                    assert o.reason == Reason.PLEDGE_AMOUNT_ABOVE_LIMIT
                elif over_cap:
                    assert o.reason == Reason.PLEDGE_MAX_WORKERS_ABOVE_LIMIT

    def app_event(
        self,
        serial: int,
        decile: int | None,
        occupation: Occupation,
        sex: Sex,
        district: str,
        breadwinner: bool,
        dependants: int,
        minutes: int,
    ) -> ApplicationSubmitted:
        self.n += 1
        return application(
            event_id=f"app-evt-{self.n}",
            application_id=f"app-{self.n}",
            serial=serial,
            welfare_decile=decile,
            occupation=occupation,
            sex=sex,
            district=district,
            breadwinner=breadwinner,
            dependants=dependants,
            submitted_at=T0 + timedelta(minutes=minutes),
            event_time=T0 + timedelta(minutes=minutes),
        )

    # ------------------------------------------------------------ rules

    @rule(
        serial=st.integers(0, 12),
        decile=st.none() | st.integers(1, 7),
        occupation=st.sampled_from(OCCUPATIONS),
        sex=st.sampled_from(Sex),
        district=st.sampled_from(DISTRICTS),
        breadwinner=st.booleans(),
        dependants=st.integers(0, 5),
        minutes=st.integers(0, 60 * 24 * 90),
    )
    def apply(
        self,
        serial: int,
        decile: int | None,
        occupation: Occupation,
        sex: Sex,
        district: str,
        breadwinner: bool,
        dependants: int,
        minutes: int,
    ) -> None:
        event = self.app_event(serial, decile, occupation, sex, district, breadwinner, dependants, minutes)
        self.feed(event)

    @rule(
        sponsor=st.sampled_from(SPONSORS),
        seats=st.integers(0, 4),
        spare=st.integers(0, 16_799),
        months=st.sampled_from([1, 3, 6, 12, 2]),
        districts=st.none() | st.sampled_from([("74.71.01",), ("74.71.02",), DISTRICTS]),
        occupations=st.none()
        | st.sampled_from([(Occupation.FISHER,), (Occupation.TAILOR, Occupation.OJEK_DRIVER)]),
        sexes=st.none() | st.sampled_from([(Sex.FEMALE,), (Sex.MALE,)]),
        max_decile=st.none() | st.integers(1, 5),
        max_workers=st.none() | st.integers(1, 4),
        opens_in=st.integers(0, 2),
        lasts=st.integers(0, 6),
        package=st.booleans(),
    )
    def pledge(
        self,
        sponsor: str,
        seats: int,
        spare: int,
        months: int,
        districts: Any,
        occupations: Any,
        sexes: Any,
        max_decile: int | None,
        max_workers: int | None,
        opens_in: int,
        lasts: int,
        package: bool,
    ) -> None:
        self.n += 1
        premium = 36_800 if package else 16_800
        current = self.month
        event = pledge(
            event_id=f"pledge-evt-{self.n}",
            pledge_id=f"p{self.n % 17}",  # ids repeat: duplicates and resubmissions
            sponsor_id=sponsor,  # ... and the other sponsor's pledges with the same ids
            amount_idr=max(seats * premium * months + spare, 1),
            months=months,
            package=Package.JKK_JKM_JHT if package else Package.JKK_JKM,
            targeting=Targeting(
                districts=districts, occupations=occupations, sexes=sexes, max_welfare_decile=max_decile
            ),
            max_workers=max_workers,
            valid_from=first_day(current + opens_in),
            valid_until=last_day(current + opens_in + lasts),
            event_time=T0,
        )
        self.feed(event)

    @rule(step=st.integers(1, 2))
    def tick(self, step: int) -> None:
        self.month += step - 1
        self.feed(tick(period_name(self.month)))
        self.month += 1

    @precondition(lambda self: self.handled)
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        self.feed(data.draw(st.sampled_from(self.handled)))

    @rule(seed=st.integers(0, 2**32 - 1))
    def restart(self, seed: int) -> None:
        """The stream layer restarts: rebuild from records given in any order."""
        snap = self.m.snapshot()
        workers, pledges, seen = list(snap.workers), list(snap.pledges), list(snap.seen)
        shuffle = random.Random(seed).shuffle
        shuffle(workers)
        shuffle(pledges)
        shuffle(seen)
        self.m = RegionMatcher.restore(
            REGION, KEY, clock=snap.clock, workers=workers, pledges=pledges, seen=seen, policy=POLICY
        )
        assert self.m.snapshot() == snap

    # ------------------------------------------------------------ invariants

    @invariant()
    def money_is_never_overspent(self) -> None:
        for p in self.m.snapshot().pledges:
            assert p.seats_filled <= p.seats
            assert p.committed_idr == p.seats_filled * p.seat_cost_idr
            assert p.paid_idr <= p.committed_idr <= p.pledged_idr
            assert p.returned_idr <= p.pledged_idr - p.committed_idr
            assert p.seats <= POLICY.max_pledge_seats and p.pledged_idr <= POLICY.max_pledge_idr

    @invariant()
    def no_worker_is_lost(self) -> None:
        snap = self.m.snapshot()
        assert {w.worker for w in snap.workers} == self.accepted_workers
        assert len(self.m.waiting()) + len(self.m.covered()) == len(self.accepted_workers)

    @invariant()
    def an_open_pledge_with_free_seats_admits_no_waiting_worker(self) -> None:
        snap = self.m.snapshot()
        waiting = [w for w in snap.workers if w.coverage is None]
        for p in snap.pledges:
            if p.status == "open" and p.seats_filled < p.seats:
                assert not [w.worker for w in waiting if admits(p, w)], (
                    f"{p.pledge_id} left admitted workers waiting"
                )

    @invariant()
    def a_pledge_took_only_workers_outranking_those_it_left(self) -> None:
        if self.last_taken is None:
            return
        taken, event = self.last_taken
        self.last_taken = None
        if not taken:
            return
        snap = self.m.snapshot()
        records = {w.worker: w for w in snap.workers}
        key = pledge_key(event.sponsor_id, event.pledge_id)
        p = next(r for r in snap.pledges if pledge_key(r.sponsor_id, r.pledge_id) == key)
        worst_taken = max(order(records[w]) for w in taken)
        for w in snap.workers:
            if w.coverage is None and admits(p, w):
                assert order(w) > worst_taken, "a waiting worker outranks one the pledge took"

    def teardown(self) -> None:
        again = RegionMatcher(REGION, KEY, POLICY)
        replayed = [o for e in self.log for o in again.handle(e).outputs]
        assert replayed == self.outputs, "the same input gave different outputs"
        ids = [o.event_id for o in self.outputs]
        assert len(ids) == len(set(ids)), "an output id repeated"
        for worker, terms in self.terms.items():
            assert sorted(terms) == terms, worker
        for o in self.outputs:
            if isinstance(o, CoverageExpired):
                assert o.months_paid > 0


TestMatcherMachine = MatcherMachine.TestCase

"""Random sequences of every input, with the invariants checked after every step.

Like faust's assignor tests, but for money: whatever arrives, in whatever
order, with duplicates and replays, no pledge overspends, no worker is lost
or covered twice at once, priority is respected, and a restored matcher is
indistinguishable from one that never stopped. Two sponsors draw pledge ids
from one small pool (each sponsor's pledges are its own), and the city's
pledge bounds are tight enough that some pledges cross them and are refused.
BPJS answers registrations (confirmed, rejected, for no seat, or never: the
deadline), payers pay bills old and new (exact, short, over, to another
payer's bill or to none, the same transaction twice), and refunds are settled
(in part, in full, too much, unknown), and officers report life events (a
move, a job, a death, a claim; for workers waiting, registering or covered,
by pseudonym or application id, in past, current and future months): every
pledge's ledger and every payer's
account balance after every step, and bills agree with their terms' unpaid months.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from models.eligibility import CityPolicy
from models.errors import Reason
from models.events import (
    ApplicationRejected,
    ApplicationSubmitted,
    ApplicationWaiting,
    BillLine,
    CoverageActivated,
    CoverageCommitted,
    CoverageEnded,
    CoverageExpired,
    CoverageLapsed,
    CoverageRenewed,
    FundingKind,
    FundingMovement,
    LifeEventKind,
    LifeEventRecorded,
    LifeEventRejected,
    LifeEventReported,
    PayerMovement,
    PaymentReconciled,
    PaymentReported,
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
from tests.unit.factories import (
    KEY,
    REGION,
    T0,
    application,
    confirmed,
    life_event,
    payment,
    pledge,
    registration_rejected,
    settled,
    tick,
)

DISTRICTS = ("74.71.01", "74.71.02")
OCCUPATIONS = (Occupation.FISHER, Occupation.TAILOR, Occupation.OJEK_DRIVER)
START = period_index("2025-10")
"""Three months before PP 50/2025's discount for ojek drivers, six before everyone's: the draws
bill months at full price, at half price for some workers, and at half price for all."""
OJEK_DISCOUNT = (period_index("2026-01"), period_index("2027-03"))
OTHERS_DISCOUNT = (period_index("2026-04"), period_index("2026-12"))
SPONSORS = ("dealer-kendari", "bank-sultra")
POLICY = CityPolicy(max_pledge_idr=1_500_000, max_pledge_seats=3)
PAYERS = ("dealer-kendari", "bank-sultra", "payer-x")
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


def line_idr(committed: int, period: int, occupation: Occupation) -> int:
    """A month's bill line, restated independently of the matcher: JKK+JKM (Rp 16,800 on the lowest
    tier) halved in the discount's months for the worker's occupation; never above the committed
    price."""
    ojek = occupation is Occupation.OJEK_DRIVER and OJEK_DISCOUNT[0] <= period <= OJEK_DISCOUNT[1]
    everyone = OTHERS_DISCOUNT[0] <= period <= OTHERS_DISCOUNT[1]
    return committed - (8_400 if ojek or everyone else 0)


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
        self.payment_ids: list[str] = []
        self.answered: list[str] = []
        self.first_seen: dict[str, tuple[int, set[str]]] = {}
        """Event id -> (closes when first handled, the ids of its outputs then)."""
        self.late_repeats = 0
        self.emitted: set[str] = set()
        """Every output id so far: a second late replay repeats the first late one's answer."""
        """Outputs re-emitted, same id, by replays past the window (consumers drop them)."""
        self.started: set[str] = set()
        """Coverage ids of terms whose cover started (activated or renewed)."""
        self.exited: set[str] = set()
        """Workers a life event ended: never seated, renewed or waiting again unless they re-apply."""
        self.repriced: dict[tuple[str, str], int] = {}
        """Per pledge (sponsor, pledge id): the ``repriced`` movements' sum, committed money given back."""

    # ------------------------------------------------------------ driving

    def feed(self, event: Any) -> list[Any]:
        first = self.first_seen.get(event.event_id)
        replay = first is not None
        closes = self.m.clock_record().closes
        out = self.m.handle(event).outputs
        assert self.shadow.handle(event).outputs == out, "restored matcher diverged"
        if first is None:
            self.first_seen[event.event_id] = (closes, {o.event_id for o in out})
        elif closes - first[0] < self.m.policy.replay_window_closes:
            assert out == [], f"replay of {event.event_id} produced {out}"
        else:  # past the window: a rejection again, same id, or an answer no longer pending
            for o in out:
                assert o.event_id in first[1] or (
                    o.type == "registration.unmatched" and o.reason == "registration_not_pending"
                ), f"late replay of {event.event_id} produced {o}"
                self.late_repeats += o.event_id in self.emitted  # the first answer, or a late one before
        self.log.append(event)
        self.handled.append(event)
        self.outputs += out
        self.emitted.update(o.event_id for o in out)
        self.check_step(event, out, replay)
        return out

    def check_prices(self, out: list[Any]) -> None:
        """Each bill line is the month's tariff for its worker; each pledge's ``repriced`` movement is
        what its lines were billed below their committed price, in the same close."""
        if not any(isinstance(o, BillLine) for o in out):
            assert not any(isinstance(o, FundingMovement) and o.kind == FundingKind.REPRICED for o in out)
            return
        snap = self.m.snapshot()
        pledges = {(p.sponsor_id, p.pledge_id): p for p in snap.pledges}
        workers = {w.worker: w for w in snap.workers}
        back: dict[tuple[str, str], int] = {}
        for o in out:
            if isinstance(o, BillLine):
                committed = pledges[(o.sponsor_id, o.pledge_id)].monthly_premium_idr
                occupation = workers[o.worker].occupation
                assert o.amount_idr == line_idr(committed, period_index(o.period), occupation)
                assert (o.discount is not None) == (o.amount_idr < committed)
                key = (o.sponsor_id, o.pledge_id)
                back[key] = back.get(key, 0) + committed - o.amount_idr
            if isinstance(o, FundingMovement) and o.kind == FundingKind.REPRICED:
                key = (o.sponsor_id, o.pledge_id)
                assert back.pop(key) == o.amount_idr
                self.repriced[key] = self.repriced.get(key, 0) + o.amount_idr
        assert not any(back.values()), f"lines billed below their price without a repricing: {back}"

    def check_step(self, event: Any, out: list[Any], replay: bool) -> None:
        self.check_prices(out)
        for o in out:
            if isinstance(o, FundingMovement):
                b = o.balances
                assert b.committed_idr + b.remainder_idr == b.pledged_idr
                assert b.committed_idr == b.billed_idr + b.not_yet_billed_idr
                assert b.billed_idr == b.paid_idr + b.outstanding_idr + b.written_off_idr
                assert b.outstanding_idr == b.due_idr + b.arrears_idr
                assert min(b.not_yet_billed_idr, b.due_idr, b.arrears_idr, b.remainder_idr) >= 0
                assert b.returned_idr <= b.remainder_idr
            if isinstance(o, PayerMovement):
                a = o.balances
                assert a.received_idr == a.applied_idr + a.refunds_owed_idr
                assert a.refunded_idr <= a.refunds_owed_idr
            if isinstance(o, CoverageLapsed):  # cover ended at the close that lapsed it
                start, _ = self.terms[o.worker][-1]
                self.terms[o.worker][-1] = (start, period_index(o.period))
            if isinstance(o, CoverageEnded) and o.coverage_id in self.started:  # ended early by a life event
                start, end = self.terms[o.worker][-1]
                if o.end_period is None:  # reported for a month before its cover began: it never ran
                    assert o.months_covered == 0
                    self.terms[o.worker].pop()
                else:
                    assert start <= period_index(o.end_period) <= end
                    self.terms[o.worker][-1] = (start, period_index(o.end_period))
            seated = isinstance(o, CoverageCommitted | CoverageRenewed | ApplicationWaiting)
            if seated and o.worker in self.exited:
                assert isinstance(event, ApplicationSubmitted) and pseudonym(event.nik, KEY) == o.worker, (
                    f"{o.worker} left the programme and got {o.type}")
            if isinstance(o, CoverageActivated | CoverageRenewed):
                start, end = period_index(o.start_period), period_index(o.end_period)
                for s, e in self.terms.get(o.worker, []):
                    assert end < s or start > e, f"{o.worker} holds overlapping terms"
                self.terms.setdefault(o.worker, []).append((start, end))
                self.started.add(o.coverage_id)
        if isinstance(event, ApplicationSubmitted) and not replay:
            worker = pseudonym(event.nik, KEY)
            fates = [
                o
                for o in out
                if isinstance(o, ApplicationWaiting | ApplicationRejected)
                or (isinstance(o, CoverageCommitted) and o.worker == worker and not o.was_waiting)
            ]
            assert len(fates) == 1, f"application {event.event_id} had fates {fates}"
            if isinstance(fates[0], ApplicationRejected):
                assert fates[0].reason
            else:
                self.accepted_workers.add(worker)
                self.exited.discard(worker)  # applied again after leaving
        if isinstance(event, LifeEventReported) and not replay:
            [answer] = [o for o in out if isinstance(o, LifeEventRecorded | LifeEventRejected)]
            if isinstance(answer, LifeEventRecorded) and answer.outcome != "claim_counted":
                self.exited.add(answer.worker)
                assert self.m.status(answer.worker) in ("exited", "covered")
            ended = [o for o in out if isinstance(o, CoverageEnded)]
            assert len(ended) == (isinstance(answer, LifeEventRecorded) and answer.status in (
                "committed", "covered") and answer.outcome != "claim_counted")
            for o in ended:
                assert o.released_idr == o.months_unused * (o.released_idr // max(o.months_unused, 1))
                assert (o.seat == "refilled") == (o.refill_coverage_id is not None)
        if isinstance(event, PaymentReported) and not replay:
            [answer] = [o for o in out if isinstance(o, PaymentReconciled)]
            if answer.outcome == "duplicate":
                assert (answer.applied_idr, answer.refund_idr) == (0, 0)
                assert not [o for o in out if isinstance(o, FundingMovement | PayerMovement)]
            else:
                assert answer.applied_idr + answer.refund_idr == event.amount_idr
                assert (answer.outcome == "exact") == (answer.refund_idr == 0)
        if isinstance(event, PledgeSubmitted) and not replay:
            taken = [o.worker for o in out if isinstance(o, CoverageCommitted) and o.was_waiting]
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

    @precondition(lambda self: self.m.committed())
    @rule(data=st.data(), accept=st.sampled_from([True, True, False]))
    def answer_registration(self, data: st.DataObject, accept: bool) -> None:
        """BPJS confirms (mostly) or rejects one pending registration."""
        self.n += 1
        cid = data.draw(st.sampled_from(self.m.committed()))
        self.answered.append(cid)
        make = confirmed if accept else registration_rejected
        self.feed(make(cid, event_id=f"reg-evt-{self.n}", event_time=T0))

    @precondition(lambda self: self.m.committed())
    @rule()
    def confirm_every_pending_seat(self) -> None:
        self.confirm_pending()

    def confirm_pending(self) -> None:
        for cid in self.m.committed():
            self.n += 1
            self.answered.append(cid)
            answer = confirmed(cid, payer_id=self.payer_of(cid), event_id=f"reg-evt-{self.n}", event_time=T0)
            self.feed(answer)

    def payer_of(self, coverage_id: str) -> str:
        term = self.m.term(coverage_id)
        assert term is not None
        return term.payer_id

    @precondition(lambda self: self.m.committed())
    @rule(data=st.data(), confirm=st.booleans())
    def answer_another_payers_seat(self, data: st.DataObject, confirm: bool) -> None:
        """A payer answering for a seat of another payer changes nothing: the seat still awaits BPJS."""
        cid = data.draw(st.sampled_from(self.m.committed()))
        stranger = next(p for p in PAYERS if p != self.payer_of(cid))
        self.n += 1
        answer = (confirmed if confirm else registration_rejected)(
            cid, payer_id=stranger, event_id=f"reg-evt-{self.n}", event_time=T0
        )
        self.feed(answer)
        assert cid in self.m.committed()

    @rule(data=st.data())
    def answer_no_pending_seat(self, data: st.DataObject) -> None:
        """An answer for a seat answered before (not pending), or for none at all (unknown)."""
        self.n += 1
        cid = data.draw(st.sampled_from(["nobody", *self.answered]))
        self.feed(confirmed(cid, event_id=f"reg-evt-{self.n}", event_time=T0))

    @rule(sponsor=st.sampled_from(SPONSORS), seats=st.integers(1, 3), months=st.sampled_from([3, 6]),
          applicants=st.integers(0, 3))
    def fund_and_register(self, sponsor: str, seats: int, months: int, applicants: int) -> None:
        """A programme as it usually runs: applicants, a pledge within the bounds, BPJS confirming
        every seat (keeps bills, arrears and lapses common among the random inputs)."""
        for i in range(applicants):
            self.apply(100 + self.n % 50, 1 + i % 5, OCCUPATIONS[i % 3], Sex.FEMALE, DISTRICTS[i % 2],
                       True, i, 10 * self.n)
        self.n += 1
        self.feed(pledge(
            event_id=f"pledge-evt-{self.n}", pledge_id=f"fund-{self.n}", sponsor_id=sponsor,
            payer_id=sponsor, amount_idr=seats * 16_800 * months, months=months, targeting=Targeting(),
            valid_from=first_day(self.month), valid_until=last_day(self.month + 2), event_time=T0,
        ))
        self.confirm_pending()

    @precondition(lambda self: self.m.bill_ids())
    @rule(
        data=st.data(),
        how=st.sampled_from(["exact", "exact", "short", "over", "any"]),
        payer=st.sampled_from([None, None, None, None, *PAYERS]),
        again=st.sampled_from([False, False, True]),
    )
    def pay_a_bill(self, data: st.DataObject, how: str, payer: str | None, again: bool) -> None:
        self.pay(data, how, payer, again)

    @rule(
        data=st.data(),
        how=st.sampled_from(["exact", "short", "over", "any"]),
        payer=st.sampled_from([None, *PAYERS]),
        again=st.booleans(),
    )
    def pay(self, data: st.DataObject, how: str, payer: str | None, again: bool) -> None:
        """A payer pays a bill (any, old ones too), or a bill that does not exist; maybe a transaction
        reported before (a duplicate)."""
        self.n += 1
        bills = [self.m.bill_record(b) for b in self.m.bill_ids()]
        if bills:
            b = data.draw(st.sampled_from(bills))
            owed = b.total_idr - b.paid_idr - b.written_off_idr
            bill_id, payer_id = b.bill_id, payer or b.payer_id
        else:
            owed, bill_id, payer_id = 0, "bill:74.71:nobody:2025-01", payer or PAYERS[0]
        amount = {
            "exact": owed, "short": owed - 1, "over": owed + 5_000,
            "any": data.draw(st.integers(1, 120_000)),
        }[how]
        payment_id = (data.draw(st.sampled_from(self.payment_ids)) if again and self.payment_ids
                      else f"TX-{self.n}")
        self.payment_ids.append(payment_id)
        self.feed(payment(bill_id, max(amount, 1), payer_id=payer_id, payment_id=payment_id,
                          event_id=f"pay-evt-{self.n}", event_time=T0))

    @rule(data=st.data(), part=st.sampled_from(["all", "some", "too_much", "unknown"]))
    def settle(self, data: st.DataObject, part: str) -> None:
        self.n += 1
        refunds = self.m.snapshot().refunds
        if not refunds or part == "unknown":
            refund_id, amount = "refund:74.71:nobody", 1
        else:
            f = data.draw(st.sampled_from(refunds))
            remaining = f.amount_idr - f.refunded_idr
            refund_id = f.refund_id
            amount = {"all": remaining, "some": remaining // 2, "too_much": remaining + 1}[part]
        self.feed(settled(refund_id, max(amount, 1), event_id=f"refund-evt-{self.n}", event_time=T0))

    @precondition(lambda self: self.accepted_workers)
    @rule(data=st.data(), kind=st.sampled_from(LifeEventKind), back=st.integers(-1, 4), by_app=st.booleans())
    def report_life_event(self, data: st.DataObject, kind: LifeEventKind, back: int, by_app: bool) -> None:
        """An officer reports a life event for a known worker (in a month up to 4 back, or one ahead)."""
        self.n += 1
        worker = data.draw(st.sampled_from(sorted(self.accepted_workers)))
        period = period_name(self.month - back)
        now = datetime.combine(first_day(self.month), time(1), tzinfo=UTC)  # reported this month
        if by_app:
            application_id = self.m.worker_record(worker).application_id
            event = life_event(None, kind, period, application_id=application_id,
                               event_id=f"life-evt-{self.n}", event_time=now)
        else:
            event = life_event(worker, kind, period, event_id=f"life-evt-{self.n}", event_time=now)
        self.feed(event)

    @precondition(lambda self: self.handled)
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        self.feed(data.draw(st.sampled_from(self.handled)))

    @rule(seed=st.integers(0, 2**32 - 1))
    def restart(self, seed: int) -> None:
        """The stream layer restarts: rebuild from records given in any order."""
        snap = self.m.snapshot()
        shuffle = random.Random(seed).shuffle
        parts = [list(part) for part in (
            snap.workers, snap.pledges, snap.seen, snap.terms, snap.bills, snap.payments, snap.refunds,
            snap.payers,
        )]
        for part in parts:
            shuffle(part)
        workers, pledges, seen, terms, bills, payments, refunds, payers = parts
        self.m = RegionMatcher.restore(
            REGION, KEY, clock=snap.clock, workers=workers, pledges=pledges, seen=seen, terms=terms,
            bills=bills, payments=payments, refunds=refunds, payers=payers, policy=POLICY,
        )
        assert self.m.snapshot() == snap

    # ------------------------------------------------------------ invariants

    @invariant()
    def money_is_never_overspent(self) -> None:
        for p in self.m.snapshot().pledges:
            assert p.seats_filled <= p.seats
            given_back = self.repriced.get((p.sponsor_id, p.pledge_id), 0)
            assert p.seats_filled * p.seat_cost_idr - given_back <= p.committed_idr <= p.pledged_idr
            assert p.paid_idr + p.written_off_idr + p.arrears_idr <= p.billed_idr <= p.committed_idr
            assert min(p.paid_idr, p.arrears_idr, p.written_off_idr) >= 0
            assert p.returned_idr <= p.pledged_idr - p.committed_idr
            assert p.seats <= POLICY.max_pledge_seats and p.pledged_idr <= POLICY.max_pledge_idr

    @invariant()
    def payers_and_bills_balance(self) -> None:
        """received = applied + refunds owed; bills hold what the terms' unpaid months say; the money
        pledges were paid is the money payers had applied."""
        snap = self.m.snapshot()
        for a in snap.payers:
            assert a.received_idr == a.applied_idr + a.refunds_owed_idr
            assert a.refunded_idr <= a.refunds_owed_idr
        for f in snap.refunds:
            assert 0 <= f.refunded_idr <= f.amount_idr
        assert sum(f.amount_idr for f in snap.refunds) == sum(a.refunds_owed_idr for a in snap.payers)
        assert sum(a.applied_idr for a in snap.payers) == sum(p.paid_idr for p in snap.pledges)
        assert sum(b.paid_idr for b in snap.bills) == sum(p.paid_idr for p in snap.pledges)
        assert sum(b.written_off_idr for b in snap.bills) == sum(p.written_off_idr for p in snap.pledges)
        assert sum(b.total_idr for b in snap.bills) == sum(p.billed_idr for p in snap.pledges)
        terms = [*((w.coverage, w.occupation) for w in snap.workers if w.coverage is not None),
                 *((t, t.occupation) for t in snap.terms)]
        unpaid: dict[str, int] = {}
        for t, occupation in terms:
            assert occupation is not None
            for q in t.unpaid_periods:
                bill = f"bill:{REGION}:{t.payer_id}:{q}"
                line = line_idr(t.monthly_premium_idr, period_index(q), occupation)
                unpaid[bill] = unpaid.get(bill, 0) + line
        assert unpaid == {b.bill_id: b.total_idr - b.paid_idr - b.written_off_idr for b in snap.bills
                          if b.total_idr - b.paid_idr - b.written_off_idr}
        current = self.m.current_period
        for t, _ in terms:
            assert all(current is not None and q < current for q in t.unpaid_periods)

    @invariant()
    def no_worker_is_lost(self) -> None:
        snap = self.m.snapshot()
        assert {w.worker for w in snap.workers} == self.accepted_workers
        statuses = [self.m.status(w.worker) for w in snap.workers]
        assert statuses.count("waiting") == len(self.m.waiting())
        assert statuses.count("covered") == len(self.m.covered())
        assert statuses.count("committed") == len(self.m.committed())

    @invariant()
    def an_open_pledge_with_free_seats_admits_no_waiting_worker(self) -> None:
        snap = self.m.snapshot()
        waiting = [w for w in snap.workers if w.coverage is None and not w.registration_rejected
                   and w.exited is None]
        for p in snap.pledges:
            available = p.pledged_idr - p.committed_idr - p.returned_idr
            free = min(p.seats - p.seats_filled, available // p.seat_cost_idr)
            assert (p.status == "exhausted") <= (free == 0)
            if p.status == "open" and free:
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
            if w.coverage is None and not w.registration_rejected and w.exited is None and admits(p, w):
                assert order(w) > worst_taken, "a waiting worker outranks one the pledge took"

    def teardown(self) -> None:
        again = RegionMatcher(REGION, KEY, POLICY)
        replayed = [o for e in self.log for o in again.handle(e).outputs]
        assert replayed == self.outputs, "the same input gave different outputs"
        ids = [o.event_id for o in self.outputs]
        assert len(ids) - self.late_repeats == len(set(ids)), "an output id repeated"
        for worker, terms in self.terms.items():
            assert sorted(terms) == terms, worker
        for o in self.outputs:
            if isinstance(o, CoverageExpired):
                assert o.months_billed > 0


TestMatcherMachine = MatcherMachine.TestCase
TestMatcherMachine.settings = settings(stateful_step_count=80)
"""Long enough runs for terms to be billed, fall into arrears and lapse (a lapse needs 5 closes)."""

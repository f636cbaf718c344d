"""What a region's matcher knows: workers, their terms, and pledges.

Fields are named as in ``models.records``, so persisting an entity is
copying fields by name (``models.matcher.persistence``). Two differences of
representation, both for speed in the hot path: months are indexes here
(``models.periods.period_index``) and names in records, and a pledge's
targeting is a set here and a sorted tuple there. A pledge's money is its
``Ledger``, whose fields are the record's too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from sys import intern

from models.eligibility import PledgeTerms
from models.events import ApplicationSubmitted, PledgeSubmitted, RefundCause, pledge_key
from models.ledger import Ledger
from models.nik import Sex
from models.occupations import Occupation
from models.periods import period_of
from models.priority import PriorityWeights, base_points, ordering_key, seconds_since_epoch
from models.records import PledgeStatus, TermState
from models.tariff import Package

__all__ = ["Bill", "Bucket", "Entry", "Payer", "Payment", "Pledge", "Refund", "Term", "Worker"]

Entry = tuple[int, int, str, str]
"""A waiting-list entry: (-key, submitted_s, application_id, worker). Python compares tuples
left to right, which is exactly the documented priority order; the pseudonym makes it unique."""

Bucket = tuple[str, Occupation, Sex, int]
"""A waiting-list bucket: (district, occupation, sex, decile or 0 for unknown), what targeting filters on."""


@dataclass(slots=True)
class Term:
    """A worker's term (``CoverageRecord``): committed, then active, then ended (owing lines, if any)."""

    coverage_id: str
    worker: str
    sponsor_id: str
    pledge_id: str
    payer_id: str
    term_no: int
    seq: int
    """Commit order while committed, then activation order: bill lines follow it."""
    state: TermState
    committed_period: int
    registration_due_period: int
    was_waiting: bool
    start_period: int | None
    months: int
    months_billed: int
    monthly_premium_idr: int
    """The committed price of one month: the pledge's undiscounted lowest tier (what a seat binds);
    a month is billed at the tariff in force then (``RegionState._line``), never above this."""
    package: Package
    occupation: Occupation
    """The worker's occupation when the seat was committed: which discount a month's line gets."""
    membership_since: int | None
    membership_number: str | None
    start_date: date | None
    unpaid_periods: list[int]
    """Months billed and not yet paid, oldest first: a handful at most (a lapse ends the term)."""
    pledge_key: str = field(init=False)
    """The paying pledge: ``pledge_key(sponsor_id, pledge_id)``."""

    def __post_init__(self) -> None:
        self.pledge_key = intern(pledge_key(self.sponsor_id, self.pledge_id))  # shared by the pledge's terms

    @classmethod
    def committed(
        cls, p: Pledge, worker: str, occupation: Occupation, term_no: int, seq: int, month: int,
        deadline_months: int, *, was_waiting: bool, months: int | None = None,
    ) -> Term:
        """A seat committed in month ``month``; its id is ``{pledge key}:{worker}:{term_no}``.

        ``months``: fewer than the pledge's, for a seat's unused months handed on after a life event."""
        return cls(
            coverage_id=f"{p.key}:{worker}:{term_no}",
            worker=worker,
            sponsor_id=p.sponsor_id,
            pledge_id=p.pledge_id,
            payer_id=p.payer_id,
            term_no=term_no,
            seq=seq,
            state="committed",
            committed_period=month,
            registration_due_period=month + deadline_months - 1,
            was_waiting=was_waiting,
            start_period=None,
            months=p.months if months is None else months,
            months_billed=0,
            monthly_premium_idr=p.monthly_premium_idr,
            package=p.package,
            occupation=occupation,
            membership_since=None,
            membership_number=None,
            start_date=None,
            unpaid_periods=[],
        )

    @property
    def end_period(self) -> int:
        """Last month of cover (an active term's)."""
        assert self.start_period is not None
        return self.start_period + self.months - 1


@dataclass(slots=True)
class Worker:
    """One worker (one NIK) of the region, waiting or covered (``WorkerRecord``)."""

    # who
    worker: str
    """Keyed pseudonym of the NIK (``models.nik.pseudonym``): never the NIK itself."""
    application_id: str
    application_event_id: str
    """The application that created the worker: its replay is recognised and ignored."""
    # what pledges target: the waiting-list bucket (``bucket()``)
    district: str
    occupation: Occupation
    sex: Sex
    welfare_decile: int | None
    # priority, fixed at application (``models.priority``): ``entry()`` orders by it
    key: int
    submitted_s: int
    poverty: int
    hazard: int
    household: int
    disability: int
    # terms
    coverage: Term | None
    """The current term; None while waiting."""
    terms: int
    last_end_period: int | None
    """Month index of the last term's last month; None before any term ended."""
    membership_since: int | None
    """Month index where unbroken membership began (benefit clocks)."""
    registration_rejected: bool
    """BPJS refused the last registration: neither waiting nor covered until they apply again."""
    exited: str | None = None
    """What ended the worker's part: a ``LifeEventKind`` (``models.matcher.exits``) or the renewal
    check's reason; never waiting or renewed again."""
    life_event_ids: tuple[str, ...] = ()
    """Life events applied to the worker: their replays are recognised, for ever."""
    earlier_application_event_ids: tuple[str, ...] = ()
    """Applications that made the worker before ``application_event_id``: replays recognised."""
    birth_month: int | None = None
    """Month index of the birth date (the renewal's age check); None for workers recorded before it."""

    @classmethod
    def applied(cls, app: ApplicationSubmitted, worker: str, weights: PriorityWeights) -> Worker:
        """An eligible applicant, waiting until matched; priority points and key are fixed now."""
        poverty, hazard, household, disability = base_points(
            app.welfare_decile, app.occupation, app.breadwinner, app.dependants, app.disability, weights
        )
        submitted_s = seconds_since_epoch(app.submitted_at)
        return cls(
            worker=worker,
            application_id=app.application_id,
            application_event_id=app.event_id,
            district=intern(app.district),
            occupation=app.occupation,
            sex=app.sex,
            welfare_decile=app.welfare_decile,
            submitted_s=submitted_s,
            poverty=poverty,
            hazard=hazard,
            household=household,
            disability=disability,
            key=ordering_key(poverty + hazard + household + disability, submitted_s, weights),
            terms=0,
            last_end_period=None,
            membership_since=None,
            coverage=None,
            registration_rejected=False,
            birth_month=period_of(app.birth_date),
        )

    @property
    def parts(self) -> tuple[int, int, int, int]:
        """The priority points (``models.priority.base_points``)."""
        return (self.poverty, self.hazard, self.household, self.disability)

    def entry(self) -> Entry:
        return (-self.key, self.submitted_s, self.application_id, self.worker)

    def bucket(self) -> Bucket:
        return (self.district, self.occupation, self.sex, self.welfare_decile or 0)


@dataclass(slots=True)
class Pledge:
    """One accepted pledge (``PledgeRecord``); ``key`` and ``until`` follow from its fields."""

    pledge_id: str
    event_id: str
    sponsor_id: str
    payer_id: str
    package: Package
    months: int
    districts: frozenset[str] | None
    occupations: frozenset[Occupation] | None
    sexes: frozenset[Sex] | None
    max_welfare_decile: int | None
    monthly_premium_idr: int
    seat_cost_idr: int
    seats: int
    seats_filled: int
    accepted_seq: int
    opens_period: int
    valid_until: date
    status: PledgeStatus
    reopened: int
    """Times the pledge went from exhausted back to open (names its next exhaustion)."""
    ledger: Ledger
    bound_until_close: int
    """Month close at which the last committed premium is billed."""
    key: str = field(init=False)
    """``pledge_key(sponsor_id, pledge_id)``: what the matcher knows the pledge by."""
    until: int = field(init=False)
    """The month of ``valid_until``: the pledge expires when it closes."""

    def __post_init__(self) -> None:
        self.key = pledge_key(self.sponsor_id, self.pledge_id)
        self.until = period_of(self.valid_until)

    @classmethod
    def accepted(cls, event: PledgeSubmitted, terms: PledgeTerms, seq: int, current: int) -> Pledge:
        """A pledge the policy accepted in month ``current``: open now, or scheduled to open later."""
        t = event.targeting
        p = cls(
            pledge_id=event.pledge_id,
            event_id=event.event_id,
            sponsor_id=event.sponsor_id,
            payer_id=event.payer_id,
            package=event.package,
            months=event.months,
            districts=None if t.districts is None else frozenset(t.districts),
            occupations=None if t.occupations is None else frozenset(t.occupations),
            sexes=None if t.sexes is None else frozenset(t.sexes),
            max_welfare_decile=t.max_welfare_decile,
            monthly_premium_idr=terms.monthly_premium_idr,
            seat_cost_idr=terms.seat_cost_idr,
            seats=terms.seats,
            seats_filled=0,
            accepted_seq=seq,
            opens_period=terms.opens_index,
            valid_until=event.valid_until,
            status="open" if terms.opens_index <= current else "scheduled",
            reopened=0,
            ledger=Ledger(),
            bound_until_close=0,
        )
        p.ledger.pledge(event.amount_idr)
        return p

    def free_seats(self) -> int:
        """Seats it may still fill: unfilled ones its available money still pays for."""
        return min(self.seats - self.seats_filled, self.ledger.available_idr // self.seat_cost_idr)

    def order(self) -> tuple[int, int, str]:
        """Which pledge pays first: validity ends first, then accepted first, then key."""
        return (self.valid_until.toordinal(), self.accepted_seq, self.key)

    def admits(self, district: str, occupation: Occupation, sex: Sex, decile: int) -> bool:
        """Targeting test; ``decile`` 0 means unknown, which a decile cap never admits."""
        return (
            (self.districts is None or district in self.districts)
            and (self.occupations is None or occupation in self.occupations)
            and (self.sexes is None or sex in self.sexes)
            and (self.max_welfare_decile is None or 0 < decile <= self.max_welfare_decile)
        )


@dataclass(slots=True)
class Bill:
    """A payer's bill for one month (``BillRecord``): totals only; lines live on their terms."""

    bill_id: str
    payer_id: str
    period: int
    lines: int
    total_idr: int
    paid_idr: int
    written_off_idr: int
    due_date: date
    paid_through_seq: int | None = 0
    """``seq`` of the last line paid (``BillRecord``); None: a bill from before Jaring kept it."""

    @property
    def outstanding_idr(self) -> int:
        return self.total_idr - self.paid_idr - self.written_off_idr


@dataclass(slots=True)
class Payment:
    """A reconciled payment (``PaymentRecord``)."""

    payment_id: str
    event_id: str
    payer_id: str
    bill_id: str
    amount_idr: int


@dataclass(slots=True)
class Refund:
    """Money owed back to a payer (``RefundRecord``)."""

    refund_id: str
    payer_id: str
    cause: RefundCause
    payment_id: str | None
    coverage_id: str | None
    amount_idr: int
    refunded_idr: int
    settled_event_ids: tuple[str, ...] = ()
    """The ``refund.settled`` inputs applied: a replay of one, however late, settles nothing."""


@dataclass(slots=True)
class Payer:
    """A payer's account in the region (``PayerRecord``)."""

    payer_id: str
    received_idr: int = 0
    applied_idr: int = 0
    refunds_owed_idr: int = 0
    refunded_idr: int = 0

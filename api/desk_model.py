"""The officer's desk: what became of each application and each worker, folded from the topics.

A worker who applied at a kiosk asks: am I covered? if not, why, and how many
are ahead of me? This pure fold (the feed, ``api.feed``, is the shell) keeps
per worker (pseudonym, per regency) and per application id the latest status
and its facts, and per regency the waiting workers in the matcher's own order,
so a rank is a bisection, not a scan.

What it reads, and why each:

- ``application.submitted`` (``applications.v1``): the outputs name an
  application only when it waits or is rejected; one matched on arrival is
  named by no output (``coverage.committed`` carries the worker, not the
  application). The fold turns the NIK into the pseudonym at once and keeps
  only (application id, pseudonym, regency, submission second, event time):
  never the NIK, the name or the birth date.
- ``application.waiting`` / ``application.rejected`` (``application-status.v1``).
- the coverage events (``coverage.v1``): a worker's terms, in the region's one
  partition, so in the engine's order.
- ``pledge.submitted`` / ``pledge.accepted``: a pledge's targeting and seat cost,
  for "seats that admit them" (the rest of a pledge is ``models.pledge_book``'s).
- ``bill.line`` (``billing.v1``): months billed per term (paid and outstanding
  come from ``api.payer_model``'s line states, not derived here).

Order. Topics are read in no order relative to each other; a worker's coverage
events share one partition. As in ``dashboard.read_model``, the worker's state
is its latest term's; ``application.waiting`` only says "waiting" while the
worker has no term yet, or after BPJS rejected the last registration when the
engine has taken more applications of the worker than BPJS refused (a new
application: counts, not event times, which two sources need not keep in order). A term is matched
on arrival when its ``coverage.committed`` says ``was_waiting: false``: its
application is the worker's one with the same event time (outputs carry their
cause's time), found whichever topic is read first.

The waiting order is the matcher's (``models.matcher.entities.Worker.entry``):
priority key descending, then submission second, then application id, then
pseudonym. The key is on every waiting and seat event; the submission second
is the application's ``submitted_at`` (or, before the application is read,
``base * aging_seconds_per_point - key``); the application id is the
application's that made the worker (the waiting event's, or the arrival's).

Withdrawals and ended memberships (``withdrawn``, ``ended``) have their place in
``Status``; their events (a withdrawal, ``coverage.ended``) are folded in ``_left`` beside the
other ways a term ends, and added to ``DESK_FACTS``, once they exist.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, TypeAlias

from infra.repeats import RecentIds
from models.errors import NikError
from models.events import (
    ApplicationRejected,
    ApplicationSubmitted,
    ApplicationWaiting,
    BillIssued,
    BillLine,
    CoverageActivated,
    CoverageCancelled,
    CoverageCommitted,
    CoverageEnded,
    CoverageExpired,
    CoverageLapsed,
    CoverageRenewed,
    FundingKind,
    FundingMovement,
    LifeEventRecorded,
    PledgeAccepted,
    PledgeSubmitted,
    pledge_key,
)
from models.nik import parse, pseudonym
from models.periods import period_index, period_name
from models.priority import Priority, PriorityWeights, explain, seconds_since_epoch

__all__ = [
    "DESK_FACTS",
    "DeskModel",
    "Entry",
    "Group",
    "Status",
    "Targeted",
    "WorkerFacts",
]

Status = Literal[
    "submitted", "waiting", "committed", "covered", "rejected", "cancelled", "lapsed", "expired",
    "withdrawn", "ended",
]
"""What an application or a worker is now:

- ``submitted``: the engine has not answered yet;
- ``waiting``: eligible, on the regency's waiting list;
- ``committed``: a seat's money is committed, awaiting BPJS's registration;
- ``covered``: BPJS confirmed, cover runs (a renewal too);
- ``rejected``: not eligible or a duplicate (reason, message);
- ``cancelled``: the seat never became cover: ``registration_expired`` (waiting again) or
  ``registration_rejected`` (not waiting: an officer checks the data, a new application is a fresh attempt);
- ``lapsed``: the payer left a month unpaid past the arrears window (waiting again);
- ``expired``: the term ended and nobody renewed it (waiting again);
- ``withdrawn``: a life event took a waiting worker (or one whose seat awaited registration) off the
  list; ``ended``: a life event ended the term early (``coverage.ended``); ``reason`` is the kind.
  A later application brings the worker back."""

Entry: TypeAlias = tuple[int, int, str, str]
"""(-key, submitted second, application id, pseudonym): the matcher's waiting order, smallest first."""

DESK_FACTS = (
    ApplicationSubmitted, ApplicationWaiting, ApplicationRejected, CoverageCommitted, CoverageActivated,
    CoverageRenewed, CoverageExpired, CoverageCancelled, CoverageLapsed, PledgeSubmitted, PledgeAccepted,
    BillLine, BillIssued, FundingMovement, LifeEventRecorded, CoverageEnded,
)
"""Every event the desk folds (``BillIssued`` and ``FundingMovement`` only move a region's month)."""

Group = tuple[str, str, str | None, int]
"""What targeting admits by: district, occupation, sex (None on events older than it), decile (0: unknown)."""

_WAITS_AGAIN = frozenset({"cancelled", "lapsed", "expired"})
_LEFT_MESSAGES = {
    "moved_out": "an officer reported the worker moved out of the regency",
    "employer_covered": "an officer reported the worker is now covered by an employer",
    "deceased": "an officer reported the worker died; the family may claim the JKM death benefit",
    "left_programme": "the worker asked to leave the programme",
}
"""What a withdrawn or ended worker's answer says, by the life event's kind (``models.events.life``)."""
_CLOSE_KINDS = frozenset({FundingKind.BILLED, FundingKind.ARREARS, FundingKind.WRITTEN_OFF})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICRO


@dataclass(slots=True)
class Targeted:
    """What a pledge admits and what a seat costs (``pledge.submitted``, ``pledge.accepted``)."""

    districts: frozenset[str] | None = None
    occupations: frozenset[str] | None = None
    sexes: frozenset[str] | None = None
    max_welfare_decile: int | None = None
    seat_cost_idr: int = 0
    opens_period: str = ""
    submitted: bool = False

    def admits(self, district: str, occupation: str, sex: str | None, decile: int | None) -> bool:
        """The matcher's test (``Pledge.admits``): an unknown decile never passes a decile cap."""
        return (
            (self.districts is None or district in self.districts)
            and (self.occupations is None or occupation in self.occupations)
            and (self.sexes is None or sex in self.sexes)
            and (self.max_welfare_decile is None or 0 < (decile or 0) <= self.max_welfare_decile)
        )


@dataclass(slots=True)
class _App:
    region: str
    worker: str | None
    """The pseudonym; None when the NIK could not be read (the engine rejects those)."""
    at: int
    """Event time in microseconds: the outputs it causes carry the same."""
    submitted_s: int
    outcome: Literal["accepted", "rejected"] | None = None
    reason: str | None = None
    message: str | None = None


@dataclass(slots=True)
class Seat:
    """A worker's latest term, as its coverage events left it."""

    coverage_id: str
    pledge_id: str
    sponsor_id: str
    payer_id: str
    term_no: int
    package: str
    months: int
    monthly_premium_idr: int
    state: Literal["committed", "active", "expired", "cancelled", "lapsed"]
    committed_period: str | None = None
    registration_due_period: str | None = None
    start_period: str | None = None
    end_period: str | None = None
    membership_number: str | None = None
    membership_since: str | None = None
    months_billed: int = 0
    last_billed: str = ""
    outcome: str | None = None
    """A cancellation's or an expiry's ``outcome`` (``waiting``/``rejected``/``renewed``)."""
    reason: str | None = None
    message: str | None = None
    at: int = 0
    """Event time (microseconds) of the latest coverage event."""


@dataclass(slots=True)
class WorkerFacts:
    """One worker in one regency: what the topics said, small (shared strings, integer times)."""

    worker: str
    region: str
    district: str = ""
    occupation: str = ""
    sex: str | None = None
    welfare_decile: int | None = None
    application_id: str = ""
    """The application that made the worker: the waiting list's tie-break after the submission."""
    submitted_s: int | None = None
    key: int | None = None
    parts: tuple[int, int, int, int] | None = None
    waiting_at: int = 0
    """Event time (microseconds) of the latest ``application.waiting``; 0 for none."""
    arrival_at: int = 0
    """Event time of a ``coverage.committed`` matched on arrival whose application is not read yet."""
    seat: Seat | None = None
    accepted: int = 0
    """Applications the engine took (one ``application.waiting`` each, or a match on arrival)."""
    refused: int = 0
    """Registrations BPJS rejected: each ends an application's attempt. More applications taken than
    refused after a rejection means the worker applied again (whichever topic was read first)."""
    apps: tuple[str, ...] = ()
    """Every application id of this NIK in this regency, in the order read."""
    entry: Entry | None = None
    """Its place in the regency's waiting list while it waits."""
    also: WorkerFacts | None = None
    """The same NIK in another regency (a matcher per regency: a worker per regency)."""
    left: tuple[Literal["withdrawn", "ended"], str, int] | None = None
    """A life event took the worker out (issue 18): the status, the event's kind, its event time. A
    later application (a waiting event or a seat after it) brings the worker back."""

    @property
    def gone(self) -> bool:
        """Out of the programme by a life event, and not back since."""
        if self.left is None:
            return False
        at = self.left[2]
        return self.waiting_at <= at and (self.seat is None or self.seat.at <= at)

    @property
    def status(self) -> Status:
        if self.left is not None and self.gone:
            return self.left[0]
        s = self.seat
        if s is not None and not (s.outcome == "rejected" and self.accepted > self.refused):
            if s.state == "active":
                return "covered"
            if s.state == "expired" and s.outcome == "renewed":
                return "covered"  # its renewal follows on the same partition
            return s.state
        return "waiting" if self.waiting_at else "submitted"

    @property
    def waiting(self) -> bool:
        status = self.status
        if status == "waiting":
            return True
        s = self.seat
        return status in _WAITS_AGAIN and s is not None and s.outcome != "rejected"


class DeskModel:
    """Applications and workers as the officer's desk answers them; ``apply`` is the only writer."""

    def __init__(self, pseudonym_key: bytes, weights: PriorityWeights | None = None) -> None:
        """``pseudonym_key``: the workers' (``JARING_PSEUDONYM_KEY``); ``weights``: the city's, to derive a
        submission second before the application is read, and the waited points of an answer."""
        self._key = pseudonym_key
        self.weights = weights or PriorityWeights()
        self._seen = RecentIds()
        self._apps: dict[str, _App] = {}
        self._workers: dict[str, WorkerFacts] = {}
        self._queues: dict[str, list[Entry]] = {}
        self._targets: dict[str, Targeted] = {}
        self._months: dict[str, str] = {}
        """Per regency, the current month as far as the events tell."""
        self._names: dict[str, str] = {}
        """One string object per district, occupation and month: a worker holds references, not copies."""

    # ------------------------------------------------------------ the fold

    def apply(self, event: object) -> bool:
        """Fold one event in; False for a repeat or an event the desk does not read."""
        if not isinstance(event, DESK_FACTS):
            return False
        if isinstance(event, BillLine):
            return self._billed(event)  # repeats: a term is billed once a month, months in order
        if isinstance(event, ApplicationSubmitted):
            return self._submitted(event)  # repeats: by application id (an input's id is held for ever)
        if not self._seen.first(event):
            return False
        self._clock(event)
        if isinstance(event, PledgeSubmitted | PledgeAccepted):
            self._pledge(event)
        elif isinstance(event, ApplicationWaiting):
            self._waiting(event)
        elif isinstance(event, ApplicationRejected):
            app = self._apps.get(event.application_id)
            if app is None:
                app = self._apps[event.application_id] = _App(event.region, event.worker, -1, 0)
            app.outcome, app.reason, app.message = "rejected", event.reason, event.message
        elif isinstance(event, CoverageCommitted | CoverageActivated | CoverageRenewed):
            self._seated(event)
        elif isinstance(event, CoverageExpired | CoverageCancelled | CoverageLapsed):
            self._left(event)
        elif isinstance(event, LifeEventRecorded | CoverageEnded):
            self._life(event)
        return True

    def _clock(self, event: ApplicationWaiting | ApplicationRejected | PledgeSubmitted | PledgeAccepted
               | CoverageCommitted | CoverageActivated | CoverageRenewed | CoverageExpired
               | CoverageCancelled | CoverageLapsed | BillIssued | FundingMovement | LifeEventRecorded
               | CoverageEnded) -> None:
        """The regency's current month: an event's month, or the month after the one a close closed."""
        if isinstance(event, PledgeSubmitted):
            return  # an input: no region month on it
        closing = (
            isinstance(event, BillIssued | CoverageExpired | CoverageLapsed)
            or (isinstance(event, FundingMovement) and event.kind in _CLOSE_KINDS)
            or (isinstance(event, CoverageCancelled) and event.reason == "registration_expired")
        )
        month = period_name(period_index(event.period) + 1) if closing else event.period
        if month > self._months.get(event.region, ""):
            self._months[event.region] = month

    def _name(self, code: str) -> str:
        return self._names.setdefault(code, code)

    def _worker(self, worker: str, region: str) -> WorkerFacts:
        first = w = self._workers.get(worker)
        while w is not None and w.region != region:
            w = w.also
        if w is None:
            w = WorkerFacts(worker, region)
            if first is None:
                self._workers[worker] = w
            else:
                w.also, first.also = first.also, w
        return w

    def _submitted(self, app: ApplicationSubmitted) -> bool:
        known = self._apps.get(app.application_id)
        if known is not None and known.at >= 0:
            return False  # the id's first submission is the one the engine answered for it
        try:
            parse(app.nik, app.event_time.date())
        except NikError:
            worker = None  # the engine rejects it before reading it: no pseudonym to name it by
        else:
            worker = pseudonym(app.nik, self._key)
        mine = _App(app.regency, worker, _micros(app.event_time), seconds_since_epoch(app.submitted_at))
        if known is not None:  # its answer was read first
            mine.outcome, mine.reason, mine.message = known.outcome, known.reason, known.message
            mine.worker = mine.worker or known.worker
        self._apps[app.application_id] = mine
        if worker is None:
            return True
        w = self._worker(worker, app.regency)
        w.apps = (*w.apps, app.application_id)
        if not w.district:
            w.district, w.occupation = self._name(app.district), self._name(app.occupation.value)
            w.sex, w.welfare_decile = app.sex.value, app.welfare_decile
        if w.application_id == app.application_id or (w.arrival_at and w.arrival_at == mine.at):
            self._made(w, app.application_id, mine)
        return True

    def _made(self, w: WorkerFacts, application_id: str, app: _App) -> None:
        """``application_id`` made the worker (it waits, or was matched on arrival)."""
        if app.outcome != "rejected":
            app.outcome = "accepted"
        w.application_id, w.arrival_at = application_id, 0
        if app.at >= 0:
            w.submitted_s = app.submitted_s
        self._settle(w)

    def _pledge(self, event: PledgeSubmitted | PledgeAccepted) -> None:
        t = self._targets.setdefault(pledge_key(event.sponsor_id, event.pledge_id), Targeted())
        if isinstance(event, PledgeAccepted):
            t.seat_cost_idr, t.opens_period = event.seat_cost_idr, event.opens_period
        elif not t.submitted:  # a second submission under the id is the engine's to reject
            g = event.targeting
            t.submitted = True
            t.districts = None if g.districts is None else frozenset(g.districts)
            t.occupations = None if g.occupations is None else frozenset(o.value for o in g.occupations)
            t.sexes = None if g.sexes is None else frozenset(s.value for s in g.sexes)
            t.max_welfare_decile = g.max_welfare_decile

    def _facts(self, w: WorkerFacts, event: ApplicationWaiting | CoverageCommitted | CoverageActivated
               | CoverageRenewed) -> None:
        w.district, w.occupation = self._name(event.district), self._name(event.occupation.value)
        w.sex = None if event.sex is None else event.sex.value
        w.welfare_decile = event.welfare_decile
        self._priority(w, event.priority)

    def _priority(self, w: WorkerFacts, p: Priority) -> None:
        w.key, w.parts = p.key, (p.poverty, p.hazard, p.household, p.disability)
        if w.submitted_s is None:  # the application not read yet: the key says it
            w.submitted_s = sum(w.parts) * self.weights.aging_seconds_per_point - p.key

    def _waiting(self, event: ApplicationWaiting) -> None:
        w = self._worker(event.worker, event.region)
        at = _micros(event.event_time)
        self._facts(w, event)
        w.accepted += 1
        if at >= w.waiting_at:
            w.waiting_at = at
            app = self._apps.get(event.application_id)
            if app is None:
                app = self._apps[event.application_id] = _App(event.region, event.worker, -1, 0)
            self._made(w, event.application_id, app)
        self._settle(w)

    def _seated(self, event: CoverageCommitted | CoverageActivated | CoverageRenewed) -> None:
        w = self._worker(event.worker, event.region)
        self._facts(w, event)
        s = w.seat
        if s is None or s.coverage_id != event.coverage_id:
            s = w.seat = Seat(
                event.coverage_id, self._name(event.pledge_id), self._name(event.sponsor_id),
                self._name(event.payer_id), event.term_no, event.package.value, event.months,
                event.monthly_premium_idr, "committed",
            )
        s.at = _micros(event.event_time)
        if isinstance(event, CoverageCommitted):
            s.state = "committed"
            s.committed_period = self._name(event.period)
            s.registration_due_period = self._name(event.registration_due_period)
            if not event.was_waiting:
                w.accepted += 1
                self._arrived(w, s.at)
        else:
            s.state = "active"
            s.start_period, s.end_period = self._name(event.start_period), self._name(event.end_period)
            s.membership_number = event.membership_number
            s.membership_since = self._name(event.membership_since)
            if isinstance(event, CoverageActivated):
                s.committed_period = self._name(event.committed_period)
        self._settle(w)

    def _arrived(self, w: WorkerFacts, at: int) -> None:
        """Matched on arrival: the application is this worker's with the same event time."""
        for application_id in w.apps:
            app = self._apps[application_id]
            if app.at == at and app.outcome != "rejected":
                self._made(w, application_id, app)
                return
        w.arrival_at = at

    def _left(self, event: CoverageExpired | CoverageCancelled | CoverageLapsed) -> None:
        """A term ended: the worker's status is how, and ``_settle`` puts them back on the list or not.
        The life events go here: ``coverage.ended`` (status ``ended``) and a withdrawal (``withdrawn``),
        both with ``outcome`` ``rejected``-like: off the waiting list until a new application."""
        w = self._worker(event.worker, event.region)
        s = w.seat
        if s is None or s.coverage_id != event.coverage_id:
            return  # an older term's (never in one partition's order)
        s.at = _micros(event.event_time)
        if isinstance(event, CoverageExpired):
            s.state, s.outcome, s.reason, s.message = "expired", event.outcome, None, None
        elif isinstance(event, CoverageCancelled):
            s.state, s.outcome, s.reason, s.message = "cancelled", event.outcome, event.reason, event.message
            w.refused += event.outcome == "rejected"
        else:
            s.state, s.outcome = "lapsed", "waiting"
            s.reason = "coverage_lapsed"
            s.message = (f"the payer left {event.unpaid_months} month(s) unpaid past the arrears window; "
                         "the worker waits again with their original priority")
            s.membership_since = None  # the engine resets the benefit clocks
        self._settle(w)

    def _life(self, event: LifeEventRecorded | CoverageEnded) -> None:
        """A life event: a withdrawal (off the waiting list, or a seat awaiting registration) or a term
        ended early (``coverage.ended``; its ``life_event.recorded`` says ``term_ended``). An accident
        claim ends nothing."""
        if isinstance(event, LifeEventRecorded) and event.outcome == "claim_counted":
            return
        w = self._worker(event.worker, event.region)
        at = _micros(event.event_time)
        if isinstance(event, CoverageEnded):
            w.left = ("ended", str(event.reason), at)
        elif event.outcome == "withdrawn":
            w.left = ("withdrawn", str(event.kind), at)
        else:
            w.left = ("ended", str(event.kind), at)
        self._settle(w)

    def _billed(self, line: BillLine) -> bool:
        found = self._workers.get(line.worker)
        while found is not None and found.region != line.region:
            found = found.also
        s = None if found is None else found.seat
        if s is None or s.coverage_id != line.coverage_id or line.period <= s.last_billed:
            return False
        s.months_billed += line.months
        s.last_billed = line.period
        return True

    def _settle(self, w: WorkerFacts) -> None:
        """Put the worker in, or take them out of, the regency's waiting list, at their entry."""
        want = None
        if w.waiting and w.key is not None and w.submitted_s is not None:
            want = (-w.key, w.submitted_s, w.application_id, w.worker)
        if want == w.entry:
            return
        queue = self._queues.setdefault(w.region, [])
        if w.entry is not None:
            i = bisect_left(queue, w.entry)
            del queue[i]
        if want is not None:
            insort(queue, want)
        w.entry = want

    # ------------------------------------------------------------ answers

    def by_pseudonym(self, worker: str) -> list[WorkerFacts]:
        """The worker in every regency it applied in, by regency."""
        found, w = [], self._workers.get(worker)
        while w is not None:
            found.append(w)
            w = w.also
        return sorted(found, key=lambda f: f.region)

    def by_nik(self, nik: str) -> list[WorkerFacts]:
        """The NIK's worker(s): turned into the pseudonym here and forgotten."""
        return self.by_pseudonym(pseudonym(nik, self._key))

    def application(self, application_id: str) -> tuple[str, str | None, str | None, str | None,
                                                          WorkerFacts | None] | None:
        """(region, outcome, reason, message, worker) of an application; None for an unknown id.

        ``outcome``: None while the engine has not answered, ``accepted`` or ``rejected``."""
        app = self._apps.get(application_id)
        if app is None:
            return None
        w = None
        if app.worker is not None:
            w = next((f for f in self.by_pseudonym(app.worker) if f.region == app.region), None)
        return app.region, app.outcome, app.reason, app.message, w

    def verdict(self, w: WorkerFacts) -> tuple[Status, str | None, str | None]:
        """(status, reason, message): a worker whose every application was rejected reads ``rejected``."""
        status = w.status
        if status == "submitted":
            apps = [self._apps[a] for a in w.apps]
            if apps and all(a.outcome == "rejected" for a in apps):
                return "rejected", apps[-1].reason, apps[-1].message
            return status, None, None
        s = w.seat
        if s is not None and status in ("cancelled", "lapsed"):
            return status, s.reason, s.message
        if w.left is not None and status in ("withdrawn", "ended"):
            kind = w.left[1]
            return status, kind, _LEFT_MESSAGES.get(kind, "an officer reported the worker left the programme")
        return status, None, None

    def rank(self, w: WorkerFacts) -> int | None:
        """1 + the waiting workers of the regency ahead of ``w``; None when not waiting. O(log n)."""
        if w.entry is None:
            return None
        return bisect_left(self._queues[w.region], w.entry) + 1

    def waiting_count(self, region: str) -> int:
        return len(self._queues.get(region, ()))

    def queue(self, region: str) -> list[Entry]:
        """The regency's waiting list, best first (a copy)."""
        return list(self._queues.get(region, ()))

    def waiting_list(self, region: str) -> list[tuple[Entry, Group]]:
        """The regency's waiting list, best first, each worker with what targeting admits by: what a
        quote seats from (``api.quotes``), the same list the desk ranks by."""
        out: list[tuple[Entry, Group]] = []
        for entry in self._queues.get(region, ()):
            w = self._workers.get(entry[3])
            while w is not None and w.region != region:
                w = w.also
            if w is not None:
                out.append((entry, (w.district, w.occupation, w.sex, w.welfare_decile or 0)))
        return out

    def targeting(self, sponsor_id: str, pledge_id: str) -> Targeted | None:
        return self._targets.get(pledge_key(sponsor_id, pledge_id))

    def current_period(self, region: str) -> str | None:
        """The regency's current month as far as its events tell (a close moves it to the next)."""
        return self._months.get(region)

    def priority(self, w: WorkerFacts, now: datetime) -> Priority | None:
        """The worker's priority breakdown with the waited points at ``now`` (the key is the events')."""
        if w.parts is None or w.key is None or w.submitted_s is None:
            return None
        p = explain(w.parts, w.submitted_s, seconds_since_epoch(now), self.weights)
        return p if p.key == w.key else p.model_copy(update={"key": w.key})

    def held(self) -> dict[str, int]:
        """What grows with input, counted."""
        return {
            "applications": len(self._apps),
            "workers": sum(len(self.by_pseudonym(k)) for k in self._workers),
            "waiting": sum(len(q) for q in self._queues.values()),
            "ids": len(self._seen),
        }

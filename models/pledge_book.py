"""The one read model of pledges: decoded events folded into each pledge's book.

The sponsor API (``api.read_model``) and the city dashboard
(``dashboard.read_model``) both say what became of a pledge. They used to
fold the same events with two precedences and two keys, and disagreed
about the same pledge; both now fold with this module and only format the
books differently.

Books are keyed by (sponsor, pledge) (``models.events.pledge_key``): a
pledge id is its sponsor's own, so another sponsor's pledge with the same id
is another book, and a reader shows a sponsor only books of theirs.

One status precedence for every reader, ``submitted < rejected < accepted <
exhausted < expired``, and a book's status is the highest any of its facts
implies, except that a ``pledge.reopened`` (a seat freed by a cancellation or
a lapse) sets an exhausted pledge back to ``accepted`` (open): exhausted and
reopened come in the order of the pledge's one ``pledge-status.v1`` partition,
and ``expired`` is final:

- acceptance is implied by ``pledge.accepted`` and equally by a funding
  movement or a coverage term on the pledge (only accepted pledges have them);
- a rejection lifts only a book still ``submitted``: the rejection of a
  duplicate submission (same sponsor, same id, another event) never
  downgrades the accepted pledge, and a submission rejected, corrected and
  resubmitted under the same id reads ``accepted`` once the engine accepts it.
  ``reason`` and ``message`` are shown only while the book reads ``rejected``.

Delivery is at-least-once, so an event id seen before is dropped. The
topics are read in no defined order relative to each other, so every part of
a book is either order-free (status as a maximum, counts of distinct events,
the set of workers) or comes from one partition whose order Kafka keeps: the
balances are the latest funding movement's (``funding.v1``, keyed by region),
the rejection the latest rejection's (``pledge-status.v1``, keyed by pledge).
The details (payer, package, months, amount) are the engine's acceptance's
when it has been read, else the first submission's (``pledges.v1``, which only
the API reads).

Seats by term state (``PledgeBook.by_state``: committed, awaiting BPJS;
active; cancelled; lapsed) are differences of counts of distinct coverage
events, all on one ``coverage.v1`` partition per region.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, TypeAlias, TypedDict

from models.events import (
    CoverageActivated,
    CoverageCancelled,
    CoverageCommitted,
    CoverageEnded,
    CoverageExpired,
    CoverageLapsed,
    CoverageRenewed,
    FundingMovement,
    LedgerBalances,
    PledgeAccepted,
    PledgeExhausted,
    PledgeExpired,
    PledgeRejected,
    PledgeReopened,
    PledgeSubmitted,
    pledge_key,
)

__all__ = [
    "NO_BALANCES", "STATUS_RANK", "PledgeBook", "PledgeBooks", "PledgeFact", "PledgeSeats", "PledgeState",
]

PledgeState = Literal["submitted", "accepted", "rejected", "exhausted", "expired"]

STATUS_RANK: dict[PledgeState, int] = {
    "submitted": 0,
    "rejected": 1,
    "accepted": 2,
    "exhausted": 3,
    "expired": 4,
}
"""A book's status is the highest-ranked one its facts imply; it never moves back."""

PledgeFact: TypeAlias = (
    PledgeSubmitted
    | PledgeAccepted
    | PledgeRejected
    | PledgeExhausted
    | PledgeReopened
    | PledgeExpired
    | FundingMovement
    | CoverageCommitted
    | CoverageActivated
    | CoverageRenewed
    | CoverageExpired
    | CoverageCancelled
    | CoverageLapsed
    | CoverageEnded
)
"""Every event that says something about one pledge."""

_FACTS = (
    PledgeSubmitted,
    PledgeAccepted,
    PledgeRejected,
    PledgeExhausted,
    PledgeReopened,
    PledgeExpired,
    FundingMovement,
    CoverageCommitted,
    CoverageActivated,
    CoverageRenewed,
    CoverageExpired,
    CoverageCancelled,
    CoverageLapsed,
    CoverageEnded,
)

NO_BALANCES = LedgerBalances(
    pledged_idr=0, committed_idr=0, billed_idr=0, not_yet_billed_idr=0, paid_idr=0, outstanding_idr=0,
    due_idr=0, arrears_idr=0, written_off_idr=0, remainder_idr=0, returned_idr=0, runway_months=0
)
"""A pledge's ledger before the engine accepted it: nothing on it."""


class PledgeMoney(TypedDict):
    """A pledge's seats and money as every reader shows them (``PledgeBook.money``)."""

    seats_filled: int
    pledged_idr: int
    committed_idr: int
    paid_idr: int
    returned_idr: int
    remaining_idr: int
    runway_months: int


class PledgeSeats(TypedDict):
    """A pledge's seats and workers by term state (``PledgeBook.by_state``); one seat per worker.

    A seat is *committed* from ``coverage.committed`` until BPJS confirms it
    (``coverage.activated``: *active*) or it is cancelled; an active seat ends
    when its term expires (a renewal is a new active term at once) or lapses.
    """

    seats_committed: int
    """Seats waiting for BPJS's confirmation: committed, not yet activated or cancelled."""
    seats_active: int
    """Seats whose cover runs: activated or renewed, not yet expired or lapsed."""
    workers_cancelled: int
    """Terms cancelled before cover started (registration rejected or not confirmed in time)."""
    workers_lapsed: int
    """Terms that lapsed: the payer left a month unpaid past the arrears window."""


@dataclass(slots=True)
class PledgeBook:
    """What the topics have said so far about one sponsor's pledge."""

    sponsor_id: str
    pledge_id: str
    region: str
    updated_at: datetime
    """Event time of the latest fact folded in."""
    status: PledgeState = "submitted"
    payer_id: str = ""
    package: str = ""
    months: int | None = None
    amount_idr: int = 0
    valid_from: date | None = None
    """Only a submission carries it (the API reads ``pledges.v1``; the dashboard does not)."""
    valid_until: date | None = None
    seats: int | None = None
    """None until the engine accepted the pledge."""
    balances: LedgerBalances = NO_BALANCES
    seats_filled: int = 0
    """Seats taken on this pledge (commitments and renewals), cancelled and lapsed ones included."""
    terms_ended: int = 0
    activated: int = 0
    """``coverage.activated`` folded: committed seats BPJS confirmed."""
    renewed: int = 0
    cancelled: int = 0
    lapsed: int = 0
    ended: int = 0
    """Terms a life event ended (``coverage.ended``)..."""
    ended_unstarted: int = 0
    """... of which seats still awaiting registration (no ``end_period``)."""
    workers: set[str] = field(default_factory=set)
    """Distinct workers (pseudonyms) this pledge has covered."""
    accepted_details: bool = False
    """Whether the details are the engine's acceptance's rather than a submission's."""
    rejection: tuple[str, str] | None = None
    """The latest rejection's (reason, message); shown only while the status is ``rejected``."""

    @property
    def key(self) -> str:
        return pledge_key(self.sponsor_id, self.pledge_id)

    @property
    def reason(self) -> str | None:
        """The rejection code while the pledge reads ``rejected``, else None."""
        return self.rejection[0] if self.status == "rejected" and self.rejection else None

    @property
    def message(self) -> str | None:
        return self.rejection[1] if self.status == "rejected" and self.rejection else None

    @property
    def workers_active(self) -> int:
        """Seats on this pledge not ended: committed or active (a worker holds one term at a time)."""
        return self.seats_filled - self.terms_ended

    def by_state(self) -> PledgeSeats:
        """Seats by term state, from counts of distinct events (order-free: ``coverage.v1`` keeps a
        region's terms in one partition, and each count only grows)."""
        expired = self.terms_ended - self.cancelled - self.lapsed - self.ended
        commits = self.seats_filled - self.renewed
        ended_active = self.ended - self.ended_unstarted
        return PledgeSeats(
            seats_committed=commits - self.activated - self.cancelled - self.ended_unstarted,
            seats_active=self.activated + self.renewed - expired - self.lapsed - ended_active,
            workers_cancelled=self.cancelled,
            workers_lapsed=self.lapsed,
        )

    @property
    def remaining_idr(self) -> int:
        """Money still held for the pledge: pledged - paid - returned."""
        b = self.balances
        return b.pledged_idr - b.paid_idr - b.returned_idr

    def money(self) -> PledgeMoney:
        """The ledger's figures every reader shows, under the names both the API and the dashboard use."""
        b = self.balances
        return PledgeMoney(
            seats_filled=self.seats_filled,
            pledged_idr=b.pledged_idr,
            committed_idr=b.committed_idr,
            paid_idr=b.paid_idr,
            returned_idr=b.returned_idr,
            remaining_idr=self.remaining_idr,
            runway_months=b.runway_months,
        )

    def lift(self, status: PledgeState) -> None:
        if STATUS_RANK[status] > STATUS_RANK[self.status]:
            self.status = status


class PledgeBooks:
    """Every pledge's book, keyed by (sponsor, pledge); ``apply`` is the only writer."""

    def __init__(self, seen: set[str] | None = None) -> None:
        """``seen``: event ids already folded. A reader that drops repeats itself for more
        than pledges (the dashboard) passes its own set, so each id is held once."""
        self._seen: set[str] = set() if seen is None else seen
        self._books: dict[str, PledgeBook] = {}
        self._by_sponsor: dict[str, dict[str, PledgeBook]] = {}
        self._by_region: dict[str, dict[str, PledgeBook]] = {}

    def apply(self, event: object) -> PledgeBook | None:
        """Fold one event in; the book it changed, or None for a repeat or an event about no pledge."""
        if not isinstance(event, _FACTS) or event.event_id in self._seen:
            return None
        self._seen.add(event.event_id)
        book = self._book(event)
        if event.event_time > book.updated_at:
            book.updated_at = event.event_time
        if isinstance(event, PledgeSubmitted):
            if book.valid_from is None:  # a second submission of the same id is the engine's to reject
                book.valid_from = event.valid_from
                if not book.accepted_details:
                    book.payer_id, book.package = event.payer_id, event.package.value
                    book.months, book.amount_idr = event.months, event.amount_idr
                    book.valid_until = event.valid_until
        elif isinstance(event, PledgeAccepted):
            book.lift("accepted")
            book.accepted_details = True
            book.payer_id, book.package = event.payer_id, event.package.value
            book.months, book.amount_idr, book.seats = event.months, event.amount_idr, event.seats
            book.valid_until = event.valid_until
        elif isinstance(event, PledgeRejected):
            book.lift("rejected")
            book.rejection = (event.reason, event.message)
        elif isinstance(event, PledgeExhausted):
            if book.status != "expired":  # the pledge-status partition orders exhausted and reopened
                book.status = "exhausted"
        elif isinstance(event, PledgeReopened):
            if book.status != "expired":
                book.status = "accepted"
        elif isinstance(event, PledgeExpired):
            book.lift("expired")
        elif isinstance(event, FundingMovement):
            book.lift("accepted")
            book.balances = event.balances
        elif isinstance(event, CoverageCommitted | CoverageRenewed):
            book.lift("accepted")
            book.seats_filled += 1
            book.renewed += isinstance(event, CoverageRenewed)
            book.workers.add(event.worker)
        elif isinstance(event, CoverageActivated):
            book.lift("accepted")
            book.activated += 1
        else:
            book.lift("accepted")
            book.terms_ended += 1
            book.cancelled += isinstance(event, CoverageCancelled)
            book.lapsed += isinstance(event, CoverageLapsed)
            if isinstance(event, CoverageEnded):
                book.ended += 1
                book.ended_unstarted += event.end_period is None
        return book

    def book(self, sponsor_id: str, pledge_id: str) -> PledgeBook | None:
        """One sponsor's pledge; None for an id this sponsor never used (whoever else did)."""
        return self._by_sponsor.get(sponsor_id, {}).get(pledge_id)

    def of_sponsor(self, sponsor_id: str) -> list[PledgeBook]:
        """A sponsor's pledges by pledge id."""
        return [b for _, b in sorted(self._by_sponsor.get(sponsor_id, {}).items())]

    def in_region(self, region: str) -> list[PledgeBook]:
        """A region's pledges by pledge id, then sponsor."""
        books = self._by_region.get(region, {}).values()
        return sorted(books, key=lambda b: (b.pledge_id, b.sponsor_id))

    def __len__(self) -> int:
        return len(self._books)

    def _book(self, event: PledgeFact) -> PledgeBook:
        key = pledge_key(event.sponsor_id, event.pledge_id)
        found = self._books.get(key)
        if found is None:
            found = self._books[key] = PledgeBook(
                event.sponsor_id, event.pledge_id, event.region, event.event_time
            )
            self._by_sponsor.setdefault(event.sponsor_id, {})[event.pledge_id] = found
            self._by_region.setdefault(event.region, {})[key] = found
        return found

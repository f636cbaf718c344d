"""Each sponsor's pledges and ledgers, folded from decoded events.

Pure: ``apply`` takes one event and updates the books; the Kafka consumer
that feeds it (``api.feed``) is a thin shell. Delivery is at-least-once, so
an event id seen before is dropped. The engine's topics are read in no
defined order relative to each other (pledges and coverage are keyed by
region, pledge status by pledge), so the fold tolerates any interleaving:
a pledge's book is created by whichever fact arrives first, its status only
moves forward (``_RANK``), and its balances are those of its latest ledger
movement, which the engine publishes in order on one partition.

Books are keyed by (sponsor, pledge): a pledge id another sponsor happens
to use is a different book, and nobody can read a book that is not theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from api.bodies import PledgeState, PledgeStatusOut, SponsorLedgerOut, SponsorTotals
from models.events import (
    CoverageActivated,
    CoverageExpired,
    CoverageRenewed,
    Event,
    FundingMovement,
    LedgerBalances,
    PledgeAccepted,
    PledgeExhausted,
    PledgeExpired,
    PledgeRejected,
    PledgeSubmitted,
)

__all__ = ["PledgeBook", "ReadModel"]

_RANK: dict[PledgeState, int] = {"submitted": 0, "rejected": 1, "accepted": 2, "exhausted": 3, "expired": 4}
"""A status never moves back: ``duplicate_pledge`` rejecting a second submission of an
accepted pledge id leaves the accepted pledge accepted."""

_Relevant = (
    PledgeSubmitted,
    PledgeAccepted,
    PledgeRejected,
    PledgeExhausted,
    PledgeExpired,
    FundingMovement,
    CoverageActivated,
    CoverageRenewed,
    CoverageExpired,
)


@dataclass
class PledgeBook:
    """What this API knows of one pledge so far."""

    sponsor_id: str
    pledge_id: str
    updated_at: datetime
    payer_id: str = ""
    region: str = ""
    package: str = ""
    months: int = 0
    amount_idr: int = 0
    valid_from: date | None = None
    valid_until: date | None = None
    status: PledgeState = "submitted"
    reason: str | None = None
    message: str | None = None
    seats: int | None = None
    balances: LedgerBalances | None = None
    terms: set[str] = field(default_factory=set)
    """Coverage ids started on this pledge: one per seat filled."""
    workers: set[str] = field(default_factory=set)
    active: set[str] = field(default_factory=set)

    def advance(self, status: PledgeState) -> bool:
        if _RANK[status] <= _RANK[self.status]:
            return False
        self.status = status
        return True

    def out(self) -> PledgeStatusOut:
        b = self.balances or LedgerBalances(
            pledged_idr=0, committed_idr=0, paid_idr=0, remainder_idr=0, returned_idr=0, runway_months=0
        )
        return PledgeStatusOut(
            pledge_id=self.pledge_id,
            payer_id=self.payer_id,
            region=self.region,
            status=self.status,
            reason=self.reason,
            message=self.message,
            package=self.package,
            months=self.months,
            amount_idr=self.amount_idr,
            seats=self.seats,
            seats_filled=len(self.terms),
            pledged_idr=b.pledged_idr,
            committed_idr=b.committed_idr,
            paid_idr=b.paid_idr,
            returned_idr=b.returned_idr,
            remaining_idr=b.pledged_idr - b.paid_idr - b.returned_idr,
            uncommitted_idr=b.remainder_idr,
            workers_covered=len(self.workers),
            workers_active=len(self.active),
            runway_months=b.runway_months,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            updated_at=self.updated_at,
        )


@dataclass
class ReadModel:
    _books: dict[str, dict[str, PledgeBook]] = field(default_factory=dict)
    _seen: set[str] = field(default_factory=set)

    def apply(self, event: Event) -> bool:
        """Fold one event in; False when it was a repeat or says nothing about a pledge."""
        if not isinstance(event, _Relevant) or event.event_id in self._seen:
            return False
        self._seen.add(event.event_id)
        book = self._book(event.sponsor_id, event.pledge_id, event.event_time)
        book.updated_at = max(book.updated_at, event.event_time)
        if isinstance(event, PledgeSubmitted):
            if book.valid_from is None:  # a second submission of the same id is the engine's to reject
                book.valid_from = event.valid_from
                if not book.region:  # the engine's acceptance, if read first, is the authority
                    book.payer_id, book.region = event.payer_id, event.region
                    book.package, book.months = event.package.value, event.months
                    book.amount_idr, book.valid_until = event.amount_idr, event.valid_until
        elif isinstance(event, PledgeAccepted):
            book.advance("accepted")
            book.payer_id, book.region, book.package = event.payer_id, event.region, event.package.value
            book.months, book.amount_idr, book.seats = event.months, event.amount_idr, event.seats
            book.valid_until = event.valid_until
        elif isinstance(event, PledgeRejected):
            if book.advance("rejected"):
                book.reason, book.message = event.reason, event.message
        elif isinstance(event, PledgeExhausted):
            book.advance("exhausted")
        elif isinstance(event, PledgeExpired):
            book.advance("expired")
        elif isinstance(event, FundingMovement):
            book.balances = event.balances
        elif isinstance(event, CoverageActivated | CoverageRenewed):
            book.terms.add(event.coverage_id)
            book.workers.add(event.worker)
            book.active.add(event.coverage_id)
        else:
            book.active.discard(event.coverage_id)
        return True

    def pledge(self, sponsor_id: str, pledge_id: str) -> PledgeBook | None:
        return self._books.get(sponsor_id, {}).get(pledge_id)

    def sponsor(self, sponsor_id: str) -> SponsorLedgerOut:
        pledges = [b.out() for _, b in sorted(self._books.get(sponsor_id, {}).items())]
        return SponsorLedgerOut(
            sponsor_id=sponsor_id,
            totals=SponsorTotals(
                pledges=len(pledges),
                pledged_idr=sum(p.pledged_idr for p in pledges),
                committed_idr=sum(p.committed_idr for p in pledges),
                paid_idr=sum(p.paid_idr for p in pledges),
                returned_idr=sum(p.returned_idr for p in pledges),
                remaining_idr=sum(p.remaining_idr for p in pledges),
                workers_covered=sum(p.workers_covered for p in pledges),
                workers_active=sum(p.workers_active for p in pledges),
                runway_months=max((p.runway_months for p in pledges), default=0),
            ),
            pledges=pledges,
        )

    def _book(self, sponsor_id: str, pledge_id: str, at: datetime) -> PledgeBook:
        books = self._books.setdefault(sponsor_id, {})
        book = books.get(pledge_id)
        if book is None:
            book = books[pledge_id] = PledgeBook(sponsor_id, pledge_id, at)
        return book

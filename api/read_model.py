"""Each sponsor's pledges and ledgers, as the API answers them.

The fold itself is ``models.pledge_book``, the one read model of pledges the
city dashboard uses too, so the API and the dashboard cannot disagree about a
pledge; this module only answers from it in the API's shapes. Pure: the Kafka
consumer that feeds it (``api.feed``) is a thin shell.

Books are keyed by (sponsor, pledge): a pledge id another sponsor happens to
use is a different book, and nobody can read a book that is not theirs (an
id that is someone else's answers exactly like an unknown one).
"""

from __future__ import annotations

from api.bodies import PledgeStatusOut, SponsorLedgerOut, SponsorTotals
from models.events import Event
from models.pledge_book import PledgeBook, PledgeBooks

__all__ = ["ReadModel", "status_of"]


def status_of(book: PledgeBook) -> PledgeStatusOut:
    """One pledge as ``GET /v1/pledges/{pledge_id}`` answers it."""
    return PledgeStatusOut(
        **book.money(),
        pledge_id=book.pledge_id,
        payer_id=book.payer_id,
        region=book.region,
        status=book.status,
        reason=book.reason,
        message=book.message,
        package=book.package,
        months=book.months or 0,
        amount_idr=book.amount_idr,
        seats=book.seats,
        uncommitted_idr=book.balances.remainder_idr,
        workers_covered=len(book.workers),
        workers_active=book.workers_active,
        valid_from=book.valid_from,
        valid_until=book.valid_until,
        updated_at=book.updated_at,
    )


class ReadModel:
    """The API's view of the pledge books; ``apply`` is the only writer."""

    def __init__(self) -> None:
        self.books = PledgeBooks()

    def apply(self, event: Event) -> bool:
        """Fold one event in; False when it was a repeat or says nothing about a pledge."""
        return self.books.apply(event) is not None

    def pledge(self, sponsor_id: str, pledge_id: str) -> PledgeStatusOut | None:
        """The sponsor's own pledge with this id; None when the sponsor has none by that id."""
        book = self.books.book(sponsor_id, pledge_id)
        return None if book is None else status_of(book)

    def sponsor(self, sponsor_id: str) -> SponsorLedgerOut:
        pledges = [status_of(b) for b in self.books.of_sponsor(sponsor_id)]
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

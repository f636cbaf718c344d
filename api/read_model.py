"""Each sponsor's pledges and ledgers, as the API answers them.

The fold itself is ``models.pledge_book``, the one read model of pledges the
city dashboard uses too, so the API and the dashboard cannot disagree about a
pledge; this module only answers from it in the API's shapes. Pure: the Kafka
consumer that feeds it (``api.feed``) is a thin shell.

Books are keyed by (sponsor, pledge): a pledge id another sponsor happens to
use is a different book, and nobody can read a book that is not theirs (an
id that is someone else's answers exactly like an unknown one).

The payers' desks (registrations, bills, refunds, accounts) are
``api.payer_model``'s fold, fed the same events; a pledge's status shows its
payer's refunds in the pledge's region from it.
"""

from __future__ import annotations

from typing import get_args

from api.bodies import PledgeStatusOut, SponsorLedgerOut, SponsorTotals
from api.payer_model import KEEP_MONTHS, PAYER_FACTS, PayerBooks
from infra.repeats import NothingSeen, RecentIds
from models.events import BillLine, Event, PayerBalances
from models.pledge_book import PledgeBook, PledgeBooks, PledgeFact

_FOLDED = (*get_args(PledgeFact), *PAYER_FACTS)
"""What either fold takes (``get_args``: the pledge book names its facts as a union)."""

__all__ = ["ReadModel", "status_of"]


def status_of(book: PledgeBook, account: PayerBalances | None = None) -> PledgeStatusOut:
    """One pledge as ``GET /v1/pledges/{pledge_id}`` answers it; ``account``: its payer's in its region."""
    b, seats = book.balances, book.by_state()
    return PledgeStatusOut(
        **book.money(),
        seats_committed=seats["seats_committed"],
        seats_active=seats["seats_active"],
        not_yet_billed_idr=b.not_yet_billed_idr,
        billed_idr=b.billed_idr,
        due_idr=b.due_idr,
        arrears_idr=b.arrears_idr,
        written_off_idr=b.written_off_idr,
        payer_refunds_owed_idr=0 if account is None else account.refunds_owed_idr,
        payer_refunded_idr=0 if account is None else account.refunded_idr,
        workers_committed=seats["seats_committed"],
        workers_active=seats["seats_active"],
        workers_cancelled=seats["workers_cancelled"],
        workers_lapsed=seats["workers_lapsed"],
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
        valid_from=book.valid_from,
        valid_until=book.valid_until,
        updated_at=book.updated_at,
    )


class ReadModel:
    """The API's view of the pledge books; ``apply`` is the only writer."""

    def __init__(self, keep_months: int | None = KEEP_MONTHS) -> None:
        """``keep_months``: closed months a settled bill keeps its lines (``api.payer_model``)."""
        self._seen = RecentIds()
        """One window of ids for both folds (``infra.repeats``); bill lines are kept out of it."""
        self.books = PledgeBooks(seen=NothingSeen())
        self.payers = PayerBooks(keep_months)

    def apply(self, event: Event) -> bool:
        """Fold one event in; False when it was a repeat or says nothing about a pledge or a payer."""
        if isinstance(event, BillLine):
            return self.payers.apply_first(event)
        if not isinstance(event, _FOLDED) or not self._seen.first(event):
            return False
        pledged = self.books.apply(event) is not None
        paid = isinstance(event, PAYER_FACTS) and self.payers.apply_first(event)
        return paid or pledged

    def ids_held(self) -> int:
        """Event ids held to drop repeats: a window of months, not history."""
        return len(self._seen)

    def _status(self, book: PledgeBook) -> PledgeStatusOut:
        return status_of(book, self.payers.accounts_of(book.payer_id).get(book.region))

    def pledge(self, sponsor_id: str, pledge_id: str) -> PledgeStatusOut | None:
        """The sponsor's own pledge with this id; None when the sponsor has none by that id."""
        book = self.books.book(sponsor_id, pledge_id)
        return None if book is None else self._status(book)

    def sponsor(self, sponsor_id: str) -> SponsorLedgerOut:
        pledges = [self._status(b) for b in self.books.of_sponsor(sponsor_id)]
        return SponsorLedgerOut(
            sponsor_id=sponsor_id,
            totals=SponsorTotals(
                pledges=len(pledges),
                pledged_idr=sum(p.pledged_idr for p in pledges),
                committed_idr=sum(p.committed_idr for p in pledges),
                paid_idr=sum(p.paid_idr for p in pledges),
                returned_idr=sum(p.returned_idr for p in pledges),
                remaining_idr=sum(p.remaining_idr for p in pledges),
                arrears_idr=sum(p.arrears_idr for p in pledges),
                written_off_idr=sum(p.written_off_idr for p in pledges),
                workers_covered=sum(p.workers_covered for p in pledges),
                workers_committed=sum(p.workers_committed for p in pledges),
                workers_active=sum(p.workers_active for p in pledges),
                workers_lapsed=sum(p.workers_lapsed for p in pledges),
                runway_months=max((p.runway_months for p in pledges), default=0),
            ),
            pledges=pledges,
        )

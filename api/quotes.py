"""Quotes: what a pledge would buy if submitted now, from the waiting list the API can see.

A sponsor deciding on an amount wants to know how many workers it covers,
where, at what cost and for how long, before any money moves. The engine's
waiting list is its own state; the API knows it from the topics, folded by
the officer's desk (``api.desk_model``: the list the desk ranks by, in the
matcher's order, life events included), with each worker's district,
occupation, sex and decile.

``quote`` then does what the matcher does with a new pledge: the engine's
own ``check_pledge`` (same policy, same tariff, the API's month) prices the
seats (or refuses the pledge: the quote says so, ``accepted`` False), and
the pledge takes the best waiting workers its targeting admits, up to its
seats. Each month shows what the seats commit and what the covered workers
would be billed (the tariff in force for each one's occupation, as the
matcher bills: ``models.tariff.sponsored_line``); the difference is the
expected ``repriced`` money, back in the pledge's remainder. An open pledge
with free seats never coexists with a waiting worker it admits, so no other
pledge competes for them at that moment. The counts by group go through
``models.disclosure.suppress``; no identity leaves. Pure: ``api.routes`` answers from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from api.bodies import GroupCountsOut, PledgeIn, QuoteMonthOut, QuoteOut
from api.desk_model import Entry, Group
from api.intake import pledge_event
from models.disclosure import suppress
from models.eligibility import CityPolicy, PledgeTerms, Rejection, check_pledge
from models.events.inputs import Targeting
from models.nik import Sex
from models.occupations import Occupation
from models.periods import first_day, period_name, period_of
from models.tariff import Tariff, sponsored_line

__all__ = ["quote", "take"]

def _admits(t: Targeting, bucket: Group) -> bool:
    """``models.matcher.entities.Pledge.admits``: decile 0 (unknown) is never under a decile cap."""
    district, occupation, sex, decile = bucket
    return (
        (t.districts is None or district in t.districts)
        and (t.occupations is None or occupation in t.occupations)
        and (t.sexes is None or sex in t.sexes)
        and (t.max_welfare_decile is None or 0 < decile <= t.max_welfare_decile)
    )


def _counts(keys: Iterable[str], order: tuple[str, ...] = ()) -> GroupCountsOut:
    """Counts by group, the ``order`` groups first (shown even at 0), then the others sorted."""
    counts: dict[str, int] = dict.fromkeys(order, 0)
    for key in sorted(keys):
        counts[key] = counts.get(key, 0) + 1
    shown = suppress(counts)
    return GroupCountsOut(cells=shown.cells, other=shown.other, merged=list(shown.merged), total=shown.total,
                          threshold=shown.threshold)


def _out(body: PledgeIn, terms: PledgeTerms | Rejection, taken: list[Group], waiting: int, now_index: int,
         tariff: Tariff, caught_up: bool, discounts: bool = True) -> QuoteOut:
    if isinstance(terms, Rejection):
        none = PledgeTerms(monthly_premium_idr=0, seat_cost_idr=0, seats=0, capacity_idr=0, remainder_idr=0,
                           opens_index=now_index, until_index=now_index)
        return _out(body, none, [], waiting, now_index, tariff, caught_up, discounts).model_copy(update={
            "accepted": False, "reason": terms.reason.value, "message": terms.message, "months": [],
            "uncommitted_idr": 0})
    covered = len(taken)
    months = [_month(body, terms, taken, m, tariff, discounts)
              for m in range(terms.opens_index, terms.opens_index + body.months)]
    committed = covered * terms.seat_cost_idr
    return QuoteOut(
        accepted=True, reason=None, message=None, region=body.region,
        opens_period=period_name(terms.opens_index), opens_now=terms.opens_index <= now_index,
        monthly_premium_idr=terms.monthly_premium_idr, seat_cost_idr=terms.seat_cost_idr, seats=terms.seats,
        workers_covered=covered, free_seats=terms.seats - covered, committed_idr=committed,
        uncommitted_idr=body.amount_idr - committed, remainder_idr=terms.remainder_idr,
        runway_months=body.months if covered else 0, months=months,
        by_district=_counts(b[0] for b in taken),
        by_occupation=_counts((str(b[1]) for b in taken), tuple(o.value for o in Occupation)),
        by_sex=_counts((str(b[2] or "unknown") for b in taken), tuple(s.value for s in Sex)),
        by_welfare_decile=_counts((str(b[3]) if b[3] else "unknown" for b in taken),
                                  (*(str(d) for d in range(1, 11)), "unknown")),
        waiting_considered=waiting, caught_up=caught_up,
        expected_repriced_idr=sum(m.committed_idr - m.billed_idr for m in months),
    )


def _month(body: PledgeIn, terms: PledgeTerms, taken: list[Group], month: int, tariff: Tariff,
           discounts: bool) -> QuoteMonthOut:
    """One month of the term: committed at the accepted price, billed as the matcher would bill each
    covered worker (``models.tariff.sponsored_line``)."""
    lines = [sponsored_line(tariff, body.package, month, Occupation(b[1]), terms.monthly_premium_idr,
                            discounts=discounts) for b in taken]
    return QuoteMonthOut(
        period=period_name(month), premium_idr=terms.monthly_premium_idr,
        tariff_idr=tariff.sponsored_premium(body.package, first_day(month)),
        committed_idr=len(taken) * terms.monthly_premium_idr, billed_idr=sum(amount for amount, _ in lines),
        discounted_workers=sum(discount is not None for _, discount in lines),
    )


def quote(
    body: PledgeIn, *, sponsor_id: str, waiting: list[tuple[Entry, Group]], policy: CityPolicy,
    tariff: Tariff, now: datetime, caught_up: bool = True,
) -> QuoteOut:
    """What ``body`` would buy if the engine accepted it in ``now``'s month; ``accepted`` False if not."""
    event = pledge_event(body, sponsor_id=sponsor_id, idempotency_key="quote", now=now)
    now_index = period_of(now)
    terms = check_pledge(event, policy, tariff, now_index)
    if isinstance(terms, Rejection):
        return _out(body, terms, [], len(waiting), now_index, tariff, caught_up)
    taken = [bucket for _, bucket in take(waiting, event.targeting, terms.seats)]
    return _out(body, terms, taken, len(waiting), now_index, tariff, caught_up, policy.apply_tariff_discounts)


def take(waiting: list[tuple[Entry, Group]], targeting: Targeting, seats: int) -> list[tuple[Entry, Group]]:
    """The waiting workers a pledge would seat: the first ``seats`` its targeting admits, in list order."""
    taken: list[tuple[Entry, Group]] = []
    for entry, bucket in waiting:
        if len(taken) >= seats:
            break
        if _admits(targeting, bucket):
            taken.append((entry, bucket))
    return taken

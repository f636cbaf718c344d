"""The per-region state machine: applications, pledges and month ticks in; events out.

This docstring is the matching rules as a city reads them; the code is
split by concern: ``transitions`` (``RegionMatcher``: what each input does,
the month close), ``seats`` (committing, starting, cancelling and freeing
seats), ``billing`` (bills, reconciliation, refunds, payer accounts),
``state`` (what a region holds, snapshot and restore), ``entities``
(workers, terms, pledges, bills, payments, refunds, payers),
``waiting_list`` (the priority index), ``exits`` (life events: a worker
withdrawn, a term ended early, its unused months handed on; the rules are
its docstring), ``emit`` (the output events and their ids), ``persistence``
(entities to ``models.records`` and back).

One ``RegionMatcher`` serves one regency/city, the Kafka key of every input,
so matching is serial per region: two workers never race for the last seat
and a pledge is never spent twice. ``handle(event)`` returns a ``Step``: the
events it caused and the records that changed (``models.records`` has the
persistence contract).

The clock. Time moves only by ``MonthTick(period)``, which closes that
month. Before the first tick a region starts in the month of the first
event it sees (its ``event_time`` in UTC; a tick's own period), so the
"current month" is always the month after the last closed one. A tick at or
before the last closed month is ignored; a tick that skips months closes
each skipped month in turn, so a gap in ticks never skips a premium.

Matching rules:

- An eligible worker (``models.eligibility``) with no open seat waits,
  ordered by ``models.priority``.
- A pledge, when accepted and open, takes the highest-priority waiting
  workers its targeting admits, up to its free seats. A pledge whose
  ``valid_from`` lies ahead is accepted as scheduled and opens at the tick
  that reaches that month.
- A worker arriving is matched at once if an open pledge with free seats
  admits them. Consequence, checked by the tests: an open pledge with free
  seats never coexists with a waiting worker it admits.
- Which pledge pays when several could: the one whose validity ends first
  (its unused money would be returned soonest), then the earliest accepted,
  then the smaller pledge key.
- A pledge is its sponsor's: it is identified by ``pledge_key(sponsor_id,
  pledge_id)``. The same sponsor submitting an accepted pledge id again with
  another ``event_id`` is rejected ``duplicate_pledge``; another sponsor's
  pledge with the same ``pledge_id`` is a different, independent pledge, so
  no sponsor learns anything about another's ids or can take one first.
- Seats: ``floor(amount / (monthly premium x months))``, capped by
  ``max_workers``; the monthly premium is the sponsored (lowest) tier in
  force on the first day of the month the pledge opens, undiscounted: what
  a seat commits never depends on who fills it.
- Tariffs over a term (issue 19, ``billing``): each month is billed at the
  tariff in force that month for the worker (the schedule in force on the
  month's first day, less the discount for the occupation the seat was
  committed with; sponsors' money is CSR money, not APBN/APBD;
  ``CityPolicy.apply_tariff_discounts`` off: undiscounted), never above
  the committed price (a dearer schedule mid-term bills the committed
  price: a limitation). A month billed below its committed price gives the
  difference back to the pledge's remainder in the same close (``repriced``,
  one movement per pledge): returned at expiry, at once if the pledge has
  expired, or used by a renewal; an exhausted pledge it gives a full seat
  again reopens at the close's end (step 10). Months not yet billed are
  released at the committed price.
- One NIK is one worker: a second application while waiting or covered is
  rejected ``duplicate_worker`` and changes nothing. Workers are never
  forgotten, so the same NIK stays one worker for the region's lifetime.
  Dedupe here is per region; across regencies the person index
  (``models.persons``) sends a region an application only once the
  person's previous region let them go (the engine's ``moved_out``,
  answered ``person.released``), carrying their benefit clocks
  (``ApplicationSubmitted.carried``): membership continues by the lapse
  rule, and an application whose carried last covered month is not before
  this region's current month is rejected ``covered_elsewhere``.
- Replays: an input whose ``event_id`` was already handled produces nothing.
  Accepted inputs are recognised by their record (worker, pledge, clock);
  rejected ones by a seen marker.

Seats and terms. A match commits the seat's money (``coverage.committed``:
the payer's registration request); cover is not active yet. BPJS answers
(``registrations.v1``): a confirmation (membership number, start date)
makes the term active from the region's current month (a start date in a
closed month still starts it now: Jaring bills from there), and it runs
``months`` months; a rejection cancels the seat (``coverage.cancelled``,
``registration_rejected``), its money is released and the seat goes at
once to the next waiting worker the pledge admits; the rejected worker
does not wait (an officer must check their data) and a new application
for the NIK is a fresh attempt. A seat still unconfirmed at the close of
its ``registration_due_period`` (commit month + ``registration_deadline_months``
- 1) is cancelled (``registration_expired``), released and refilled, and its
worker waits again with their original key. Answers for no seat or a seat
no longer pending are answered ``registration.unmatched``. A pledge's free
seats are bounded by money: ``min(seats - filled, available // seat cost)``;
an exhausted pledge whose freed seat nobody takes reopens
(``pledge.reopened``). A freed seat of an expired pledge is not refilled:
its released money is returned at once.

Renewals keep the worker's BPJS membership: a renewed term is active at
once (``coverage.renewed``), with the same membership number, and needs no
registration.

Bills and payments (``billing``): each close bills every active term one
line for the month closed, on one bill per (payer, region, month), due on
``bill_due_day`` of the next month. A payment (``payments.v1``) is
reconciled against its bill: exact, short, over, unknown reference or
duplicate; money not applied is a refund owed to the payer, settled by
``refund.settled``. A line unpaid at the close after its month is in
arrears; a term whose oldest unpaid line is more than
``lapse_after_unpaid_months`` months old at a close lapses
(``coverage.lapsed``: its unpaid lines written off, its not-yet-billed money
released, its seat freed and refilled, its worker's benefit clocks reset,
and the worker waits again with their original key). An ended term's
lines stay payable for the same window, then are written off.

A month close (tick), in this order:

1. registration deadlines: seats unconfirmed by the end of their due month
   are cancelled, released and refilled (their workers are re-seated or
   wait, after step 7's order);
2. arrears: lines of the month before still unpaid move to arrears (one
   movement per pledge);
3. lapses: terms past the arrears window lapse; ended terms' lines past it
   are written off;
4. billing: every active term gets one line for the month, in start order
   (``bill.line``, at the month's tariff), then each pledge's ``billed``
   and ``repriced`` movements and each payer's ``bill.issued``; a term
   whose last month this was expires;
5. pledges whose ``valid_until`` falls in the closed month expire: free
   seats are released and the uncommitted remainder is returned;
6. scheduled pledges whose ``valid_from`` month is next open;
7. expiring workers, highest priority first (not those a life event took out:
   their term just ends), are renewed on an open pledge
   that admits them (``CoverageRenewed``, the next month, no gap in
   membership), else return to waiting with their original priority key.
   Renewals come before new workers: a gap costs a family its benefit clock
   (JKM's full benefit needs 3 months of unbroken membership);
8. pledges opened in step 6 fill from the waiting list;
9. workers whose seat was cancelled (1) or lapsed (3), highest priority
   first, take an open pledge that admits them, else wait;
10. exhausted pledges whose repriced money (4) pays for a free seat again
   reopen and fill from the waiting list, after the renewals.

Terms: an active term is billed at each of the next ``months`` closes; after
the last it expires. So 1,500 workers covered for 12 months and 12 ticks
give 12 x 1,500 ``bill.line`` events, 12 ``billed`` movements per pledge and
1,500 expiries. Membership stays unbroken across terms unless
``lapse_after_unpaid_months`` (BPJS: 3) consecutive months went without
cover in between, or a term lapsed.
"""

from models.matcher.persistence import Snapshot
from models.matcher.transitions import RegionMatcher, Step

__all__ = ["RegionMatcher", "Snapshot", "Step"]

"""The per-region state machine: applications, pledges and month ticks in; events out.

This docstring is the matching rules as a city reads them; the code is
split by concern: ``transitions`` (``RegionMatcher``: what each input does),
``entities`` (workers, terms, pledges), ``waiting_list`` (the priority
index), ``emit`` (the output events and their ids), ``persistence``
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
  force on the first day of the month the pledge opens.
- One NIK is one worker: a second application while waiting or covered is
  rejected ``duplicate_worker`` and changes nothing. Workers are never
  forgotten, so the same NIK stays one worker for the region's lifetime.
  Dedupe is per region: the same NIK applying in two regencies is two
  workers (the stream layer needs a global pseudonym table to prevent it).
- Replays: an input whose ``event_id`` was already handled produces nothing.
  Accepted inputs are recognised by their record (worker, pledge, clock);
  rejected ones by a seen marker.

A month close (tick), in this order:

1. every active term pays one month (``premium_paid``), in start order;
   a term whose last month this was expires;
2. pledges whose ``valid_until`` falls in the closed month expire: free
   seats are released and the uncommitted remainder is returned;
3. scheduled pledges whose ``valid_from`` month is next open;
4. expiring workers, highest priority first, are renewed on an open pledge
   that admits them (``CoverageRenewed``, the next month, no gap in
   membership), else return to waiting with their original priority key.
   Renewals come before new workers: a gap costs a family its benefit clock
   (JKM's full benefit needs 3 months of unbroken membership);
5. pledges opened in step 3 fill from the waiting list.

Terms: a term starts in the current month (cover starts when registration
is accepted) and pays at each of the next ``months`` closes; after the last
it expires. So 1,500 workers covered for 12 months and 12 ticks give 12 x
1,500 ``premium_paid`` movements and 1,500 expiries. Membership stays
unbroken across terms unless ``lapse_after_unpaid_months`` (BPJS: 3)
consecutive months went unpaid in between.
"""

from models.matcher.persistence import Snapshot
from models.matcher.transitions import RegionMatcher, Step

__all__ = ["RegionMatcher", "Snapshot", "Step"]

"""How fast is the domain core, and how does it scale with the waiting list?

Runs ``RegionMatcher.handle`` over a seeded mixed stream (applications,
pledges, month ticks) on top of a waiting list prefilled to 10k, 100k and 1M
workers, and prints events per second, microseconds per event, how the cost
grows against log(n), and memory per waiting worker (tracemalloc).

The stream is shaped to keep the waiting list near its starting size:
applications (about 1% duplicate NIKs, 2% ineligible) and pledges whose
seats take about as many workers as arrive (a third of them targeted by
district, occupation, sex or welfare decile; some under-funded; 12-month
terms), and a month tick every 100,000 events, which pays every covered
worker. Output volume follows: a seat is 2 events, a paid month 1. The
table therefore also gives the cost per application, per pledge seat and
per term paid at a tick, to recompute any other mix.

BPJS answers every seat, as it does in a running city (``benchmarks.scale``
confirms every seat too): each ``coverage.committed`` gets a
``registration.confirmed`` a few events later (``ANSWER_AFTER``), counted as
an input event; building the answers is not timed. ``--bpjs silent`` keeps
the worst case the figure used to measure: BPJS never answers, so at each
close every seat committed two months before expires unconfirmed and is
refilled, one seat at a time. Payers' payments are not sent: a run spans two
closes, fewer than the three unpaid months after which a term lapses.

"core" times ``handle`` on decoded events, the part this package owns;
"pipeline" adds what the stream layer does around it: decode the bytes,
encode every output and build the changed records. "events/s" is wall
time; "cpu ev/s" is the process's CPU time over the same loop, the figure
to compare on a machine other processes share (wall time there counts
their turns too).

The prefill is frozen (``gc.freeze()``): the waiting list is long-lived
state, not garbage, and collections Python runs as outputs are made would
otherwise walk it. The worker does not freeze its restored state; it runs
a large step (a close, a pledge in a large region) with the cyclic
collector paused instead (``streams.batch.collections_paused``).

    python -m benchmarks.core            # 10k, 100k, 1M (a few minutes)
    python -m benchmarks.core --quick    # 10k, 100k, fewer events
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import sys
import time
import tracemalloc
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models import codec
from models.events import (
    ApplicationSubmitted,
    Channel,
    CoverageCommitted,
    InputEvent,
    MonthTick,
    PledgeSubmitted,
    RegistrationConfirmed,
    Targeting,
)
from models.matcher import RegionMatcher
from models.nik import Sex
from models.occupations import Occupation
from models.periods import last_day, period_index, period_name
from models.tariff import Package

REGION = "74.71"
KEY = b"benchmark-pseudonym-key-0123456789"
DISTRICTS = tuple(f"74.71.{n:02d}" for n in range(1, 12))  # Kota Kendari has 11 districts
OCCUPATIONS = tuple(Occupation)
START = datetime(2025, 1, 6, tzinfo=UTC)
PREMIUM = 16_800
ANSWER_AFTER = 5
"""Input events between a seat's commit and BPJS's confirmation of it."""


class Workload:
    """A seeded generator of valid, realistic-looking input events."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.n = 0
        self.workers = 0
        self.month = period_index("2025-01")
        self.clock = START

    def _nik(self, i: int, district: str, sex: Sex) -> tuple[str, date]:
        birth = date(1970, 1, 1) + timedelta(days=(i // 10_000) % 12_000)
        day = birth.day + (40 if sex is Sex.FEMALE else 0)
        return (
            f"{district.replace('.', '')}{day:02d}{birth.month:02d}{birth.year % 100:02d}{i % 10_000:04d}",
            birth,
        )

    def application(self) -> ApplicationSubmitted:
        rng = self.rng
        self.n += 1
        self.clock += timedelta(seconds=1)
        if self.workers and rng.random() < 0.01:
            i = rng.randrange(self.workers)  # the same NIK again: a duplicate
        else:
            i = self.workers
            self.workers += 1
        district = DISTRICTS[i % len(DISTRICTS)]
        sex = Sex.FEMALE if i % 3 == 0 else Sex.MALE
        nik, birth = self._nik(i, district, sex)
        decile = 9 if rng.random() < 0.02 else rng.choice((None, 1, 2, 3, 4, 5))
        return ApplicationSubmitted(
            event_id=f"a{self.n}",
            event_time=self.clock,
            application_id=f"app{self.n}",
            nik=nik,
            name="Pekerja Contoh",
            birth_date=birth,
            sex=sex,
            regency=REGION,
            district=district,
            occupation=rng.choice(OCCUPATIONS),
            declared_income_idr=1_000_000,
            dependants=rng.randrange(5),
            breadwinner=rng.random() < 0.6,
            welfare_decile=decile,
            disability=rng.random() < 0.05,
            channel=Channel.KIOSK,
            submitted_at=self.clock,
        )

    def pledge(self, mean_seats: int) -> PledgeSubmitted:
        rng = self.rng
        self.n += 1
        seats = rng.randint(0, 2 * mean_seats)
        seat_cost = 12 * PREMIUM
        amount = seats * seat_cost + rng.randrange(seat_cost) if seats else seat_cost // 2
        targeting = Targeting()
        if rng.random() < 0.33:
            kind = rng.randrange(4)
            if kind == 0:
                targeting = Targeting(districts=tuple(rng.sample(DISTRICTS, rng.randint(1, 3))))
            elif kind == 1:
                targeting = Targeting(occupations=(rng.choice(OCCUPATIONS[:3]),))
            elif kind == 2:
                targeting = Targeting(sexes=(Sex.FEMALE,))
            else:
                targeting = Targeting(max_welfare_decile=rng.randint(1, 3))
        return PledgeSubmitted(
            event_id=f"p{self.n}",
            event_time=self.clock,
            pledge_id=f"pledge{self.n}",
            sponsor_id=f"sponsor{rng.randrange(50)}",
            payer_id=f"payer{rng.randrange(50)}",
            region=REGION,
            amount_idr=amount,
            months=12,
            package=Package.JKK_JKM,
            targeting=targeting,
            valid_from=date(2025, 1, 1),
            valid_until=last_day(self.month + rng.randint(0, 11)),
        )

    def tick(self) -> MonthTick:
        self.n += 1
        event = MonthTick(
            event_id=f"t{self.n}", event_time=self.clock, region=REGION, period=period_name(self.month)
        )
        self.month += 1
        return event

    def confirmation(self, seat: CoverageCommitted) -> RegistrationConfirmed:
        """BPJS's answer to a registration request: confirmed, starting today."""
        self.n += 1
        return RegistrationConfirmed(
            event_id=f"r{self.n}",
            event_time=self.clock,
            region=REGION,
            coverage_id=seat.coverage_id,
            payer_id=seat.payer_id,
            membership_number=f"{10**10 + self.n}",
            start_date=self.clock.date(),
        )

    def mixed(self, count: int, tick_every: int, pledge_share: float) -> Iterator[InputEvent]:
        """Applications and pledges balanced to keep the waiting list level, and a tick every so often."""
        mean_seats = max(1, round((1 - pledge_share) / pledge_share))
        for k in range(1, count + 1):
            if k % tick_every == 0:
                yield self.tick()
            elif self.rng.random() < pledge_share:
                yield self.pledge(mean_seats)
            else:
                yield self.application()


@dataclass
class Result:
    size: int
    events: int
    outputs: int
    seconds: float
    cpu_seconds: float
    pool_before: int
    pool_after: int
    pipeline_us: float | None
    per_application_us: float
    per_seat_us: float
    per_paid_term_us: float
    confirmations: int

    @property
    def per_event_us(self) -> float:
        return self.seconds / self.events * 1e6


def prefill(size: int, seed: int) -> tuple[RegionMatcher, Workload]:
    """A matcher whose waiting list holds about ``size`` workers (untimed)."""
    workload = Workload(seed)
    matcher = RegionMatcher(REGION, KEY)
    while matcher.waiting_count() < size:
        matcher.handle(workload.application())
    return matcher, workload


def run_size(
    size: int,
    events: int,
    tick_every: int,
    pledge_share: float,
    seed: int,
    pipeline: bool,
    confirm: bool = True,
) -> Result:
    matcher, workload = prefill(size, seed)
    stream = list(workload.mixed(events, tick_every, pledge_share))
    gc.collect()
    gc.freeze()  # the prefill is long-lived state, not garbage (the module docstring)
    before = matcher.waiting_count()
    outputs = handled = 0
    handle = matcher.handle
    clock, cpu_clock = time.perf_counter, time.process_time
    spent = {"application.submitted": 0.0, "pledge.submitted": 0.0, "month.tick": 0.0}
    spent["registration.confirmed"] = 0.0
    counts = dict.fromkeys(spent, 0)
    seats = paid = 0
    answers: deque[tuple[int, RegistrationConfirmed]] = deque()
    answering = answering_cpu = 0.0  # time spent building BPJS's answers: the benchmark's, not the core's
    started, cpu_started = clock(), cpu_clock()
    for k, planned in enumerate(stream):
        while True:
            event: InputEvent = answers.popleft()[1] if answers and answers[0][0] <= k else planned
            t0 = clock()
            out = handle(event).outputs
            spent[event.type] += clock() - t0
            handled += 1
            outputs += len(out)
            if event.type == "pledge.submitted" or event.type == "month.tick":
                committed = [o for o in out if o.type == "coverage.committed"]
                if event.type == "pledge.submitted":
                    seats += len(committed)
                else:
                    paid += sum(1 for o in out if o.type == "funding.movement")
                if confirm and committed:
                    t0, c0 = clock(), cpu_clock()
                    answers.extend(
                        (k + ANSWER_AFTER, workload.confirmation(o))
                        for o in committed
                        if isinstance(o, CoverageCommitted)
                    )
                    answering += clock() - t0
                    answering_cpu += cpu_clock() - c0
            counts[event.type] += 1
            if event is planned:
                break
    seconds = clock() - started - answering
    cpu_seconds = cpu_clock() - cpu_started - answering_cpu
    pipeline_us = (
        measure_pipeline(matcher, workload, min(events, 20_000), tick_every, pledge_share)
        if pipeline
        else None
    )
    gc.unfreeze()
    return Result(
        size,
        handled,
        outputs,
        seconds,
        cpu_seconds,
        before,
        matcher.waiting_count(),
        pipeline_us,
        per_application_us=spent["application.submitted"] / max(counts["application.submitted"], 1) * 1e6,
        per_seat_us=spent["pledge.submitted"] / max(seats, 1) * 1e6,
        per_paid_term_us=spent["month.tick"] / max(paid, 1) * 1e6,
        confirmations=counts["registration.confirmed"],
    )


def measure_pipeline(
    matcher: RegionMatcher, workload: Workload, events: int, tick_every: int, share: float
) -> float:
    """decode → handle → encode outputs → build changed records, per event."""
    raw = [codec.encode(e) for e in workload.mixed(events, tick_every, share)]
    started = time.perf_counter()
    for message in raw:
        event = codec.decode(message)
        step = matcher.handle(event)  # type: ignore[arg-type]
        for out in step.outputs:
            codec.encode(out)
        for w in step.workers:
            matcher.worker_record(w)
        for p in step.pledges:
            matcher.pledge_record(p)
        if step.clock:
            matcher.clock_record()
    return (time.perf_counter() - started) / events * 1e6


def memory_per_worker(size: int, seed: int) -> float:
    """Bytes of matcher state per waiting worker (tracemalloc over a prefill)."""
    workload = Workload(seed)
    gc.collect()
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    matcher = RegionMatcher(REGION, KEY)
    while matcher.waiting_count() < size:
        matcher.handle(workload.application())
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - baseline
    tracemalloc.stop()
    return used / matcher.waiting_count()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--events", type=int, default=200_000, help="timed events per size")
    parser.add_argument("--tick-every", type=int, default=100_000, help="one month tick per this many events")
    parser.add_argument("--pledge-share", type=float, default=0.1, help="fraction of events that are pledges")
    parser.add_argument("--memory-size", type=int, default=100_000, help="waiting list for the memory figure")
    parser.add_argument("--no-pipeline", action="store_true", help="skip the decode/encode/records figure")
    parser.add_argument("--seed", type=int, default=74_71)
    parser.add_argument(
        "--bpjs",
        choices=("confirms", "silent"),
        default="confirms",
        help="confirms: BPJS confirms every seat a few events after its commit, as in a running city; "
        "silent: the worst case, no answer ever, every seat expires and is refilled at each close",
    )
    parser.add_argument(
        "--gc-threshold",
        type=int,
        default=0,
        help="gen-0 GC threshold (Python's default, 700, when 0); long-lived matcher state makes "
        "frequent young collections costly, a stream process may raise it",
    )
    parser.add_argument("--quick", action="store_true", help="10k and 100k, 50k events: about a minute")
    args = parser.parse_args(argv)
    if args.gc_threshold:
        gc.set_threshold(args.gc_threshold, 50, 100)
    if args.quick:
        args.sizes, args.events, args.memory_size = [10_000, 100_000], 50_000, 20_000
        args.tick_every = 25_000

    print(f"Python {sys.version.split()[0]}; {args.events:,} timed events per size; ", end="")
    print(f"a tick every {args.tick_every:,}; gc thresholds {gc.get_threshold()}")
    if args.bpjs == "confirms":
        print(f"BPJS confirms every seat {ANSWER_AFTER} events after its commit (counted as events)")
    else:
        print("worst case: BPJS silent, every seat expires unconfirmed and is refilled at each close")
    print(
        f"{'waiting':>10} {'events/s':>10} {'cpu ev/s':>9} {'us/event':>9} {'outputs/s':>10} "
        f"{'pipeline us':>12} "
        f"{'us/applic.':>11} {'us/seat':>8} {'us/paid':>8} {'pool after':>11} {'confirmed':>10}"
    )
    results: list[Result] = []
    for size in args.sizes:
        r = run_size(
            size,
            args.events,
            args.tick_every,
            args.pledge_share,
            args.seed,
            not args.no_pipeline,
            confirm=args.bpjs == "confirms",
        )
        results.append(r)
        pipeline = f"{r.pipeline_us:12.1f}" if r.pipeline_us is not None else f"{'-':>12}"
        print(
            f"{r.pool_before:>10,} {r.events / r.seconds:>10,.0f} {r.events / r.cpu_seconds:>9,.0f} "
            f"{r.per_event_us:>9.2f} "
            f"{r.outputs / r.seconds:>10,.0f} {pipeline} {r.per_application_us:>11.2f} "
            f"{r.per_seat_us:>8.2f} {r.per_paid_term_us:>8.2f} {r.pool_after:>11,} {r.confirmations:>10,}"
        )
    print(
        "\nscaling of us/application (cost ratio against log n ratio; ≤ 1.0 x is no worse than logarithmic):"
    )
    for a, b in pairwise(results):
        cost = b.per_application_us / a.per_application_us
        log = math.log(b.pool_before) / math.log(a.pool_before)
        sizes = f"{a.pool_before:>9,} → {b.pool_before:>9,}"
        print(f"  {sizes}: cost x {cost:.2f}, log n x {log:.2f} ({cost / log:.2f} x)")
    per_worker = memory_per_worker(args.memory_size, args.seed)
    print(f"\nmemory: {per_worker:,.0f} bytes per waiting worker (tracemalloc, {args.memory_size:,} workers)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""How much does a month close cost per covered worker, in the core and in the stream layer's encoding?

Builds one region through the real core (``RegionMatcher.handle``, untimed):
about ``--covered`` applications, pledges whose seats take them all (twenty
pledges, ten payers, 12-month terms), and a ``registration.confirmed`` for
every committed seat, so every worker holds an active term. Then times three
month closes, each run as the stream layer runs a large close
(``handle(tick, spill=...)``, ``streams.batch.SPILL_AT`` outputs a chunk),
with every bill paid in full between closes (untimed), so the second and
third closes are the steady state: lines billed, bills paid, no arrears.

Per close it prints the core's time (wall and CPU) and, apart, the
"pipeline": what the stream layer does with each output before the producer
takes it, ``models.topics.route`` and ``models.codec.encode``, timed inside
the spill, and apart "fold": folding it into the region's dashboard
(``RegionStore.absorb``), as the worker does with each delivered chunk.
"us/covered" is the core's CPU time per covered worker (the figure to
compare across runs on a machine other processes share), and "outputs/s"
the core's outputs per CPU second.

Each close runs as the stream layer runs a large step, with Python's
cyclic garbage collector off (``streams.batch.collections_paused``);
``--collect`` leaves it on, to see what that saves (the region is built
live, as a worker that matched it holds it: nothing frozen).

    python -m benchmarks.close --covered 100000
    python -m benchmarks.close --covered 100000 --collect   # the collector on during each close
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.core import KEY, PREMIUM, REGION, Workload
from models import codec
from models.eligibility import KENDARI
from models.events import (
    BillIssued,
    CoverageCommitted,
    OutputEvent,
    PaymentReported,
    PledgeSubmitted,
    RegistrationConfirmed,
    Targeting,
)
from models.matcher import RegionMatcher
from models.tariff import Package
from models.topics import route
from streams.batch import SPILL_AT, collections_paused
from streams.state import RegionStore

PLEDGES = 20
PAYERS = 10


@dataclass
class Close:
    period: str
    outputs: int
    lines: int
    wall: float
    cpu: float
    pipeline_wall: float
    pipeline_cpu: float
    fold_cpu: float


def build(covered: int, seed: int) -> tuple[RegionMatcher, Workload]:
    """A region whose ``covered`` workers (about) each hold an active term; untimed."""
    workload = Workload(seed)
    matcher = RegionMatcher(REGION, KEY)
    while matcher.waiting_count() < covered:
        matcher.handle(workload.application())
    seats = -(-matcher.waiting_count() // PLEDGES)
    answers: list[RegistrationConfirmed] = []
    for k in range(PLEDGES):
        workload.n += 1
        pledge = PledgeSubmitted(
            event_id=f"close-pledge{k}", event_time=workload.clock, pledge_id=f"close-pledge{k}",
            sponsor_id=f"sponsor{k}", payer_id=f"payer{k % PAYERS}", region=REGION,
            amount_idr=seats * 12 * PREMIUM, months=12, package=Package.JKK_JKM, targeting=Targeting(),
            valid_from=date(2025, 1, 1), valid_until=date(2027, 12, 31),
        )
        for out in matcher.handle(pledge).outputs:
            if isinstance(out, CoverageCommitted):
                answers.append(workload.confirmation(out))
    for answer in answers:
        matcher.handle(answer)
    return matcher, workload


def close(
    matcher: RegionMatcher, workload: Workload, store: RegionStore, collect: bool = False
) -> tuple[Close, list[BillIssued]]:
    """One month close, timed as the stream layer runs it; returns its figures and its bills."""
    tick = workload.tick()
    bills: list[BillIssued] = []
    counts = {"outputs": 0, "lines": 0}
    pipeline = [0.0, 0.0, 0.0, 0.0]  # encoding wall, cpu; folding wall, cpu

    def spill(chunk: list[OutputEvent]) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        for out in chunk:
            route(out)
            codec.encode(out)
        pipeline[0] += time.perf_counter() - wall
        pipeline[1] += time.process_time() - cpu
        wall, cpu = time.perf_counter(), time.process_time()
        store.absorb(REGION, chunk)
        pipeline[2] += time.perf_counter() - wall
        pipeline[3] += time.process_time() - cpu
        counts["outputs"] += len(chunk)
        for out in chunk:
            if out.type == "bill.line":
                counts["lines"] += 1
            elif isinstance(out, BillIssued):
                bills.append(out)

    wall, cpu = time.perf_counter(), time.process_time()
    with nullcontext() if collect else collections_paused():
        step = matcher.handle(tick, spill=spill, spill_at=SPILL_AT)
        spill(step.outputs)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return Close(tick.period, counts["outputs"], counts["lines"], wall - pipeline[0] - pipeline[2],
                 cpu - pipeline[1] - pipeline[3], pipeline[0], pipeline[1], pipeline[3]), bills


def pay(matcher: RegionMatcher, workload: Workload, bills: list[BillIssued]) -> None:
    """Every bill paid in full (untimed), so that the next close bills without arrears."""
    for bill in bills:
        workload.clock += timedelta(seconds=1)
        matcher.handle(PaymentReported(
            event_id=f"pay:{bill.bill_id}", event_time=workload.clock, region=REGION,
            payment_id=f"pay-{bill.bill_id.replace(':', '-')}", payer_id=bill.payer_id, bill_id=bill.bill_id,
            amount_idr=bill.total_idr, paid_on=workload.clock.date(), source="topic",
        ))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--covered", type=int, default=100_000, help="covered workers in the region")
    parser.add_argument("--closes", type=int, default=3)
    parser.add_argument("--seed", type=int, default=74_71)
    parser.add_argument("--collect", action="store_true", help="the garbage collector on during each close")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    matcher, workload = build(args.covered, args.seed)
    covered = len(matcher.covered())
    store = RegionStore({}, KEY, KENDARI)  # its dashboard, folding each close's outputs as the worker does
    print(f"Python {sys.version.split()[0]}; {covered:,} covered workers built in "
          f"{time.perf_counter() - started:.0f} s; garbage collector "
          f"{'on' if args.collect else 'off'} during each close, thresholds {gc.get_threshold()}")
    print(f"{'close':>8} {'outputs':>9} {'lines':>9} {'wall s':>7} {'cpu s':>7} {'us/covered':>11} "
          f"{'outputs/s':>10} {'pipeline cpu s':>15} {'pipeline us/out':>16} {'fold us/out':>12}")
    for _ in range(args.closes):
        figures, bills = close(matcher, workload, store, args.collect)
        f = figures
        print(f"{f.period:>8} {f.outputs:>9,} {f.lines:>9,} {f.wall:>7.2f} {f.cpu:>7.2f} "
              f"{f.cpu / covered * 1e6:>11.2f} {f.outputs / f.cpu:>10,.0f} "
              f"{f.pipeline_cpu:>15.2f} {f.pipeline_cpu / max(f.outputs, 1) * 1e6:>16.2f} "
              f"{f.fold_cpu / max(f.outputs, 1) * 1e6:>12.2f}")
        pay(matcher, workload, bills)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

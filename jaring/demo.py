"""``jaring demo``: the Kendari programme through a real broker and a real worker.

Starts a Kafka broker (KRaft, loopback), a ``jaring worker`` and the
``jaring dashboard`` (its URL is printed; open it to watch), then plays
the programme: 1,500 informal workers apply, three sponsors pledge
Rp 302,400,000 between them (JKK+JKM for everyone, twelve months), a
simulated BPJS branch confirms the registrations, and twelve month ticks
bill the premiums, which the payers pay (``jaring.bpjs``): ``payer-0`` on
time, ``payer-1`` two months late (arrears, then paid in full), ``payer-2``
never (its workers' terms lapse after three months of arrears). It reads
every output topic back, as a city dashboard would, checks the invariants
and prints the totals per state.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from deploy.kafka.runner import KafkaCluster, free_port
from infra.settings import Settings
from infra.topic_io import Record, read_until, send_all, until_committed
from jaring.audit import Audit, Reader
from jaring.bpjs import Habits, Simulator
from jaring.processes import ServiceProcess, WorkerProcess
from jaring.scenario import Scenario, kendari
from models.codec import encode
from models.events import (
    AccessRecorded,
    CoverageActivated,
    DeadLetter,
    Event,
    FundingMovement,
    Input,
    MonthTick,
    PayerMovement,
    PaymentReconciled,
    WebhookEvent,
    pledge_key,
)
from models.topics import OUTPUTS, PERSONS, TOPICS, Role, route

__all__ = [
    "DEMO_HABITS", "ENGINE_READS", "OUTPUT_TOPICS", "Answered", "answer", "close_months", "engine_caught_up",
    "feed", "outputs_until", "play", "run_demo",
]

DEMO_HABITS = Habits(late={"payer-1": 2}, never=frozenset({"payer-2"}))
"""Most bills paid on time; one payer two months late; one never."""

OUTPUT_TOPICS = tuple(t.name for t in OUTPUTS)
"""Every topic the workers write for others, dead letters included."""
ENGINE_READS = tuple(t.name for t in TOPICS if t.role in (Role.INPUT, Role.INTERNAL) or t is PERSONS)
"""Every topic the workers consume: the inputs (router), the region log (matcher), the person claims and
the regions' answers to moves (the person index)."""


async def feed(settings: Settings, events: Sequence[Input]) -> None:
    """Produce inputs to their topics, keyed by region, as kiosks, sponsors and the clock would."""
    by_topic: dict[str, list[tuple[bytes | None, bytes]]] = {}
    for event in events:
        topic, key = route(event)
        by_topic.setdefault(topic, []).append((key, encode(event)))
    for topic, records in by_topic.items():
        await send_all(settings, settings.topic(topic), records)


async def engine_caught_up(settings: Settings, timeout: float = 300.0) -> None:
    """Wait until the workers have committed every record they read: all they caused is on the broker."""
    await until_committed(settings, settings.engine_group, [settings.topic(t) for t in ENGINE_READS], timeout)


async def outputs_until(
    settings: Settings,
    done: Callable[[Reader], bool],
    timeout: float = 180.0,
    applications: int | None = None,
) -> Audit:
    """Read every output topic from the start until ``done(reader)``; then audit everything read."""
    reader = Reader()
    topics = [settings.topic(t) for t in OUTPUT_TOPICS]
    await read_until(settings, topics, lambda _: done(reader), timeout, reader.add)
    return reader.audit(applications)


class Answered:
    """What BPJS and the payers have read of the output topics, and so answered: each output once.

    They read on from where they stopped on each partition, so a month's
    answers cost that month's outputs, not every output since the start
    (decoding is most of a read's time, and the topics only grow). ``reader``
    holds everything read, audited on demand.
    """

    def __init__(self) -> None:
        self.reader = Reader()
        self._next: dict[tuple[str, int], int] = {}
        self._fresh: list[Event] = []

    def take(self, record: Record) -> None:
        """Keep ``record`` if it is past where the last read stopped on its partition."""
        where = (record.topic, record.partition)
        if record.offset < self._next.get(where, 0):
            return
        self._next[where] = record.offset + 1
        events = self.reader.result.events
        before = len(events)
        self.reader.add(record)  # a repeat of an event id is dropped here (and checked byte for byte)
        self._fresh.extend(events[before:])

    def fresh(self) -> list[Event]:
        """The distinct outputs read since the last call."""
        fresh, self._fresh = self._fresh, []
        return fresh


async def _answer_all(settings: Settings, simulator: Simulator, answered: Answered) -> None:
    topics = [settings.topic(t) for t in OUTPUT_TOPICS]
    while True:
        await engine_caught_up(settings)
        await read_until(settings, topics, lambda _: True, 180.0, answered.take)
        replies = simulator.answer([e for e in answered.fresh()
                                    if not isinstance(e, DeadLetter | AccessRecorded | WebhookEvent | Input)])
        if not replies:
            return
        await feed(settings, replies)


async def answer(settings: Settings, simulator: Simulator, answered: Answered) -> Audit:
    """BPJS and the payers read what the engine said and answer, until nothing is left to answer.

    Reads every output topic to its end, hands the outputs not read before to
    ``simulator`` (registration requests are answered at once, bills noted for
    payment), sends its answers, and waits until the engine has handled them.
    Returns the audit of everything read so far.
    """
    await _answer_all(settings, simulator, answered)
    return answered.reader.audit()


async def close_months(
    settings: Settings, simulator: Simulator, answered: Answered, ticks: Sequence[Input]
) -> None:
    """Each month: the payments made during it, then its ticks; then BPJS and the payers answer.

    The payments are handled before the ticks are sent: the payments and clock topics have no
    order between them, and a tick sequenced first would put paid lines into arrears. The
    ticks of one month (one per region) go together, as one produce, and so do their payments:
    regions share nothing, and a month's bills are only known once the month before is closed.
    """
    months: dict[str, list[MonthTick]] = {}
    for tick in ticks:
        assert isinstance(tick, MonthTick)
        months.setdefault(tick.period, []).append(tick)
    for period, closing in months.items():
        payments = [p for tick in closing for p in simulator.payments_before_close(tick.region, period)]
        if payments:
            await feed(settings, payments)
            await engine_caught_up(settings)
        await feed(settings, closing)
        await _answer_all(settings, simulator, answered)


async def play(
    settings: Settings, scenario: Scenario, say: Callable[[str], None], habits: Habits = DEMO_HABITS
) -> Audit:
    """Applications, then pledges, then BPJS's answers, then month ticks with payments, each read back."""
    n = len(scenario.applications)
    simulator, answered = Simulator(habits), Answered()
    started = time.monotonic()
    await feed(settings, scenario.applications)
    await outputs_until(settings, lambda r: r.accounted >= n)
    say(f"{n} applications accounted for in {time.monotonic() - started:.1f}s")
    started = time.monotonic()
    await feed(settings, scenario.pledges)
    matched = min(scenario.seats, n)
    await outputs_until(settings, lambda r: r.result.counts["coverage.committed"] >= matched)
    say(f"{len(scenario.pledges)} pledges matched {matched} workers in {time.monotonic() - started:.1f}s")
    started = time.monotonic()
    await answer(settings, simulator, answered)
    say(f"BPJS confirmed {matched} registrations in {time.monotonic() - started:.1f}s")
    started = time.monotonic()
    await close_months(settings, simulator, answered, scenario.ticks)
    final = await outputs_until(settings, lambda _: True, applications=n)
    say(f"{len(scenario.ticks)} months billed, paid and closed in {time.monotonic() - started:.1f}s")
    return final


def _rupiah(amount: int) -> str:
    return f"Rp {amount:,}"


_STATES = ("pledged", "committed", "billed", "paid", "due", "arrears", "written_off", "returned")


def report(audit: Audit) -> list[str]:
    activations = [e for e in audit.events if isinstance(e, CoverageActivated)]
    movements = [e for e in audit.events if isinstance(e, FundingMovement)]
    last = {pledge_key(m.sponsor_id, m.pledge_id): m.balances for m in movements}
    total = {state: sum(getattr(b, f"{state}_idr") for b in last.values()) for state in _STATES}
    outcomes = Counter(e.outcome for e in audit.events if isinstance(e, PaymentReconciled))
    accounts = {e.payer_id: e.balances for e in audit.events if isinstance(e, PayerMovement)}
    lines = [
        f"seats committed: {audit.counts['coverage.committed']}, "
        f"registrations confirmed: {len(activations)}, terms lapsed: {audit.counts['coverage.lapsed']}",
        f"bills issued: {audit.counts['bill.issued']} ({audit.counts['bill.line']} lines); payments: "
        + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())),
        "money by state: " + ", ".join(f"{state} {_rupiah(total[state])}" for state in _STATES),
        f"coverage expired at term end: {audit.counts['coverage.expired']}",
        "pledges (pledged / committed / billed / paid / in arrears / written off / returned):",
    ]
    for pledge, b in sorted(last.items()):
        lines.append(f"  {pledge}: " + " / ".join(_rupiah(getattr(b, f"{state}_idr")) for state in (
            "pledged", "committed", "billed", "paid", "arrears", "written_off", "returned")))
    lines.append("payers (received / applied / refunds owed / refunded):")
    for payer, a in sorted(accounts.items()):
        lines.append(f"  {payer}: {_rupiah(a.received_idr)} / {_rupiah(a.applied_idr)} / "
                     f"{_rupiah(a.refunds_owed_idr)} / {_rupiah(a.refunded_idr)}")
    by_job = Counter(str(e.occupation) for e in activations)
    lines.append("covered by occupation: " + ", ".join(f"{k} {v}" for k, v in by_job.most_common()))
    by_district = Counter(e.district for e in activations)
    lines.append("covered by district:   " + ", ".join(f"{k} {v}" for k, v in sorted(by_district.items())))
    lines.append(f"audit: {audit.summary()}")
    return lines


def run_demo(workers: int = 1_500, keep_running: bool = False) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="jaring-demo-"))
    with KafkaCluster(size=1, workdir=workdir / "kafka") as cluster:
        bootstrap = cluster.bootstrap_servers
        print(f"Kafka ready at {bootstrap} (logs in {workdir})", flush=True)
        env = {
            "JARING_KAFKA_BOOTSTRAP": bootstrap,
            "JARING_WEB_PORT": str(free_port()),
            "JARING_DATA_DIR": str(workdir / "worker-data"),
        }
        worker = WorkerProcess(env=env, log_path=workdir / "worker.log")
        started = time.monotonic()
        worker.start()
        print(f"worker ready in {time.monotonic() - started:.1f}s", flush=True)
        settings = Settings(kafka_bootstrap=bootstrap)
        dashboard = ServiceProcess(
            ["dashboard"], env={"JARING_KAFKA_BOOTSTRAP": bootstrap}, log_path=workdir / "dashboard.log",
            ready_url=f"http://127.0.0.1:{settings.dashboard_port}/healthz",
        )
        try:
            dashboard.start()
            print(f"dashboard: http://{settings.dashboard_host}:{settings.dashboard_port}/ "
                  "(English: ?lang=en)", flush=True)
            audit = asyncio.run(play(settings, kendari(workers), lambda s: print(s, flush=True)))
            print("\n".join(report(audit)), flush=True)
            if keep_running:
                print(f"broker {bootstrap}, worker and dashboard running; Ctrl-C to stop", flush=True)
                while worker.running and dashboard.running:
                    time.sleep(1)
            return 0 if audit.ok else 1
        except KeyboardInterrupt:
            return 0
        finally:
            dashboard.stop()
            worker.stop()

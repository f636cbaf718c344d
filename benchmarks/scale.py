"""One regency of N covered workers on one real broker and one real worker process.

Drives a ``jaring worker`` only through its external interface, as a city
would: topics (inputs produced, outputs read, the engine's consumer-group
offsets), its command line and environment (``JARING_STORE`` from
``--store``), its log's readiness line and its /proc entry. It imports
nothing of the engine (``streams``), so it measures whatever persistence
the engine has, before and after a rewrite.

The run, for one regency (Kota Kendari, its 11 real districts, valid NIKs
from ``jaring.scenario``):

1. intake: N applications, pre-encoded, sent by a raw producer (acks=all,
   large batches); **intake rate** = N / (first send → broker timestamp of
   the output that decided the last one, ``application.waiting|rejected``);
2. match: pledges paying N seats; **time to match** = first pledge sent →
   broker timestamp of the N-th ``coverage.committed``;
3. BPJS confirms every committed seat (registrations topic, ``jaring.bpjs``),
   so all N are covered (N ``coverage.activated``); not a headline figure;
4. three month closes; before each, the payer pays every bill issued so far
   (payments topic) and the worker has committed them. **A close's time** is
   from the tick's send to the first moment the engine's consumer group has
   committed every input and region-log record, the tick's included (polled
   every 0.1 s): the worker commits an input only once all it caused is on
   the broker, so the close is then complete. The close's last output (the
   latest broker timestamp among the output records written after the tick)
   is reported beside it;
5. SIGKILL the worker (after the next month's payments are committed),
   restart it on the same data directory, and report the time until it logs
   it is ready and until the next close (sent as soon as it is ready) is
   complete, as defined above.

The worker's VmRSS and VmHWM (its peak, since it started) are read from
/proc/<pid>/status after intake, after each close, when the restarted
worker is ready and after its close (and once, idle, before intake); RSS
per covered worker is the last RSS over N (and, beside it, the last RSS less
the idle worker's, over N: what the regency itself costs). The changelogs'
size on disk is the allocated blocks of the broker's log directories of the
engine's ``*-changelog`` topics.

    python -m benchmarks.scale --workers 100000 --store memory://
    python -m benchmarks.scale --workers 2000 --json scale.json

With ``--bootstrap`` it uses a running broker instead of starting one
(``--kafka-log-dir`` names that broker's log directory, for the changelog's
size). Prints a table; ``--json FILE`` writes every figure. Timings on a
shared machine are noisy; nothing here asserts one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import RecordMetadata

from deploy.kafka.runner import KAFKA_VERSION, KafkaCluster, free_port
from infra.settings import Settings
from jaring.bpjs import Simulator
from jaring.processes import WorkerProcess
from jaring.scenario import KENDARI, each_application, month_ticks, pledges
from models.codec import decode, encode, kept
from models.events import BillIssued, CoverageCommitted, Input, MonthTick
from models.topics import APPLICATIONS, COVERAGE, INPUTS, OUTPUTS, PAYMENTS, PLEDGES, REGISTRATIONS, route

__all__ = ["Run", "changelog_sizes", "machine", "main", "memory", "run"]

CLOSES = 3
"""Month closes before the SIGKILL; one more follows the restart."""
PLEDGE_COUNT = 4
"""Pledges sharing the N seats (sponsors and payers ``n % 3``: three payers pay the bills)."""
DECIDED = ("application.waiting", "application.rejected")
INTAKE_START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
"""The first application's time; the month ticks start in its month."""
CHUNK = 20_000
"""Answers (registrations) sent per batch while the coverage topic is scanned."""


def machine() -> dict[str, Any]:
    """Cores, CPU model, RAM and Python of this machine (Linux's /proc where it has one)."""
    cpu = "unknown"
    with contextlib.suppress(OSError, StopIteration):
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        cpu = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    return {
        "cores": os.cpu_count(), "cpu": cpu,
        "ram_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
        "python": platform.python_version(), "platform": platform.platform(),
    }


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in bytes, from /proc/<pid>/status."""
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) * 1024  # reported in kB
    return {"rss_bytes": found["VmRSS"], "hwm_bytes": found["VmHWM"]}


_PARTITION_DIR = re.compile(r"^(?P<topic>.+)-(?P<partition>\d+)$")


def changelog_sizes(log_dir: Path, group: str) -> dict[str, int]:
    """Bytes on disk (allocated blocks) of each ``{group}-*-changelog`` topic in a broker's log directory.

    Blocks, not file sizes: Kafka presizes its index files sparsely, so their
    length says nothing of what they hold.
    """
    sizes: Counter[str] = Counter()
    for entry in os.scandir(log_dir):
        match = _PARTITION_DIR.match(entry.name)
        if not (entry.is_dir() and match and match["topic"].startswith(f"{group}-")
                and match["topic"].endswith("-changelog")):
            continue
        for file in os.scandir(entry.path):
            if file.is_file():
                sizes[match["topic"]] += file.stat().st_blocks * 512
    return dict(sorted(sizes.items()))


class Tap:
    """A reader of topics from their start, without a group, kept open across the run's phases.

    Counts each record by its ``type`` and keeps the latest broker timestamp
    per type and since the last ``mark``; ``on_value`` sees each value once.
    """

    def __init__(self, bootstrap: str, topics: Sequence[str],
                 on_value: Callable[[str, bytes], None] | None = None) -> None:
        self.consumer = AIOKafkaConsumer(
            *topics, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
            enable_auto_commit=False, isolation_level="read_committed", max_poll_records=20_000,
        )
        self.on_value = on_value
        self.counts: Counter[str] = Counter()
        self.last_ms: dict[str, int] = {}
        self.positions: dict[TopicPartition, int] = {}
        self.since_mark = 0
        self.last_ms_since_mark = 0

    async def __aenter__(self) -> Tap:
        await self.consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.consumer.stop()

    def mark(self) -> None:
        """Count from here: what ``since_mark`` and ``last_ms_since_mark`` describe."""
        self.since_mark, self.last_ms_since_mark = 0, 0

    def count(self, *kinds: str) -> int:
        return sum(self.counts[k] for k in kinds)

    async def poll(self) -> None:
        batch = await self.consumer.getmany(timeout_ms=200)
        for tp, messages in batch.items():
            for message in messages:
                value = message.value or b""
                kind = str(orjson.loads(value).get("type", "")) if value else ""
                self.counts[kind] += 1
                self.last_ms[kind] = max(self.last_ms.get(kind, 0), message.timestamp)
                self.since_mark += 1
                self.last_ms_since_mark = max(self.last_ms_since_mark, message.timestamp)
                if self.on_value is not None:
                    self.on_value(kind, value)
            if messages:
                self.positions[tp] = messages[-1].offset + 1

    async def until(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        """Read until ``done()`` holds and every partition is read to its end as it was then."""
        deadline = time.monotonic() + timeout
        while True:
            await self.poll()
            if done() and await self.caught_up():
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"scale_timeout: {what} not seen within {timeout:.0f}s; "
                                   f"read so far: {dict(self.counts)}")

    async def caught_up(self) -> bool:
        ends = await self.consumer.end_offsets(list(self.consumer.assignment()))
        return all(self.positions.get(tp, 0) >= end for tp, end in ends.items())


class Sender:
    """A raw producer of pre-encoded records: acks=all, idempotent, large batches."""

    def __init__(self, bootstrap: str) -> None:
        self.producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=20,
            max_batch_size=1 << 20, max_request_size=8 << 20,
        )

    async def __aenter__(self) -> Sender:
        await self.producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.producer.stop()

    async def send(self, topic: str, records: Iterable[tuple[bytes | None, bytes]]) -> list[RecordMetadata]:
        """Send every record, then wait for every acknowledgement; the metadata in order."""
        futures = [await self.producer.send(topic, value, key=key) for key, value in records]
        return list(await asyncio.gather(*futures))


def encoded(settings: Settings, events: Iterable[Input]) -> Iterator[tuple[str, bytes | None, bytes]]:
    """Each input's topic (under the namespace), key and wire bytes: what a city's producer sends."""
    for event in events:
        topic, key = route(event)
        yield settings.topic(topic), key, encode(event)


class Engine:
    """The engine's consumer group as the broker sees it: its committed offsets against the ends."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
        self.probe = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap)
        self.inputs: list[TopicPartition] = []

    async def __aenter__(self) -> Engine:
        await self.admin.start()
        await self.probe.start()
        described = await self.admin.describe_topics([self.settings.topic(t.name) for t in INPUTS])
        self.inputs = [TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.probe.stop()
        await self.admin.close()

    async def behind(self) -> int:
        """Records of the input topics and of every topic the group has committed on, not committed yet."""
        committed = await self.admin.list_consumer_group_offsets(self.settings.engine_group)
        partitions = sorted(set(committed) | set(self.inputs))
        ends = await self.probe.end_offsets(partitions)
        return sum(end - (committed[tp].offset if tp in committed else 0) for tp, end in ends.items())

    async def caught_up(self, timeout: float, what: str) -> float:
        """Wait until nothing is left uncommitted; return the wall-clock time it was seen (``time.time``)."""
        deadline = time.monotonic() + timeout
        while (left := await self.behind()) > 0:
            if time.monotonic() > deadline:
                raise TimeoutError(f"scale_timeout: {what}: {left} records uncommitted after {timeout:.0f}s")
            await asyncio.sleep(0.1)
        return time.time()

    async def joined(self, timeout: float) -> None:
        """Wait until the group is Stable with a member: the clock starts with consumers assigned."""
        deadline = time.monotonic() + timeout
        while True:
            (response,) = await self.admin.describe_consumer_groups([self.settings.engine_group])
            (group,) = response.to_object()["groups"]
            if group["state"] == "Stable" and group["members"]:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"scale_timeout: group {self.settings.engine_group} is {group['state']}")
            await asyncio.sleep(0.2)


@dataclass
class Run:
    """Everything measured, in the shape ``--json`` writes."""

    workers: int
    store: str
    machine: dict[str, Any]
    kafka: str
    figures: dict[str, Any] = field(default_factory=dict)
    memory: list[dict[str, Any]] = field(default_factory=list)

    def snapshot(self, after: str, pid: int) -> dict[str, int]:
        taken = memory(pid)
        self.memory.append({"after": after, **taken})
        return taken

    def as_json(self) -> dict[str, Any]:
        return {"workers": self.workers, "store": self.store, "machine": self.machine, "kafka": self.kafka,
                **self.figures, "memory": self.memory}


def _seconds(value: float) -> float:
    return round(value, 3)


def create_topics(settings: Settings) -> None:
    """Every topic the worker declares, created as an operator would (``jaring topics create``)."""
    env = {**os.environ, "JARING_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
           "JARING_NAMESPACE": settings.namespace}
    subprocess.run([sys.executable, "-m", "jaring", "topics", "create"], env=env, check=True,
                   capture_output=True, timeout=300)


async def close_month(
    settings: Settings, sender: Sender, engine: Engine, tap: Tap, tick: MonthTick, timeout: float,
) -> dict[str, Any]:
    """Send one tick and wait until the close is complete (see the module); its figures."""
    await tap.until(lambda: True, timeout, "every output before the tick")  # the worker is idle
    tap.mark()
    lines_before = tap.count("bill.line")
    ((topic, key, value),) = encoded(settings, [tick])
    sent = time.time()
    (ack,) = await sender.send(topic, [(key, value)])
    done = await engine.caught_up(timeout, f"close of {tick.period}")
    await tap.until(lambda: True, timeout, "the close's outputs")
    return {
        "period": tick.period,
        "seconds": _seconds(done - sent),
        "last_output_seconds": _seconds((tap.last_ms_since_mark - ack.timestamp) / 1000)
        if tap.since_mark else None,
        "outputs": tap.since_mark,
        "bill_lines": tap.count("bill.line") - lines_before,
    }


async def register_all(settings: Settings, sender: Sender, simulator: Simulator, expected: int,
                       timeout: float) -> int:
    """BPJS answers every ``coverage.committed`` on the coverage topic; returns how many it answered."""
    pending: list[tuple[bytes | None, bytes]] = []
    answered = 0

    def answer(kind: str, value: bytes) -> None:
        if kind == "coverage.committed" and isinstance(seat := decode(value), CoverageCommitted):
            pending.extend((key, raw) for _, key, raw in encoded(settings, simulator.answer([seat])))

    registrations = settings.topic(REGISTRATIONS.name)
    async with Tap(settings.kafka_bootstrap, [settings.topic(COVERAGE.name)], answer) as scan:
        deadline = time.monotonic() + timeout
        while scan.count("coverage.committed") < expected or pending:
            await scan.poll()
            if len(pending) >= CHUNK or (pending and scan.count("coverage.committed") >= expected):
                answered += len(await sender.send(registrations, pending))
                pending.clear()
            if time.monotonic() > deadline:
                raise TimeoutError(f"scale_timeout: {answered} registrations answered in {timeout:.0f}s")
    return answered


def note_bills(simulator: Simulator, bills: list[bytes]) -> None:
    """Hand the bills issued so far to the payers (they pay each in the month after it)."""
    simulator.answer([bill for raw in bills if isinstance(bill := decode(raw), BillIssued)])
    bills.clear()


async def pay(settings: Settings, sender: Sender, engine: Engine, simulator: Simulator, period: str,
              timeout: float) -> int:
    """The payments made up to ``period``'s close, sent and committed by the worker; how many."""
    payments = simulator.payments_before_close(KENDARI, period)
    if payments:
        await sender.send(settings.topic(PAYMENTS.name), [(k, v) for _, k, v in encoded(settings, payments)])
        await engine.caught_up(timeout, f"payments before {period}")
    return len(payments)


async def run(args: argparse.Namespace, bootstrap: str, log_dir: Path | None, kafka: str,
              workdir: Path, say: Callable[[str], None]) -> Run:
    n: int = args.workers
    budget = args.timeout or 600.0 + n / 50  # seconds per phase: generous, only to end a stuck run
    settings = Settings(kafka_bootstrap=bootstrap, namespace=args.namespace)
    result = Run(n, args.store, machine(), kafka)
    say(f"generating {n:,} applications ...")
    first, spacing = INTAKE_START, timedelta(seconds=1)
    last = first + spacing * (n - 1)  # each_application submits them ``spacing`` apart from ``first``
    # Encoded one at a time and kept at their size: a million applications held as models and
    # orjson's 4 KiB buffers took 8 GB of this process.
    app_records = [(k, kept(v)) for _, k, v in encoded(settings, each_application(
        n, start=first, spacing=spacing))]
    share, extra = divmod(n, PLEDGE_COUNT)
    seats = [share + (1 if i < extra else 0) for i in range(min(PLEDGE_COUNT, n))]
    offers = pledges(seats, start=last + timedelta(hours=1), valid_days=120)
    ticks = month_ticks(f"{first:%Y-%m}", CLOSES + 1)
    pledge_records = [(k, v) for _, k, v in encoded(settings, offers)]
    create_topics(settings)
    worker = WorkerProcess(
        env={"JARING_KAFKA_BOOTSTRAP": bootstrap, "JARING_NAMESPACE": settings.namespace,
             "JARING_WEB_PORT": str(free_port()), "JARING_DATA_DIR": str(workdir / "worker-data"),
             "JARING_STORE": args.store, "JARING_LOG_LEVEL": "info"},
        log_path=workdir / "worker.log",
    )
    simulator = Simulator()
    bills: list[bytes] = []

    def keep_bill(kind: str, value: bytes) -> None:
        if kind == "bill.issued":
            bills.append(value)

    say(f"starting the worker (store {args.store}, log {worker.log_path}) ...")
    worker.start(ready_timeout=budget)
    try:
        async with (Sender(bootstrap) as sender, Engine(settings) as engine,
                    Tap(bootstrap, [settings.topic(t.name) for t in OUTPUTS], keep_bill) as tap):
            await engine.joined(budget)
            assert worker.process is not None
            result.snapshot("start (ready, idle)", worker.process.pid)
            started = time.time()
            await sender.send(settings.topic(APPLICATIONS.name), app_records)
            del app_records
            await tap.until(lambda: tap.count(*DECIDED) >= n, budget, f"{n} decisions")
            decided_s = max(tap.last_ms.get(k, 0) for k in DECIDED) / 1000 - started
            await engine.caught_up(budget, "intake")
            result.figures["intake"] = {
                "applications": n, "waiting": tap.count("application.waiting"),
                "rejected": tap.count("application.rejected"),
                "seconds": _seconds(decided_s), "per_second": round(n / decided_s, 1),
            }
            result.snapshot("intake", worker.process.pid)
            say(f"intake: {n:,} decided in {decided_s:.1f}s ({n / decided_s:,.0f}/s)")

            started = time.time()
            await sender.send(settings.topic(PLEDGES.name), pledge_records)
            await tap.until(lambda: tap.count("coverage.committed") >= n, budget, f"{n} committed seats")
            match_s = tap.last_ms["coverage.committed"] / 1000 - started
            await engine.caught_up(budget, "matching")
            result.figures["match"] = {"pledges": len(pledge_records), "seats_committed":
                                       tap.count("coverage.committed"), "seconds": _seconds(match_s)}
            say(f"match: {tap.count('coverage.committed'):,} seats committed in {match_s:.1f}s")

            started = time.time()
            answered = await register_all(settings, sender, simulator, n, budget)
            await tap.until(lambda: tap.count("coverage.activated") >= n, budget, f"{n} activations")
            await engine.caught_up(budget, "registrations")
            result.figures["registrations"] = {
                "confirmed": answered, "covered": tap.count("coverage.activated"),
                "seconds": _seconds(time.time() - started),
            }
            say(f"BPJS confirmed {answered:,}; covered {tap.count('coverage.activated'):,}")

            closes = []
            for tick in ticks[:CLOSES]:
                note_bills(simulator, bills)
                paid = await pay(settings, sender, engine, simulator, tick.period, budget)
                close = await close_month(settings, sender, engine, tap, tick, budget)
                taken = result.snapshot(f"close {tick.period}", worker.process.pid)
                close.update(payments_before=paid, **taken)
                closes.append(close)
                say(f"close {tick.period}: {close['seconds']:.1f}s, {close['bill_lines']:,} bill lines, "
                    f"RSS {close['rss_bytes'] / 2**20:,.0f} MiB (peak {close['hwm_bytes'] / 2**20:,.0f})")
            result.figures["closes"] = closes

            last = ticks[CLOSES]
            note_bills(simulator, bills)
            paid = await pay(settings, sender, engine, simulator, last.period, budget)
            worker.kill()
            killed = time.time()
            worker.start(ready_timeout=budget)
            ready_s = time.time() - killed
            result.snapshot("restart ready", worker.process.pid)
            say(f"SIGKILL, restart: ready in {ready_s:.1f}s")
            close = await close_month(settings, sender, engine, tap, last, budget)
            until_close_s = time.time() - killed
            close.update(payments_before=paid, **result.snapshot(f"recovery close {last.period}",
                                                                  worker.process.pid))
            result.figures["recovery"] = {"ready_seconds": _seconds(ready_s),
                                          "until_close_seconds": _seconds(until_close_s), "close": close}
            say(f"recovery close {last.period}: {close['seconds']:.1f}s after its tick, "
                f"{until_close_s:.1f}s after the SIGKILL")
            result.figures["covered"] = tap.count("coverage.activated") - tap.count(
                "coverage.lapsed", "coverage.cancelled", "coverage.expired")
    finally:
        worker.stop()
    sizes = changelog_sizes(log_dir, settings.engine_group) if log_dir is not None else None
    result.figures["changelog"] = None if sizes is None else {
        "topics": sizes, "total_bytes": sum(sizes.values()),
        "region_state_bytes": sum(v for k, v in sizes.items() if "region-state" in k),
    }
    final = result.memory[-1]
    result.figures["rss_per_covered_worker_bytes"] = round(final["rss_bytes"] / n, 1)
    result.figures["peak_per_covered_worker_bytes"] = round(max(m["hwm_bytes"] for m in result.memory) / n, 1)
    result.figures["rss_growth_per_covered_worker_bytes"] = round(
        (final["rss_bytes"] - result.memory[0]["rss_bytes"]) / n, 1)
    return result


def _mib(value: int) -> str:
    return f"{value / 2**20:,.0f} MiB"


def table(result: Run) -> list[tuple[str, str]]:
    f, m = result.figures, result.machine
    rows = [
        ("machine", f"{m['cores']} cores ({m['cpu']}), {m['ram_bytes'] / 2**30:.0f} GiB, "
                    f"Python {m['python']}, {result.kafka}"),
        ("regency", f"{result.workers:,} covered workers wanted, store {result.store}"),
        ("intake", f"{f['intake']['per_second']:,.0f} applications/s ({f['intake']['seconds']:.1f} s; "
                   f"{f['intake']['waiting']:,} waiting, {f['intake']['rejected']:,} rejected)"),
        ("time to match", f"{f['match']['seconds']:.1f} s ({f['match']['seats_committed']:,} seats)"),
        ("covered (BPJS confirmed)", f"{f['registrations']['covered']:,} "
                                     f"(answers took {f['registrations']['seconds']:.1f} s)"),
    ]
    for n, close in enumerate(f["closes"], 1):
        rows.append((f"close {n} ({close['period']})", _close(close)))
    rec = f["recovery"]
    rows.append(("SIGKILL → restarted worker ready", f"{rec['ready_seconds']:.1f} s"))
    rows.append((f"SIGKILL → next close complete ({rec['close']['period']})",
                 f"{rec['until_close_seconds']:.1f} s; the close: {_close(rec['close'])}"))
    for snap in result.memory:
        rows.append((f"worker RSS after {snap['after']}", f"{_mib(snap['rss_bytes'])} "
                                                           f"(peak {_mib(snap['hwm_bytes'])})"))
    rows.append(("RSS per covered worker (last; peak; last above the idle worker's)",
                 f"{f['rss_per_covered_worker_bytes']:,.0f} B; {f['peak_per_covered_worker_bytes']:,.0f} B; "
                 f"{f['rss_growth_per_covered_worker_bytes']:,.0f} B"))
    log = f["changelog"]
    rows.append(("changelogs on disk", "unknown (no --kafka-log-dir)" if log is None else
                 f"{_mib(log['total_bytes'])} (region state {_mib(log['region_state_bytes'])})"))
    return rows


def _close(close: dict[str, Any]) -> str:
    last = close["last_output_seconds"]
    return (f"{close['seconds']:.1f} s (last output at {last:.1f} s; {close['outputs']:,} outputs, "
            f"{close['bill_lines']:,} bill lines; {close['payments_before']:,} payments before)"
            if last is not None else f"{close['seconds']:.1f} s (no output)")


async def measure(args: argparse.Namespace) -> Run:
    workdir = Path(tempfile.mkdtemp(prefix="jaring-scale-"))

    def say(line: str) -> None:
        print(line, flush=True)

    try:
        if args.bootstrap:
            log_dir = Path(args.kafka_log_dir) if args.kafka_log_dir else None
            result = await run(args, args.bootstrap, log_dir, f"broker at {args.bootstrap}", workdir, say)
        else:
            with KafkaCluster(size=1, workdir=workdir / "kafka", heap=args.broker_heap) as cluster:
                say(f"Kafka {KAFKA_VERSION} ready at {cluster.bootstrap_servers} (data in {workdir})")
                result = await run(args, cluster.bootstrap_servers, cluster.nodes[0].data_dir,
                                   f"Kafka {KAFKA_VERSION}, one node on loopback", workdir, say)
    except BaseException:
        say(f"the run failed; the broker's data and the worker's log are kept in {workdir}")
        raise
    if not args.keep:  # a 100,000-worker run leaves 1.5 GB of broker data
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=100_000, help="covered workers in the regency (N)")
    parser.add_argument("--store", default="memory://",
                        help="the worker's JARING_STORE (memory://, the one store Jaring ships)")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument("--bootstrap", help="use this running broker instead of starting one")
    parser.add_argument("--kafka-log-dir", help="that broker's log directory (for the changelog's size)")
    parser.add_argument("--namespace", default=f"scale{uuid.uuid4().hex[:8]}", help="topic namespace")
    parser.add_argument("--timeout", type=float, default=0.0,
                        help="seconds any one phase may take before the run fails (default 600 + N/50)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the broker's data and the worker's log (kept anyway if the run fails)")
    parser.add_argument("--broker-heap", default="1g", help="JVM heap of the broker this starts")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    result = asyncio.run(measure(args))
    print("\n| measure | figure |\n| --- | --- |")
    for label, figure in table(result):
        print(f"| {label} | {figure} |")
    if args.json is not None:
        args.json.write_bytes(orjson.dumps(result.as_json(), option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()

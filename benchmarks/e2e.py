"""End-to-end throughput and latency against the physical limits, on one real broker.

Measured in the same run, on the same machine and broker, with the same records
(encoded worker applications, about 500 bytes each):

(a) the broker's ceiling, with Kafka's own ProducerPerformance and ConsumerPerformance;
(b) a bare aiokafka pipe: consume, produce each record again (acks=all, idempotent),
    commit after each flushed batch: the Python client's limit at Jaring's durability;
(b2) the same pipe doing the Kafka work Jaring's design does per input, with no logic:
    copy each record to a log, consume that, produce 1.5 outputs and a state record
    per record, both stages at once: the design's own limit in Python;
(c) Jaring's worker doing the real matching on the same records, pre-loaded, with nothing
    else running (its outputs are read and audited afterwards);
(d) match latency (input record's timestamp to its coverage event's) at a fixed
    offered load below saturation, p50 / p99 / p99.9;
(e) the sponsor API: pledges per second and p99 latency under a bounded load from a
    second process on loopback.

    python -m benchmarks.e2e --events 20000      # about a minute on 2 cores
    python -m benchmarks.e2e --quick             # a smoke run
    JARING_BATCH_MAX=1 python -m benchmarks.e2e --only-worker   # (c) alone, other settings
    python -m benchmarks.e2e --only-latency 800  # (d) alone, at 800 applications/s

(b), (b2) and (c) are timed the same way: their inputs are all on the broker
before the run starts, and the rate is the inputs over the span between the
first and the last output record's broker timestamp (``output_rate``). A
consumer's start and group join come before its first output, so none of
the three rows counts them, and "% of (b)" compares like with like. Their
outputs: (b) the copies on its sink, (b2) the records of its output topic
(not the log copies or state records), (c) Jaring's output topics.

(b), (b2) and (c) also print the CPU the process under test and the broker
spent per input record (Linux's /proc): the runs keep most of both cores
busy, so the CPU figures roughly explain the throughput ratios. CPU is read
around the whole run (for (c) from the worker's readiness to its last
commit), a start and join included: small beside thousands of records.

Figures go to stdout as a table; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from api.keys import KeyFile, Role, issue
from deploy.kafka.runner import KafkaCluster, free_port
from infra.settings import Settings
from infra.topic_admin import TopicSpec, ensure_topics
from infra.topic_io import Record, read_until, send_all
from jaring.audit import Reader
from jaring.demo import OUTPUT_TOPICS, engine_caught_up, feed
from jaring.processes import ServiceProcess, WorkerProcess
from jaring.scenario import applications, pledges
from models.codec import encode, loads
from models.nik import pseudonym
from models.topics import APPLICATIONS, COVERAGE


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def machine() -> str:
    cpu = "unknown cpu"
    with contextlib.suppress(OSError, StopIteration):
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        cpu = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB, Python {platform.python_version()}"


def broker_ceiling(cluster: KafkaCluster, records: int, size: int) -> tuple[float, float]:
    """(a) Kafka's own tools: records per second produced (acks=all) and consumed."""
    produced = cluster.tool(
        "org.apache.kafka.tools.ProducerPerformance", "--topic", "bench-ceiling",
        "--num-records", str(records), "--record-size", str(size), "--throughput", "-1",
        "--producer-props", f"bootstrap.servers={cluster.bootstrap_servers}", "acks=all", "linger.ms=5",
    )
    consumed = cluster.tool(
        "org.apache.kafka.tools.ConsumerPerformance", "--bootstrap-server", cluster.bootstrap_servers,
        "--topic", "bench-ceiling", "--messages", str(records), "--timeout", "60000",
    )
    produce_rate = float(re.findall(r"([\d.]+) records/sec", produced)[-1])
    last = [line for line in consumed.strip().splitlines() if line and line[0].isdigit()][-1]
    consume_rate = float(last.split(",")[5])
    return produce_rate, consume_rate


Fan = Callable[[bytes | None, bytes], list[tuple[str, bytes | None, bytes]]]
"""What a pipe stage produces for one consumed record: ``(topic, key, value)`` records."""


async def _stage(
    bootstrap: str, source: str, group: str, count: int, fan: Fan, producer: AIOKafkaProducer
) -> None:
    """Consume ``count`` records of ``source``, produce what ``fan`` makes of each, commit per batch."""
    consumer = AIOKafkaConsumer(source, bootstrap_servers=bootstrap, group_id=group,
                                auto_offset_reset="earliest", enable_auto_commit=False, max_poll_records=2000,
                                fetch_max_wait_ms=Settings().fetch_max_wait_ms)
    await consumer.start()
    piped = 0
    try:
        while piped < count:
            batch = await consumer.getmany(timeout_ms=1000)
            for messages in batch.values():
                for message in messages:
                    for topic, key, value in fan(message.key, message.value or b""):
                        await producer.send(topic, value, key=key)
                    piped += 1
            await producer.flush()
            await consumer.commit()
    finally:
        await consumer.stop()


async def output_rate(bootstrap: str, topics: list[str], inputs: int, outputs: int) -> float:
    """``inputs`` over the span from the first to the last of ``outputs`` records on ``topics``, per second.

    The one clock for (b), (b2) and (c): broker timestamps of what the run
    wrote, so no row counts its consumer's start or group join.
    """
    stamps: list[int] = []
    await read_until(bootstrap, topics, lambda _: len(stamps) >= outputs, timeout=600,
                     on_record=lambda record: stamps.append(record.timestamp_ms))
    seconds = (max(stamps) - min(stamps)) / 1000
    if seconds <= 0:
        raise ValueError(f"output_rate: {len(stamps)} outputs share one millisecond; run more records")
    return inputs / seconds


async def bare_pipe(bootstrap: str, source: str, sinks: list[str], count: int, shaped: bool = False) -> int:
    """(b) Consume ``count`` records and produce each to ``sinks[0]``; how many outputs it made there.

    Its rate is ``output_rate`` over those outputs, read once it is done
    (outside the CPU it is charged).

    The consumer waits on the broker as briefly as the worker does: with
    aiokafka's 500 ms, a fetch for the idle partitions held up the busy one
    and (b) measured 15,705 or 33,119 records/s from one run to the next.

    ``shaped``: the Kafka work Jaring's design does per input, with no logic
    (b2): a first stage copies each record to ``sinks[0]`` (the region log),
    a second consumes that and produces, per record, one or two outputs
    (1.5 on average) to ``sinks[1]`` and a state record to ``sinks[2]``,
    all at once, as the router and the matcher run; the outputs it made on
    ``sinks[1]``, whose span times it.
    """
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        if not shaped:
            await _stage(bootstrap, source, "bench-pipe", count, lambda k, v: [(sinks[0], k, v)], producer)
            return count
        else:
            log, outputs, state = sinks
            seen, made = [0], [0]

            def match(key: bytes | None, value: bytes) -> list[tuple[str, bytes | None, bytes]]:
                seen[0] += 1
                copies = 1 + seen[0] % 2
                made[0] += copies
                return [*((outputs, key, value) for _ in range(copies)), (state, key, value)]

            await asyncio.gather(
                _stage(bootstrap, source, "bench-route", count, lambda k, v: [(log, k, v)], producer),
                _stage(bootstrap, log, "bench-match", count, match, producer),
            )
            return made[0]
    finally:
        await producer.stop()


async def _with_cpu(
    bootstrap: str, pipe: Awaitable[int], topic: str, count: int, broker_pid: int | None
) -> tuple[float, Cpu]:
    """Run a pipe in this process: its rate over ``topic``'s outputs, and the CPU per input record of
    this process and the broker while it ran."""
    pids = (os.getpid(), broker_pid)
    before = cpu_sample(pids)
    outputs = await pipe
    cpu = Cpu.between("pipe", before, cpu_sample(pids), count)
    return await output_rate(bootstrap, [topic], count, outputs), cpu


THROUGHPUT_PLEDGES = 20
"""Pledges fed with (c)'s applications, each paying a fortieth of them."""


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process so far (Linux's /proc; None elsewhere or once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_sample(pids: tuple[int | None, ...]) -> list[float | None]:
    return [None if pid is None else cpu_seconds(pid) for pid in pids]


@dataclass(frozen=True)
class Cpu:
    """Microseconds of CPU per input event of the process under test and of the broker (None: unread)."""

    name: str
    process_us: float | None
    broker_us: float | None

    @classmethod
    def between(cls, name: str, before: list[float | None], after: list[float | None], events: int) -> Cpu:
        used = [None if a is None or b is None else 1e6 * (a - b) / events
                for a, b in zip(after, before, strict=True)]
        return cls(name, used[0], used[1])

    def __str__(self) -> str:
        processes = ((self.name, self.process_us), ("broker", self.broker_us))
        parts = [f"{name} {us:,.0f} µs" for name, us in processes if us is not None]
        return f"; CPU per input event: {', '.join(parts)}" if parts else ""


@dataclass(frozen=True)
class Throughput:
    inputs: float
    """Input events per second."""
    outputs: float
    """Output events per second."""
    cpu: Cpu
    """The worker's and the broker's, from the worker's readiness to its last commit."""


def create_topics(bootstrap: str, namespace: str) -> None:
    """Every topic a worker declares, created as an operator would (``jaring topics create``)."""
    env = {**os.environ, "JARING_KAFKA_BOOTSTRAP": bootstrap, "JARING_NAMESPACE": namespace}
    subprocess.run([sys.executable, "-m", "jaring", "topics", "create"], env=env, check=True,
                   capture_output=True, timeout=120)


def start_worker(bootstrap: str, namespace: str, workdir: Path) -> WorkerProcess:
    return WorkerProcess(
        env={"JARING_KAFKA_BOOTSTRAP": bootstrap, "JARING_NAMESPACE": namespace,
             "JARING_WEB_PORT": str(free_port()), "JARING_DATA_DIR": str(workdir / namespace)},
        log_path=workdir / f"{namespace}.log",
    ).start()


async def jaring_throughput(
    bootstrap: str, workdir: Path, count: int, on_start: Callable[[int], object] | None = None,
    broker_pid: int | None = None,
) -> Throughput:
    """(c) Pre-load ``count`` applications and their pledges, then let a worker match them all.

    The worker runs alone, as the pipe in (b) does: its inputs are on the broker
    before it starts, and the outputs are read and audited only once its
    consumer group has committed every input. The rate is the inputs over the
    span between the first and the last output's broker timestamp; the CPU
    figures are the processes' own accounts from the worker's readiness to its
    last commit. ``on_start`` gets the worker's pid when it is ready (for a
    profiler).
    """
    settings = Settings(kafka_bootstrap=bootstrap, namespace="benchthroughput")
    apps = applications(count, seed=90, spacing=timedelta(seconds=1))
    offers = pledges([count // 40] * THROUGHPUT_PLEDGES, start=apps[0].event_time + timedelta(minutes=30),
                     valid_days=60)
    create_topics(bootstrap, settings.namespace)
    await feed(settings, [*apps, *offers])
    worker = start_worker(bootstrap, settings.namespace, workdir)
    assert worker.process is not None
    pids = (worker.process.pid, broker_pid)
    try:
        if on_start is not None:
            on_start(worker.process.pid)
        before = cpu_sample(pids)
        await engine_caught_up(settings, timeout=3600)
        after = cpu_sample(pids)
    finally:
        worker.stop()
    handled = count + len(offers)
    reader = Reader()
    stamps: list[int] = []

    def see(record: Record) -> None:
        reader.add(record)
        stamps.append(record.timestamp_ms)

    await read_until(bootstrap, [settings.topic(t) for t in OUTPUT_TOPICS],
                     lambda _: reader.accounted >= count, timeout=600, on_record=see)
    seconds = (max(stamps) - min(stamps)) / 1000
    return Throughput(handled / seconds, len(reader.result.events) / seconds,
                      Cpu.between("worker", before, after, handled))


async def match_latency(bootstrap: str, workdir: Path, rate: float, seconds: float) -> list[float]:
    """(d) Applications at ``rate`` a second against an open pledge: each is matched on arrival."""
    settings = Settings(kafka_bootstrap=bootstrap, namespace="benchlatency")
    count = int(rate * seconds)
    apps = applications(count, seed=91, spacing=timedelta(seconds=1))
    offer = pledges([count + 10], start=apps[0].event_time - timedelta(hours=1))
    worker = start_worker(bootstrap, settings.namespace, workdir)
    try:
        await feed(settings, offer)
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
        await producer.start()
        sent: dict[str, int] = {}
        key = settings.pseudonym_key.get_secret_value().encode()
        started = time.perf_counter()
        for n, app in enumerate(apps):
            await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
            metadata = await producer.send_and_wait(settings.topic(APPLICATIONS.name), encode(app),
                                                    key=app.regency.encode())
            sent[pseudonym(app.nik, key)] = metadata.timestamp
        await producer.stop()
        activated: dict[str, int] = {}

        def see(record: Record) -> None:
            event = loads(record.value)
            if event.get("type") == "coverage.committed":  # the match (registration follows)
                activated[event["worker"]] = record.timestamp_ms

        await read_until(bootstrap, [settings.topic(COVERAGE.name)], lambda _: len(activated) >= count,
                         timeout=600, on_record=see)
        return [(activated[w] - sent[w]) / 1000 for w in sent if w in activated]
    finally:
        worker.stop()


async def api_load(bootstrap: str, workdir: Path, requests: int, concurrency: int) -> dict[str, float]:
    """(e) ``jaring api`` under ``benchmarks.http_load`` from a second process."""
    keys = KeyFile(workdir / "bench-keys.json")
    key, record = issue(Role.SPONSOR, "bench-sponsor", datetime.now(UTC))
    keys.add(record)
    port = free_port()
    api = ServiceProcess(
        ["api"],
        env={
            "JARING_KAFKA_BOOTSTRAP": bootstrap, "JARING_NAMESPACE": "benchapi", "JARING_API_PORT": str(port),
            "JARING_API_KEYS_FILE": str(keys.path), "JARING_LOG_LEVEL": "warning",
            # the benchmark measures the endpoint, not the per-key limiter
            "JARING_API_RATE_PER_S": "10000", "JARING_API_RATE_BURST": "100000",
        },
        log_path=workdir / "api.log", ready_url=f"http://127.0.0.1:{port}/healthz",
    ).start()
    try:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.http_load", "--url", f"http://127.0.0.1:{port}", "--key", key,
             "--requests", str(requests), "--concurrency", str(concurrency)],
            capture_output=True, text=True, check=True, timeout=900,
        )
        return loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]
    finally:
        api.stop()


async def latency_row(bootstrap: str, workdir: Path, rate: float, seconds: float) -> tuple[str, str]:
    """(d) measured, as a row of the table."""
    latencies = await match_latency(bootstrap, workdir, rate, seconds)
    return (f"(d) match latency at {rate:,.0f} applications/s offered ({len(latencies)} matches)",
            f"p50 {_ms(latencies, 0.5)}, p99 {_ms(latencies, 0.99)}, p99.9 {_ms(latencies, 0.999)}")


def _ms(values: list[float], q: float) -> str:
    return f"{1000 * percentile(values, q):.1f} ms"


async def measure(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="jaring-bench-"))
    table: list[tuple[str, str]] = []

    def row(label: str, figure: str) -> None:
        table.append((label, figure))
        print(f"{label}: {figure}", flush=True)

    with KafkaCluster(size=1, workdir=workdir / "kafka") as cluster:
        bootstrap = cluster.bootstrap_servers
        sample = encode(applications(1)[0])
        print(f"machine: {machine()}; Kafka 4.3.1, one node on loopback; records of {len(sample)} bytes")
        broker_pid = cluster.nodes[0].process.pid if cluster.nodes[0].process is not None else None
        if args.only_latency:
            row(*await latency_row(bootstrap, workdir, args.only_latency, args.latency_seconds))
            return
        if args.only_worker:
            got = await jaring_throughput(bootstrap, workdir, args.events, broker_pid=broker_pid)
            row("(c) Jaring worker, real matching",
                f"{got.inputs:,.0f} input events/s, {got.outputs:,.0f} outputs/s{got.cpu}")
            return

        # The broker does not auto-create topics (see deploy/kafka/runner.py).
        bench = Settings(kafka_bootstrap=bootstrap)
        await ensure_topics(bench, [TopicSpec.configured(bench, name) for name in (
            "bench-ceiling", "bench-pipe-in", "bench-pipe-out", "bench-log", "bench-outputs", "bench-state")])
        produced, consumed = broker_ceiling(cluster, args.events * 5, len(sample))
        row("(a) broker produce ceiling (ProducerPerformance, acks=all)", f"{produced:,.0f} records/s")
        row("(a) broker consume ceiling (ConsumerPerformance)", f"{consumed:,.0f} records/s")

        pipe_in = [(b"74.71", encode(a)) for a in applications(args.events, seed=92)]
        await send_all(bootstrap, "bench-pipe-in", pipe_in)
        pipe, pipe_cpu = await _with_cpu(
            bootstrap, bare_pipe(bootstrap, "bench-pipe-in", ["bench-pipe-out"], args.events),
            "bench-pipe-out", args.events, broker_pid)
        row("(b) bare aiokafka pipe (consume, produce acks=all, commit)", f"{pipe:,.0f} records/s{pipe_cpu}")
        sinks = ["bench-log", "bench-outputs", "bench-state"]
        shaped, shaped_cpu = await _with_cpu(
            bootstrap, bare_pipe(bootstrap, "bench-pipe-in", sinks, args.events, shaped=True),
            "bench-outputs", args.events, broker_pid)
        row("(b2) the same pipe doing Jaring's Kafka work per input, no logic (2 consumes, 3.5 produces)",
            f"{shaped:,.0f} input events/s: {shaped / pipe:.1%} of (b){shaped_cpu}")

        got = await jaring_throughput(bootstrap, workdir, args.events, broker_pid=broker_pid)
        row("(c) Jaring worker, real matching",
            f"{got.inputs:,.0f} input events/s, {got.outputs:,.0f} outputs/s: "
            f"{got.inputs / pipe:.1%} of (b), {got.inputs / shaped:.1%} of (b2){got.cpu}")

        # Every application of (d) is matched on arrival, which costs more than (c)'s mix (where
        # half wait): half of (c) saturated it (p50 over 100 ms), a quarter stays below.
        rate = args.latency_rate or max(10.0, round(got.inputs * 0.25))
        row(*await latency_row(bootstrap, workdir, rate, args.latency_seconds))

        api = await api_load(bootstrap, workdir, args.api_requests, args.api_concurrency)
        row(f"(e) sponsor API, {args.api_concurrency} concurrent clients in a second process",
            f"{api['per_second']:,.0f} pledges/s, p50 {api['p50_ms']:.1f} ms, p99 {api['p99_ms']:.1f} ms "
            f"({api['accepted']:.0f} accepted, {api['other']:.0f} other)")

    print("\n| measure | figure |\n| --- | --- |")
    for label, figure in table:
        print(f"| {label} | {figure} |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20_000, help="applications per throughput run")
    parser.add_argument("--latency-rate", type=float, default=0.0, help="offered load (default: (c) / 4)")
    parser.add_argument("--latency-seconds", type=float, default=20.0)
    parser.add_argument("--api-requests", type=int, default=3000)
    parser.add_argument("--api-concurrency", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only-worker", action="store_true",
                        help="measure (c) alone, e.g. to compare JARING_* settings")
    parser.add_argument("--only-latency", type=float, default=0.0, metavar="RATE",
                        help="measure (d) alone at this offered load (applications/s)")
    args = parser.parse_args()
    if args.quick:
        args.events, args.latency_seconds, args.api_requests = 2000, 5.0, 300
    asyncio.run(measure(args))


if __name__ == "__main__":
    main()

"""``jaring demo``: the Kendari programme through a real broker and a real worker.

Starts a Kafka broker (KRaft, loopback), a ``jaring worker`` and the
``jaring dashboard`` (its URL is printed; open it to watch), then plays
the programme: 1,500 informal workers apply, three sponsors pledge
Rp 302,400,000 between them (JKK+JKM for everyone, twelve months), and
twelve month ticks pay the premiums. It reads every output topic back, as
a city dashboard would, checks the invariants and prints the totals.
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
from infra.topic_io import read_until, send_all, until_committed
from jaring.audit import Audit, Reader
from jaring.processes import ServiceProcess, WorkerProcess
from jaring.scenario import Scenario, kendari
from models.codec import encode
from models.events import CoverageActivated, FundingMovement, Input, pledge_key
from models.topics import OUTPUTS, TOPICS, Role, route

__all__ = ["ENGINE_READS", "OUTPUT_TOPICS", "engine_caught_up", "feed", "play", "run_demo"]

OUTPUT_TOPICS = tuple(t.name for t in OUTPUTS)
"""Every topic the workers write for others, dead letters included."""
ENGINE_READS = tuple(t.name for t in TOPICS if t.role in (Role.INPUT, Role.INTERNAL))
"""Every topic the workers consume: the three inputs (router) and the region log (matcher)."""


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


async def play(settings: Settings, scenario: Scenario, say: Callable[[str], None]) -> Audit:
    """Applications, then pledges, then month ticks, each phase read back before the next."""
    n = len(scenario.applications)
    started = time.monotonic()
    await feed(settings, scenario.applications)
    await outputs_until(settings, lambda r: r.accounted >= n)
    say(f"{n} applications accounted for in {time.monotonic() - started:.1f}s")
    started = time.monotonic()
    await feed(settings, scenario.pledges)
    matched = min(scenario.seats, n)
    await outputs_until(settings, lambda r: r.result.counts["coverage.activated"] >= matched)
    say(f"{len(scenario.pledges)} pledges matched {matched} workers in {time.monotonic() - started:.1f}s")
    started = time.monotonic()
    await feed(settings, scenario.ticks)
    final = await outputs_until(
        settings,
        lambda r: r.result.counts["coverage.expired"] >= r.result.counts["coverage.activated"] > 0,
        applications=n,
    )
    say(f"{len(scenario.ticks)} month ticks paid and closed in {time.monotonic() - started:.1f}s")
    return final


def _rupiah(amount: int) -> str:
    return f"Rp {amount:,}"


def report(audit: Audit) -> list[str]:
    activations = [e for e in audit.events if isinstance(e, CoverageActivated)]
    movements = [e for e in audit.events if isinstance(e, FundingMovement)]
    last = {pledge_key(m.sponsor_id, m.pledge_id): m.balances for m in movements}
    lines = [
        f"workers covered: {len(activations)}",
        f"premiums paid:   {audit.counts['funding.premium_paid']} "
        f"({_rupiah(sum(b.paid_idr for b in last.values()))})",
        f"coverage expired at term end: {audit.counts['coverage.expired']}",
        "pledges (pledged / committed / paid / returned):",
    ]
    for pledge, b in sorted(last.items()):
        lines.append(f"  {pledge}: {_rupiah(b.pledged_idr)} / {_rupiah(b.committed_idr)} / "
                     f"{_rupiah(b.paid_idr)} / {_rupiah(b.returned_idr)}")
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

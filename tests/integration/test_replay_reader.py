"""The one replay-from-start reader (``infra.replay``) against a real broker.

Caught up means the records that existed when it connected were folded;
records that do not decode are skipped, counted and named by position only;
a reader that cannot reach Kafka retries until it can, and one that starts
again goes on from what it folded, never folding a record twice.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from deploy.kafka.runner import KafkaCluster
from infra.replay import Backoff, ReplayReader
from infra.settings import Settings
from infra.topic_admin import TopicSpec, ensure_topics
from infra.topic_io import send_all
from models.events import Event

pytestmark = [pytest.mark.kafka]

RECORDING = Path(__file__).parents[1] / "unit" / "dashboard" / "recorded" / "kendari-mini.tsv"
LINES = [line.split("\t") for line in RECORDING.read_text().splitlines()]
"""The engine's outputs for a small Kendari run: (topic suffix, JSON record)."""


class Folded:
    """What a reader folded, in order: (topic, event id)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def __call__(self, topic: str, event: Event) -> None:
        self.seen.append((topic, event.event_id))

    def ids(self) -> list[str]:
        return [event_id for _, event_id in self.seen]


def event_id_of(raw: str) -> str:
    return raw.split('"event_id":"', 1)[1].split('"', 1)[0]


async def produce(settings: Settings, lines: list[list[str]]) -> None:
    """Send each line to its topic, creating the topics first (the test broker creates none by itself)."""
    suffixes = sorted({s for s, _ in lines})
    await ensure_topics(settings, [TopicSpec.configured(settings, settings.topic(s)) for s in suffixes])
    for suffix in suffixes:
        records = [(b"74.71", raw.encode()) for s, raw in lines if s == suffix]
        await send_all(settings, settings.topic(suffix), records)


async def until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"never happened within {timeout:.0f} s: {what}")
        await asyncio.sleep(0.05)


@pytest.fixture
async def running() -> AsyncIterator[Callable[[ReplayReader], asyncio.Task[None]]]:
    """Run readers as tasks; every one is cancelled and awaited at the end."""
    tasks: list[asyncio.Task[None]] = []

    def run(reader: ReplayReader) -> asyncio.Task[None]:
        tasks.append(asyncio.create_task(reader.run()))
        return tasks[-1]

    yield run
    for task in tasks:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def topics(settings: Settings) -> list[str]:
    return [settings.topic(s) for s in sorted({suffix for suffix, _ in LINES})]


async def test_caught_up_once_what_existed_at_start_is_folded_and_later_records_still_come(
    settings: Settings, running: Callable[[ReplayReader], asyncio.Task[None]]
) -> None:
    first = [LINES[n % len(LINES)] for n in range(12_000)]  # more than one fetch returns (5,000)
    await produce(settings, first)
    folded = Folded()
    reader = ReplayReader(settings, topics(settings), folded, client_id="test-replay")

    running(reader)
    await asyncio.wait_for(reader.caught_up.wait(), 60)

    assert len(folded.seen) == len(first)
    assert sorted(folded.seen) == sorted((settings.topic(s), event_id_of(raw)) for s, raw in first)
    await produce(settings, LINES)
    await until(lambda: len(folded.seen) == len(first) + len(LINES), "the later records folded")
    assert reader.unreadable == {}


async def test_a_record_that_does_not_decode_is_skipped_counted_and_named_by_position_only(
    settings: Settings,
    running: Callable[[ReplayReader], asyncio.Task[None]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    topic = settings.topic("coverage.v1")
    secret = "3171011506850001"  # what a broken record might carry: it must never reach a log
    records = [
        (b"74.71", LINES[0][1].encode()),
        (b"74.71", f'{{"nik": "{secret}"'.encode()),  # offset 1: not JSON
        (b"74.71", b'{"schema_version":1,"type":"coverage.teleported","event_id":"x"}'),  # offset 2
        (b"74.71", f"garbage {secret}".encode()),  # offset 3: not JSON again, only counted
        (b"74.71", LINES[1][1].encode()),
    ]
    await ensure_topics(settings, [TopicSpec.configured(settings, topic)])
    await send_all(settings, topic, records)  # one key: one partition, offsets 0 to 4
    folded = Folded()
    reader = ReplayReader(settings, [topic], folded, client_id="test-replay")

    with caplog.at_level(logging.INFO, logger="jaring.replay"):
        running(reader)
        await asyncio.wait_for(reader.caught_up.wait(), 60)

    assert folded.ids() == [event_id_of(LINES[0][1]), event_id_of(LINES[1][1])]
    assert reader.unreadable == {"not_json": 2, "unknown_type": 1}
    # the reader's own warnings: aiokafka's (a produce retried while a new partition's leader is
    # elected, seen once on a loaded machine) are not the reader's to count
    warnings = [r.getMessage() for r in caplog.records
                if r.levelno == logging.WARNING and r.name == "jaring.replay"]
    assert len(warnings) == 2  # once per reason
    assert any(re.search(rf"\(not_json\) at {re.escape(topic)}\[\d\]@1;", w) for w in warnings), warnings
    assert any(re.search(rf"\(unknown_type\) at {re.escape(topic)}\[\d\]@2;", w) for w in warnings), warnings
    assert not any(secret in r.getMessage() or "teleported" in r.getMessage() for r in caplog.records)


async def test_topics_that_do_not_exist_yet_hold_nothing_to_catch_up_on_and_are_read_once_they_do(
    settings: Settings, running: Callable[[ReplayReader], asyncio.Task[None]]
) -> None:
    folded = Folded()
    reader = ReplayReader(settings, topics(settings), folded, client_id="test-replay")

    running(reader)
    await asyncio.wait_for(reader.caught_up.wait(), 60)
    assert folded.seen == []

    await produce(settings, LINES)
    await until(lambda: len(folded.seen) == len(LINES), "the records of the new topics folded")
    assert sorted(folded.ids()) == sorted(event_id_of(raw) for _, raw in LINES)


async def test_a_reader_started_again_goes_on_from_what_it_folded(
    settings: Settings, running: Callable[[ReplayReader], asyncio.Task[None]]
) -> None:
    await produce(settings, LINES[:40])
    folded = Folded()
    reader = ReplayReader(settings, topics(settings), folded, client_id="test-replay")
    first = running(reader)
    await asyncio.wait_for(reader.caught_up.wait(), 60)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first

    await produce(settings, LINES[40:])
    running(reader)  # a new consumer, as after a reconnect: each partition assigned from its start
    await until(lambda: len(folded.seen) >= len(LINES), "the rest folded")

    assert sorted(folded.ids()) == sorted(event_id_of(raw) for _, raw in LINES)  # none twice


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[KafkaCluster]:
    with KafkaCluster(size=1, workdir=tmp_path / "kafka") as cluster:
        yield cluster


@pytest.mark.slow
async def test_a_reader_that_cannot_reach_kafka_retries_with_backoff_until_it_can(
    own_broker: KafkaCluster,
    running: Callable[[ReplayReader], asyncio.Task[None]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(kafka_bootstrap=own_broker.bootstrap_servers, namespace="replay", topic_partitions=2)
    await produce(settings, LINES[:30])
    own_broker.stop_node(1)
    folded = Folded()
    reader = ReplayReader(settings, topics(settings), folded, client_id="test-replay",
                          backoff=Backoff(first=0.1, most=1.0))

    with caplog.at_level(logging.WARNING, logger="jaring.replay"):
        running(reader)
        await until(lambda: sum("cannot reach Kafka" in r.getMessage() for r in caplog.records) >= 3,
                    "three failed connections")
        assert not reader.caught_up.is_set()
        own_broker.restart_node(1)
        await asyncio.wait_for(reader.caught_up.wait(), 120)

    messages = [r.getMessage() for r in caplog.records]
    delays = [m.rsplit("retrying in ", 1)[1] for m in messages if "retrying in" in m]
    assert delays[:3] == ["0.1s", "0.2s", "0.4s"]
    assert set(delays) <= {"0.1s", "0.2s", "0.4s", "0.8s", "1.0s"}
    assert sorted(folded.ids()) == sorted(event_id_of(raw) for _, raw in LINES[:30])
    await produce(settings, LINES[30:])
    await until(lambda: len(folded.seen) == len(LINES), "records produced after the outage folded")

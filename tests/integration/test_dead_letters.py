"""No record vanishes: whatever its bytes, an input becomes an outcome or a dead letter, or stops the worker.

A real worker on a real broker is sent what any Kafka client can send: a
NULL value (a tombstone), an empty one, 900 KB of invalid JSON (a third
larger in base64, over Kafka's default record size), binary garbage, valid
events with a wrong or no key, and a valid event bloated past what the
region log takes (on an input topic its tenant raised to 3 MB). Each must
become exactly one dead letter, counted by ``jaring_dead_letters_total`` as
it reaches the topic, and the valid record after them must be matched. When
the broker refuses a dead letter or a region-log copy (here: a topic's
``max.message.bytes`` set too low), the worker must stop with status 71
before committing past the record, and dead-letter or route it once the
cause is fixed and it is restarted.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections import Counter

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.partitioner import murmur2
from aiokafka.structs import RecordMetadata

from infra.settings import Settings
from infra.topic_io import read_until
from jaring.audit import replay
from jaring.demo import engine_caught_up, outputs_until
from jaring.processes import WorkerProcess
from jaring.scenario import applications, pledges
from models.codec import decode, dumps, encode, loads
from models.events import ApplicationWaiting, DeadLetter
from models.nik import pseudonym
from models.topics import APPLICATIONS, DEADLETTER, PERSON_CLAIMS, PLEDGES, REGION_LOG
from tests.conftest import WorkerFactory

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

EXIT_BATCH_UNFINISHED = 71
"""``streams.matching.EXIT_BATCH_UNFINISHED`` (importing it would build the worker's Faust app here)."""
REGION = b"74.71"
KAFKA_DEFAULT_MAX_MESSAGE_BYTES = "1048588"


def _started(settings: Settings, start: WorkerFactory) -> WorkerProcess:
    """A worker on topics created first, by ``jaring topics create`` as on a real cluster.

    A worker that creates the topics itself joins its group before its table's
    changelog exists, and an event read in the moment before the group learns
    of it stops the worker (``PartitionsMismatch``); these tests are not about that.
    """
    env = {**os.environ, "JARING_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
           "JARING_NAMESPACE": settings.namespace, "JARING_TOPIC_PARTITIONS": str(settings.topic_partitions)}
    subprocess.run([sys.executable, "-m", "jaring", "topics", "create"], env=env, check=True, timeout=120,
                   stdout=subprocess.DEVNULL)
    return start()


async def _produce(settings: Settings, topic: str, records: list[tuple[bytes | None, bytes | None]],
                   max_request_size: int = 1_048_576) -> list[RecordMetadata]:
    """``(key, value)`` pairs, one at a time, as any tenant's client could send them; their positions."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all",
                                enable_idempotence=True, max_request_size=max_request_size)
    await producer.start()
    try:
        return [await producer.send_and_wait(topic, value=value, key=key) for key, value in records]
    finally:
        await producer.stop()


async def _set_max_message_bytes(settings: Settings, topic: str, value: str) -> None:
    """What ``kafka-configs.sh --alter`` does to a topic's ``max.message.bytes``; waits until in force."""
    configs = {"max.message.bytes": value, "min.insync.replicas": str(settings.min_insync_replicas)}
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        for response in await admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs)]):
            assert all(error == 0 for error, *_ in response.resources), response.resources
        deadline = time.monotonic() + 30
        while True:
            (described,) = await admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, topic, {"max.message.bytes": None})]
            )
            entries = {entry[0]: entry[1] for resource in described.resources for entry in resource[4]}
            if entries.get("max.message.bytes") == value:
                return
            assert time.monotonic() < deadline, f"{topic}: max.message.bytes is still {entries}"
            await asyncio.sleep(0.2)
    finally:
        await admin.close()


async def _committed(settings: Settings, tp: TopicPartition) -> int:
    """The workers' committed offset on ``tp`` (0 if none)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(settings.engine_group)
    finally:
        await admin.close()
    return offsets[tp].offset if tp in offsets else 0


def _counted(worker: WorkerProcess) -> Counter[tuple[str, str]]:
    """``jaring_dead_letters_total`` by (stage, reason), from the worker's /metrics."""
    url = f"http://127.0.0.1:{worker.env['JARING_WEB_PORT']}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    counts: Counter[tuple[str, str]] = Counter()
    for labels, value in re.findall(r"^jaring_dead_letters_total\{(.*)\} (\S+)$", text, re.MULTILINE):
        found = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if float(value):
            counts[(found["stage"], found["reason"])] = int(float(value))
    return counts


def _counted_until(worker: WorkerProcess, total: int, timeout: float = 30) -> Counter[tuple[str, str]]:
    """The counter once it reaches ``total`` (it grows just after the broker acknowledges)."""
    deadline = time.monotonic() + timeout
    while sum((counts := _counted(worker)).values()) < total and time.monotonic() < deadline:
        time.sleep(0.2)
    return counts


def _alive(worker: WorkerProcess) -> bool:
    """True while the worker runs; fails the test at once if it stopped (no waiting out a timeout)."""
    assert worker.process is not None
    code = worker.process.poll()
    assert code is None, f"the worker exited with {code}: {worker.log_path.read_text()[-2000:]}"
    return True


def _wait_for_exit(worker: WorkerProcess, timeout: float = 60) -> int | None:
    assert worker.process is not None
    deadline = time.monotonic() + timeout
    while worker.process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    code: int | None = worker.process.returncode
    return code


async def _dead_letters(settings: Settings) -> list[DeadLetter]:
    """Every record on the dead-letter topic, once the workers have committed all they read."""
    await engine_caught_up(settings)
    records = await read_until(settings, [settings.topic(DEADLETTER.name)], lambda _: True)
    letters = [decode(r.value) for r in records]
    assert all(isinstance(letter, DeadLetter) for letter in letters)
    return letters  # type: ignore[return-value]


async def test_every_bad_record_becomes_exactly_one_dead_letter_and_the_next_is_matched(
    settings: Settings, worker_factory: WorkerFactory
) -> None:
    worker = _started(settings, worker_factory)
    topic = settings.topic(APPLICATIONS.name)
    await _set_max_message_bytes(settings, topic, "3000000")  # the tenant's input topic takes 3 MB
    stray, valid_wrong_key, valid_no_key, bloated_base, last = applications(5, seed=21)
    huge_invalid = dumps({"type": "application.submitted", "schema_version": 1, "padding": "x" * 900_000})
    garbage = bytes(range(256)) * 8
    bloated = dumps({**loads(encode(bloated_base)), "attachment": "y" * 1_500_000})  # valid: unknown fields
    bad: list[tuple[bytes | None, bytes | None, str]] = [
        (REGION, None, "null_value"),
        (REGION, b"", "not_json"),
        (REGION, huge_invalid, "invalid_field"),
        (REGION, garbage, "not_json"),
        (b"74.01", encode(valid_wrong_key), "wrong_key"),
        (None, encode(valid_no_key), "wrong_key"),
        (REGION, bloated, "record_too_large"),
    ]
    sent = await _produce(settings, topic, [(key, value) for key, value, _ in bad] + [(REGION, encode(last))],
                          max_request_size=4_000_000)
    # What a foreign producer could append to the region log itself: the matcher's to refuse.
    log_topic = settings.topic(REGION_LOG.name)
    log_bad = [(REGION, None, "null_value"), (b"74.01", encode(stray), "wrong_key")]
    log_sent = await _produce(settings, log_topic, [(key, value) for key, value, _ in log_bad])

    matched = await outputs_until(settings, lambda r: _alive(worker) and r.accounted >= 1
                                  and r.result.counts["deadletter"] >= len(bad) + len(log_bad))
    assert [e.application_id for e in matched.events if isinstance(e, ApplicationWaiting)] == [
        last.application_id
    ]

    letters = await _dead_letters(settings)
    assert len(letters) == len({letter.event_id for letter in letters}) == len(bad) + len(log_bad)
    by_position = {(letter.source_topic, letter.partition, letter.offset): letter for letter in letters}
    expected = [(topic, meta, value, reason) for meta, (_, value, reason) in zip(sent[:-1], bad, strict=True)]
    expected += [(log_topic, meta, value, reason)
                 for meta, (_, value, reason) in zip(log_sent, log_bad, strict=True)]
    for source, meta, value, reason in expected:
        letter = by_position[(source, meta.partition, meta.offset)]
        original = value or b""
        assert letter.reason == reason, (reason, letter.message)
        assert letter.original_null is (value is None)
        assert (letter.original_size, letter.original_sha256) == (
            len(original), hashlib.sha256(original).hexdigest()
        )
        kept = base64.b64decode(letter.original_b64)
        if len(original) > 700_000:  # the 900 KB and the 1.5 MB ones: a prefix, marked so
            assert letter.truncated and original.startswith(kept) and 0 < len(kept) < len(original)
            assert len(encode(letter)) <= settings.max_message_bytes
        else:
            assert not letter.truncated and kept == original
    no_key = by_position[(topic, sent[5].partition, sent[5].offset)]
    assert "has no key" in no_key.message  # Faust handed the agent None, not an empty key

    counts = _counted_until(worker, len(letters))
    stages = Counter(("matcher" if letter.source_topic == log_topic else "router", letter.reason)
                     for letter in letters)
    assert counts == stages
    assert worker.process is not None and worker.process.poll() is None
    # What the matcher refused on the region log, the pure core's replay of that log refuses too.
    region_log = await read_until(settings, [log_topic], lambda _: True)
    emitted = (await outputs_until(settings, lambda _: True)).values
    outcomes = {key: value for key, value in emitted.items() if not key.startswith("deadletter:")}
    assert outcomes == replay(region_log, settings.pseudonym_key.get_secret_value().encode()) != {}


async def test_a_dead_letter_the_broker_refuses_stops_the_worker_until_the_cause_is_fixed(
    settings: Settings, worker_factory: WorkerFactory
) -> None:
    worker = _started(settings, worker_factory)
    topic, deadletters = settings.topic(APPLICATIONS.name), settings.topic(DEADLETTER.name)
    first, second = applications(2, seed=22)
    await _produce(settings, topic, [(REGION, encode(first))])
    await outputs_until(settings, lambda r: r.accounted >= 1)

    await _set_max_message_bytes(settings, deadletters, "1024")  # below this dead letter's size
    garbage = bytes(range(256)) * 8
    (meta,) = await _produce(settings, topic, [(REGION, garbage)])
    position = f"{topic}[{meta.partition}]@{meta.offset}"

    assert _wait_for_exit(worker) == EXIT_BATCH_UNFINISHED
    log = worker.log_path.read_text()
    assert f"deadletter_unwritten: {position} (not_json) could not be dead-lettered" in log
    assert f"dead-lettered {position}" not in log  # never claimed before the broker had it
    assert await _committed(settings, TopicPartition(topic, meta.partition)) <= meta.offset
    assert await read_until(settings, [deadletters], lambda _: True) == []

    # The operator reads the log, raises the topic's limit again, and restarts the worker.
    await _set_max_message_bytes(settings, deadletters, KAFKA_DEFAULT_MAX_MESSAGE_BYTES)
    worker.process = None
    worker.start()
    await _produce(settings, topic, [(REGION, encode(second))])
    await outputs_until(settings, lambda r: _alive(worker) and r.accounted >= 2
                        and r.result.counts["deadletter"] >= 1)
    (letter,) = await _dead_letters(settings)
    assert (letter.partition, letter.offset, letter.reason) == (meta.partition, meta.offset, "not_json")
    assert base64.b64decode(letter.original_b64) == garbage
    assert _counted_until(worker, 1) == {("router", "not_json"): 1}
    assert f"dead-lettered {position}: not_json" in worker.log_path.read_text()


@pytest.mark.parametrize("copier", ["router", "person index"])
async def test_a_region_log_copy_the_broker_refuses_stops_the_worker_until_the_cause_is_fixed(
    settings: Settings, worker_factory: WorkerFactory, copier: str
) -> None:
    """The router copies a pledge to the region log; an application is copied by the person index."""
    worker = _started(settings, worker_factory)
    region_log = settings.topic(REGION_LOG.name)
    await _set_max_message_bytes(settings, region_log, "200")  # below any input's size
    (application,) = applications(1, seed=23)
    if copier == "router":
        (offer,) = pledges([1], start=application.event_time)
        topic, value, message = settings.topic(PLEDGES.name), encode(offer), "region_log_unwritten"
    else:  # the router's copy to the person index lands; the index's to the region log does not
        topic, value = settings.topic(APPLICATIONS.name), encode(application)
        message = "person_index_unwritten"
    (meta,) = await _produce(settings, topic, [(REGION, value)])
    partition, offset = meta.partition, meta.offset
    if copier == "person index":  # the index's record: the first on its pseudonym's partition
        topic = settings.topic(PERSON_CLAIMS.name)
        key = pseudonym(application.nik, settings.pseudonym_key.get_secret_value().encode()).encode()
        partition, offset = (murmur2(key) & 0x7FFFFFFF) % settings.topic_partitions, 0

    assert _wait_for_exit(worker) == EXIT_BATCH_UNFINISHED
    assert f"{message}: {topic}[{partition}]@{offset}" in worker.log_path.read_text()
    assert await _committed(settings, TopicPartition(topic, partition)) <= offset

    await _set_max_message_bytes(settings, region_log, KAFKA_DEFAULT_MAX_MESSAGE_BYTES)
    worker.process = None
    worker.start()
    if copier == "router":
        accepted = await outputs_until(settings,
                                       lambda r: _alive(worker) and r.result.counts["pledge.accepted"] > 0)
        assert [e.event_id for e in accepted.events if e.type == "pledge.accepted"] == [
            f"pledge.accepted:{offer.sponsor_id}:{offer.pledge_id}"]
        return
    matched = await outputs_until(settings, lambda r: _alive(worker) and r.accounted >= 1)
    assert [e.application_id for e in matched.events if isinstance(e, ApplicationWaiting)] == [
        application.application_id
    ]

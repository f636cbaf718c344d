"""Carrying out a sponsor's replay request: its parked deliveries, or its events of a time range, again.

A time range is read from the event topics themselves (Kafka finds the
first record at or after ``since`` in each partition: ``offsets_for_times``),
up to their end when the request is carried out, or to ``until``. What is
found is queued on the sponsor's lane like any delivery, marked with the
request (``Jaring-Replay`` header, ``replay_of`` on the log), and the request
is closed with a ``webhook.replayed`` record. A process killed before that
record carries the request out again after a restart: receivers drop
repeats by event id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, TopicPartition

from infra.kafka_security import client_kwargs
from infra.settings import Settings
from models.codec import decode
from models.errors import DecodeError
from models.events import Event, WebhookReplayed, WebhookReplayRequested
from models.webhooks.rules import DELIVERED, sponsor_of
from webhooks.deliverer import Deliverer, Delivery

__all__ = ["behind", "carry_out", "partitions_of"]


async def behind(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    """Whether some partition is not yet read to ``ends`` (past control records: the position)."""
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return True
    return False


async def partitions_of(
    consumer: AIOKafkaConsumer, topics: list[str], timeout_s: float = 60.0
) -> list[TopicPartition]:
    """Subscribe a group-less consumer to ``topics`` and return their partitions once it holds them all.

    Without a group, aiokafka assigns every partition of a subscribed topic as soon as its metadata
    arrives (a topic created a moment ago may take a little longer to have a leader)."""
    consumer.subscribe(topics)
    deadline = asyncio.get_running_loop().time() + timeout_s
    while {tp.topic for tp in consumer.assignment()} != set(topics):
        if asyncio.get_running_loop().time() > deadline:
            held = {tp.topic for tp in consumer.assignment()}
            raise TimeoutError(f"topics_not_assigned: {', '.join(sorted(set(topics) - held))}")
        await asyncio.sleep(0.1)
    return sorted(consumer.assignment())


async def carry_out(
    settings: Settings,
    deliverer: Deliverer,
    record: Callable[[Event], Awaitable[None]],
    request: WebhookReplayRequested,
) -> None:
    queued = 0
    if request.parked:
        for a in deliverer.book.parked_of(request.sponsor_id):
            if a.body is not None:
                await deliverer.offer(Delivery(
                    request.sponsor_id, a.delivered_event_id, a.delivered_type, a.body.encode(),
                    replay_of=request.event_id,
                ))
                queued += 1
    if request.since is not None:
        queued += await _range(settings, deliverer, request)
    await record(WebhookReplayed(
        event_id=f"webhook.replayed:{request.event_id}"[:256], event_time=datetime.now(UTC),
        sponsor_id=request.sponsor_id, request_id=request.event_id, events=queued,
    ))


async def _range(settings: Settings, deliverer: Deliverer, request: WebhookReplayRequested) -> int:
    assert request.since is not None
    since_ms = int(request.since.timestamp() * 1000)
    until_ms = None if request.until is None else int(request.until.timestamp() * 1000)
    consumer = AIOKafkaConsumer(
        **client_kwargs(settings), client_id="jaring-webhooks-replay", group_id=None,
        enable_auto_commit=False, isolation_level="read_committed",
    )
    queued = 0
    await consumer.start()
    try:
        parts = await partitions_of(consumer, [settings.topic(t.name) for t in DELIVERED])
        ends = await consumer.end_offsets(parts)
        starts = await consumer.offsets_for_times(dict.fromkeys(parts, since_ms))
        for tp in parts:
            found = starts.get(tp)
            consumer.seek(tp, ends[tp] if found is None else found.offset)
        while await behind(consumer, ends):
            for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                for r in records:
                    if r.offset >= ends[tp] or (until_ms is not None and r.timestamp >= until_ms):
                        continue
                    try:
                        event = decode(r.value)
                    except DecodeError:
                        continue
                    if sponsor_of(event) == request.sponsor_id:
                        await deliverer.offer(Delivery(
                            request.sponsor_id, event.event_id, event.type, r.value or b"",
                            replay_of=request.event_id,
                        ))
                        queued += 1
    finally:
        await consumer.stop()
    return queued

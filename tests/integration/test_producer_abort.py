"""An aborted producer sends nothing it still held: what the API answered 503 for never lands later.

``AIOKafkaProducer.stop()`` alone would wait to send the held record first;
here the record is held by a long linger, which stands in for a broker that
is away.
"""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaTimeoutError

from infra.kafka_security import client_kwargs
from infra.settings import Settings
from infra.topic_admin import TopicSpec, ensure_topics
from infra.topic_io import read_until, send_all
from streams.repairs.producer_abort import abort

pytestmark = [pytest.mark.kafka]


async def test_an_aborted_producer_fails_what_it_held_and_the_broker_never_gets_it(
    settings: Settings,
) -> None:
    topic = settings.topic("abort")
    await ensure_topics(settings, [TopicSpec.configured(settings, topic)])
    producer = AIOKafkaProducer(
        **client_kwargs(settings), acks="all", enable_idempotence=True, linger_ms=60_000
    )
    await producer.start()
    try:
        held = await producer.send(topic, b"held", key=b"74.71")  # lingers: a minute before it would go

        await abort(producer, KafkaTimeoutError())

        assert held.done() and isinstance(held.exception(), KafkaTimeoutError)
    finally:
        async with asyncio.timeout(10):  # at once after an abort: nothing is left to flush
            await producer.stop()

    # A record after it from another producer: read to that one, the topic holds nothing else.
    await send_all(settings, topic, [(b"74.71", b"after")])
    records = await read_until(settings, [topic], lambda rs: any(r.value == b"after" for r in rs))
    assert [r.value for r in records] == [b"after"]
